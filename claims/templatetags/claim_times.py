from django import template

from claims.timezones import local_time

register = template.Library()
register.filter("local_time", local_time)
