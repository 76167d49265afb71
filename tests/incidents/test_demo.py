"""The demo's incident reports: labelled as demo, loaded once, with a deadline running and a cluster."""

import datetime
import os

import pytest
import time_machine
from django.core.management import call_command

from incidents.demo import DOMAIN
from incidents.models import Incident
from incidents.selectors import clusters_outside_recalls, incident_counts

from .helpers import make_incident

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


def test_the_monthly_counts_take_the_reports_the_programme_learnt_of_in_the_period(us_recall):
    import datetime

    import time_machine

    from incidents.selectors import incident_counts

    from .helpers import make_incident

    with time_machine.travel(datetime.datetime(2026, 1, 31, 23, 0, tzinfo=datetime.UTC), tick=False):
        make_incident(kind="fire")
    with time_machine.travel(datetime.datetime(2026, 2, 1, 8, 0, tzinfo=datetime.UTC), tick=False):
        make_incident(kind="smoke", injury=True, serial="AH23060000000042")
        make_incident(kind="overheating", property_damage=True, country="JP")
    february = incident_counts(start=datetime.date(2026, 2, 1), end=datetime.date(2026, 2, 28))
    assert february["incidents"] == 2 and february["injuries"] == 1 and february["serious"] == 1
    assert february["property_damage"] == 1 and february["kind_smoke"] == 1 and february["kind_fire"] == 0
    assert (
        incident_counts(
            recall_id=us_recall.pk, start=datetime.date(2026, 2, 1), end=datetime.date(2026, 2, 28)
        )["incidents"]
        == 1
    )  # the Japanese unit is under no recall of these tests


def test_injuries_count_only_the_reports_of_someone_hurt(us_recall):
    with time_machine.travel(datetime.datetime(2026, 2, 2, 9, 0, tzinfo=datetime.UTC), tick=False):
        make_incident(kind="smoke", injury=True)
        make_incident(kind="overheating")
        make_incident(kind="melting")
    counts = incident_counts(start=datetime.date(2026, 2, 2), end=datetime.date(2026, 2, 2))
    assert (counts["incidents"], counts["injuries"]) == (3, 1)
