"""The incident page, served at the site's root beside the claims' pages."""

from django.urls import path

from . import views

app_name = "incidents"

urlpatterns = [
    path("incident/", views.incident_report, name="report"),
    path("incident/received/", views.incident_received, name="received"),
]
