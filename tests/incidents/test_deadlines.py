"""A serious incident's reporting deadline per market, from when the programme learnt of it, met once
the report is filed; supervisors hear once when half of its time is gone."""

import datetime
import logging

import pytest
import time_machine
from django.conf import settings

from core.models import OutboxMessage
from incidents import services
from incidents.deadlines import ReportingRule
from incidents.models import Incident, IncidentStatus
from incidents.services import deadlines_halfway_warn, incident_triage

from .helpers import make_incident

pytestmark = pytest.mark.django_db

LEARNT = datetime.datetime(2026, 2, 2, 9, 0, tzinfo=datetime.UTC)


@pytest.mark.parametrize(
    ("country", "within", "rule"),
    [
        ("US", datetime.timedelta(hours=24), "CPSC section 15(b)"),
        ("DE", datetime.timedelta(days=2), "GPSR Art. 20"),
        ("FR", datetime.timedelta(days=2), "GPSR Art. 20"),
        ("NO", datetime.timedelta(days=2), "GPSR Art. 20"),  # the EEA
        ("JP", datetime.timedelta(days=10), "Serious product accident report"),
        ("CA", datetime.timedelta(days=2), "CCPSA section 14"),
        ("AU", datetime.timedelta(days=2), "programme's own 2 days"),
    ],
)
def test_each_market_gives_a_serious_incident_its_deadline(us_recall, country, within, rule):
    with time_machine.travel(LEARNT, tick=False):
        incident = make_incident(country=country)
    assert incident.created_at == LEARNT
    assert incident.report_due_at == LEARNT + within
    assert rule in incident.report_rule


@pytest.mark.parametrize(
    ("kind", "injury", "serious"),
    [("fire", False, True), ("explosion", False, True), ("smoke", True, True), ("overheating", False, False)],
)
def test_only_a_fire_an_explosion_or_an_injury_has_a_deadline(us_recall, kind, injury, serious):
    incident = make_incident(kind=kind, injury=injury, property_damage=True)
    assert incident.serious is serious
    assert (incident.report_due_at is not None) is serious


def test_an_injury_found_in_triage_starts_the_deadline_from_when_the_report_came(us_recall, supervisor):
    with time_machine.travel(LEARNT, tick=False):
        incident = make_incident(kind="smoke")
    assert incident.report_due_at is None
    with time_machine.travel(LEARNT + datetime.timedelta(hours=5), tick=False):
        incident = incident_triage(incident_id=incident.pk, changes={"injury": True}, user=supervisor)
    assert incident.report_due_at == LEARNT + datetime.timedelta(hours=24)


def test_filing_the_regulators_reference_meets_the_deadline(us_recall, supervisor):
    with time_machine.travel(LEARNT, tick=False):
        incident = make_incident()
    with time_machine.travel(LEARNT + datetime.timedelta(hours=20), tick=False):
        incident = incident_triage(
            incident_id=incident.pk, changes={"regulator_reference": " CPSC-2026-0042 "}, user=supervisor
        )
    assert incident.regulator_reference == "CPSC-2026-0042"
    assert incident.status == IncidentStatus.REPORTED
    assert incident.reported_at == LEARNT + datetime.timedelta(hours=20)
    assert incident.deadline_met


def test_marking_it_reported_meets_the_deadline_too(us_recall, supervisor):
    incident = make_incident(country="JP", serial="")
    incident = incident_triage(incident_id=incident.pk, changes={"status": "reported"}, user=supervisor)
    assert incident.deadline_met and incident.regulator_reference == ""


def half_time_emails():
    return OutboxMessage.objects.filter(topic=OutboxMessage.Topic.STAFF_EMAIL)


def test_supervisors_are_emailed_once_when_half_of_the_time_is_gone(
    us_recall, supervisor, mailoutbox, django_capture_on_commit_callbacks
):
    with time_machine.travel(LEARNT, tick=False):
        incident = make_incident(serial="AH23060000000042")
    with time_machine.travel(LEARNT + datetime.timedelta(hours=11, minutes=59), tick=False):
        assert deadlines_halfway_warn() == 0
    with time_machine.travel(LEARNT + datetime.timedelta(hours=12), tick=False):
        with django_capture_on_commit_callbacks(execute=True):
            assert deadlines_halfway_warn() == 1
        assert deadlines_halfway_warn() == 0  # the beat's next run, and the one after
    with time_machine.travel(LEARNT + datetime.timedelta(hours=23), tick=False):
        assert deadlines_halfway_warn() == 0

    assert half_time_emails().count() == 1
    [email] = mailoutbox
    assert email.to == ["sue@example.com"]
    assert incident.reference in email.subject and "half of the time" in email.subject
    assert "CPSC section 15(b)" in email.body
    assert "2026-02-03 09:00 UTC" in email.body
    assert f"/admin/incidents/incident/{incident.pk}/change/" in email.body
    assert Incident.objects.get().halfway_warned_at == LEARNT + datetime.timedelta(hours=12)


def test_only_supervisors_with_an_address_are_written_to(us_recall, supervisor, agent, django_user_model):
    from django.contrib.auth.models import Group

    from core.roles import SUPERVISOR

    quiet = django_user_model.objects.create_user("nomail", "", "pw", is_staff=True)
    quiet.groups.add(Group.objects.get(name=SUPERVISOR))
    with time_machine.travel(LEARNT, tick=False):
        make_incident(country="JP")
    with time_machine.travel(LEARNT + datetime.timedelta(days=5), tick=False):
        assert deadlines_halfway_warn() == 1
    assert half_time_emails().get().payload["to"] == ["sue@example.com"]


def test_a_deadline_met_before_half_time_sends_nothing(us_recall, supervisor):
    with time_machine.travel(LEARNT, tick=False):
        incident = make_incident(country="DE")
        incident_triage(incident_id=incident.pk, changes={"regulator_reference": "SBG-1"}, user=supervisor)
    with time_machine.travel(LEARNT + datetime.timedelta(days=3), tick=False):
        assert deadlines_halfway_warn() == 0
    assert not half_time_emails().exists()


def test_the_warning_runs_on_the_beat():
    entry = settings.CELERY_BEAT_SCHEDULE["incident-deadlines"]
    assert entry["task"] == "incidents.tasks.incident_deadlines_warn_task"
    assert entry["schedule"] <= 600  # a 24-hour deadline's half-time is not missed by much
    from celery import current_app

    assert "incidents.tasks.incident_deadlines_warn_task" in current_app.tasks


def test_the_staff_email_is_delivered_by_the_outbox(us_recall, supervisor, mailoutbox):
    from core.outbox import outbox_deliver

    with time_machine.travel(LEARNT, tick=False):
        make_incident()
    with time_machine.travel(LEARNT + datetime.timedelta(hours=13), tick=False):
        deadlines_halfway_warn()
    message = half_time_emails().get()
    assert outbox_deliver(message_id=message.pk).status == OutboxMessage.Status.DELIVERED
    assert len(mailoutbox) == 1
    assert outbox_deliver(message_id=message.pk).status == OutboxMessage.Status.DELIVERED
    assert len(mailoutbox) == 1


def test_closing_with_the_regulators_reference_meets_the_deadline(us_recall, supervisor):
    incident = make_incident()
    incident = incident_triage(
        incident_id=incident.pk,
        changes={"status": "closed", "regulator_reference": "CPSC-7"},
        user=supervisor,
    )
    assert incident.status == IncidentStatus.CLOSED and incident.deadline_met


def test_every_deadline_half_gone_is_warned_of_counted_and_logged_in_one_run(us_recall, supervisor, caplog):
    with time_machine.travel(LEARNT, tick=False):
        make_incident()
        make_incident(country="CA")
    with (
        time_machine.travel(LEARNT + datetime.timedelta(days=1), tick=False),
        caplog.at_level(logging.INFO, logger="incidents.services"),
    ):
        assert deadlines_halfway_warn() == 2
    assert half_time_emails().count() == 2
    [logged] = [r for r in caplog.records if getattr(r, "event", None) == "incident.deadlines_warned"]
    assert logged.count == 2
    assert set(Incident.objects.values_list("halfway_warned_at", flat=True)) == {
        LEARNT + datetime.timedelta(days=1)
    }


def test_a_triage_after_the_markets_rule_changed_gives_the_incident_the_new_rules_deadline(
    us_recall, supervisor, monkeypatch
):
    """A rule changed by a release applies from the incident's next triage, from when it was learnt of."""
    with time_machine.travel(LEARNT, tick=False):
        incident = make_incident()
    assert incident.report_due_at == LEARNT + datetime.timedelta(hours=24)
    shorter = ReportingRule("CPSC section 15(b) report, as amended (US)", datetime.timedelta(hours=12))
    monkeypatch.setattr(services, "reporting_rule", lambda country: shorter)
    incident = incident_triage(incident_id=incident.pk, changes={"severity": "severe"}, user=supervisor)
    assert incident.report_rule == shorter.rule
    assert incident.report_due_at == LEARNT + datetime.timedelta(hours=12)
