"""The demo's incident reports: labelled as demo, loaded once, with a deadline running and a cluster."""

import os

import pytest
from django.core.management import call_command

from incidents.demo import DOMAIN
from incidents.models import Incident
from incidents.selectors import clusters_outside_recalls

pytestmark = pytest.mark.django_db


def test_the_demo_reports_are_labelled_and_loaded_once():
    call_command("load_demo", stdout=open(os.devnull, "w"))  # noqa: SIM115
    call_command("load_demo", stdout=open(os.devnull, "w"))  # noqa: SIM115
    reports = Incident.objects.all()
    assert reports.count() == 6
    assert all(
        r.is_demo and r.email.endswith(f"@{DOMAIN}") and r.description.startswith("DEMO") for r in reports
    )
    assert reports.filter(report_due_at__isnull=False, reported_at__isnull=True).count() == 2
    assert reports.filter(batch__isnull=False).count() == 3
    [cluster] = clusters_outside_recalls()
    assert cluster.block == "AH23070000"
