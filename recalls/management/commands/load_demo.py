from importlib import import_module

from django.apps import apps
from django.core.management.base import BaseCommand
from django.db import transaction
from django.utils.module_loading import module_has_submodule


class Command(BaseCommand):
    help = "Load the demo recall programme (idempotent): each app's demo.load(), in INSTALLED_APPS order."

    def handle(self, *args, **options):
        with transaction.atomic():
            for app in apps.get_app_configs():
                if module_has_submodule(app.module, "demo"):
                    summary = import_module(f"{app.name}.demo").load()
                    self.stdout.write(f"{app.label}: {summary}")
