"""The supervisors' triage in the admin: the deadlines still running on the index with the time left,
met ones hidden; agents read reports but do not triage; photos are served only to staff."""

import datetime

import pytest
import time_machine
from django.urls import reverse

from core.errors import Conflict
from incidents.models import Incident, IncidentStatus
from incidents.services import incident_triage
from tests.claims.conftest import image_bytes, upload

from .helpers import make_incident

pytestmark = pytest.mark.django_db

LEARNT = datetime.datetime(2026, 2, 2, 9, 0, tzinfo=datetime.UTC)


def deadlines_section(client) -> str:
    page = client.get(reverse("admin:index")).content.decode()
    start = page.find('id="incident-deadlines"')
    return page[start : page.index("</div>", start)] if start >= 0 else ""


def change_url(incident: Incident) -> str:
    return reverse("admin:incidents_incident_change", args=[incident.pk])


def triage_form(incident: Incident, **changes) -> dict:
    data = {
        "status": incident.status,
        "severity": incident.severity,
        "kind": incident.kind,
        "findings": incident.findings,
        "follow_up": incident.follow_up,
        "regulator_reference": incident.regulator_reference,
        **({"injury": "on"} if incident.injury else {}),
        **({"property_damage": "on"} if incident.property_damage else {}),
    }
    data.update(changes)
    return {k: v for k, v in data.items() if v is not None}


def test_the_index_shows_each_running_deadline_with_its_time_left_and_hides_met_ones(
    client, us_recall, supervisor
):
    with time_machine.travel(LEARNT, tick=False):
        us_fire = make_incident(country="US")
        jp_burn = make_incident(country="JP", kind="smoke", injury=True)
        de_reported = make_incident(country="DE", kind="explosion")
        incident_triage(
            incident_id=de_reported.pk, changes={"regulator_reference": "SBG-77"}, user=supervisor
        )
        not_serious = make_incident(kind="overheating")
    client.force_login(supervisor)
    with time_machine.travel(LEARNT + datetime.timedelta(hours=18, minutes=30), tick=False):
        page = deadlines_section(client)
    assert "Serious incidents to report to the regulator" in page
    assert us_fire.reference in page and "5 h 30 min left" in page
    assert jp_burn.reference in page and "9 d 5 h left" in page
    assert de_reported.reference not in page
    assert not_serious.reference not in page
    assert page.index(us_fire.reference) < page.index(jp_burn.reference)  # the soonest first

    with time_machine.travel(LEARNT + datetime.timedelta(hours=25), tick=False):
        page = deadlines_section(client)
    assert "overdue by 1 h 0 min" in page


def test_a_supervisor_triages_and_files_the_report_in_the_admin(client, us_recall, supervisor):
    with time_machine.travel(LEARNT, tick=False):
        incident = make_incident()
    client.force_login(supervisor)
    with time_machine.travel(LEARNT + datetime.timedelta(hours=2), tick=False):
        response = client.post(
            change_url(incident),
            triage_form(
                incident, status="triaged", severity="severe", findings="Cell failure while charging."
            ),
        )
        assert response.status_code == 302, response.content.decode()[:3000]
        incident.refresh_from_db()
        assert (incident.status, incident.severity, incident.triaged_by) == ("triaged", "severe", supervisor)
        assert incident.triaged_at == LEARNT + datetime.timedelta(hours=2)
        assert incident.reported_at is None

        response = client.post(change_url(incident), triage_form(incident, regulator_reference="CPSC-42"))
        assert response.status_code == 302
    incident.refresh_from_db()
    assert incident.status == IncidentStatus.REPORTED and incident.deadline_met
    with time_machine.travel(LEARNT + datetime.timedelta(hours=3), tick=False):
        section = deadlines_section(client)
    assert "None: every serious incident is reported." in section and incident.reference not in section


def test_a_serious_incident_is_not_closed_before_it_is_reported(client, us_recall, supervisor):
    incident = make_incident()
    client.force_login(supervisor)
    response = client.post(change_url(incident), triage_form(incident, status="closed"))
    assert response.status_code == 200
    assert "A serious incident is reported to the regulator before it is closed." in response.content.decode()
    incident.refresh_from_db()
    assert incident.status == IncidentStatus.RECEIVED


def test_a_status_that_may_not_follow_is_refused(client, us_recall, supervisor):
    incident = make_incident(kind="overheating")
    incident_triage(incident_id=incident.pk, changes={"status": "reported"}, user=supervisor)
    client.force_login(supervisor)
    response = client.post(change_url(incident), triage_form(Incident.objects.get(), status="received"))
    assert response.status_code == 200
    assert Incident.objects.get().status == IncidentStatus.REPORTED


def test_agents_read_reports_but_cannot_triage_them(client, us_recall, agent):
    incident = make_incident()
    client.force_login(agent)
    assert client.get(reverse("admin:incidents_incident_changelist")).status_code == 200
    page = client.get(change_url(incident)).content.decode()
    assert incident.description in page
    assert 'name="regulator_reference"' not in page  # read-only for them
    response = client.post(
        change_url(incident), triage_form(incident, status="triaged", regulator_reference="X")
    )
    assert response.status_code == 403
    incident.refresh_from_db()
    assert (incident.status, incident.regulator_reference) == ("received", "")
    assert "Serious incidents to report" not in client.get(reverse("admin:index")).content.decode()


def test_nobody_adds_or_deletes_reports_in_the_admin(client, us_recall, supervisor):
    incident = make_incident()
    client.force_login(supervisor)
    assert client.get(reverse("admin:incidents_incident_add")).status_code == 403
    assert (
        client.post(
            reverse("admin:incidents_incident_delete", args=[incident.pk]), {"post": "yes"}
        ).status_code
        == 403
    )
    assert Incident.objects.exists()


def test_the_photo_is_served_only_to_staff_who_may_read_reports(
    client, us_recall, supervisor, django_user_model
):
    incident = make_incident(photo=upload(image_bytes("PNG"), "x.png", "image/png"))
    url = reverse("admin:incidents_incident_photo", args=[incident.pk])
    assert client.get(url).status_code == 302  # to the login
    nobody = django_user_model.objects.create_user("nobody", "n@example.com", "pw", is_staff=True)
    client.force_login(nobody)
    assert client.get(url).status_code == 403
    client.force_login(supervisor)
    response = client.get(url)
    assert response.status_code == 200 and response["Content-Type"] == "image/png"
    assert "private" in response["Cache-Control"] and "no-store" in response["Cache-Control"]
    page = client.get(change_url(incident)).content.decode()
    assert url in page and incident.photo.name not in page  # never the stored file's own address


def test_a_status_that_may_not_follow_is_refused_on_the_status_field_saying_why(us_recall, supervisor):
    """The admin form puts ``fields`` on the form's own fields: the message belongs to ``status``."""
    incident = make_incident(kind="overheating")
    incident_triage(incident_id=incident.pk, changes={"status": "reported"}, user=supervisor)
    with pytest.raises(Conflict) as refused:
        incident_triage(incident_id=incident.pk, changes={"status": "received"}, user=supervisor)
    assert refused.value.code == "invalid_transition"
    assert refused.value.detail == "An incident that is reported to the regulator cannot become received."
    assert refused.value.fields == {"status": ["Not allowed from the current status."]}


def test_closing_a_serious_incident_before_its_report_is_refused_saying_what_to_do_first(
    us_recall, supervisor
):
    incident = make_incident()
    with pytest.raises(Conflict) as refused:
        incident_triage(incident_id=incident.pk, changes={"status": "closed"}, user=supervisor)
    assert refused.value.code == "report_outstanding"
    assert refused.value.detail == "A serious incident is reported to the regulator before it is closed."
    assert refused.value.fields == {
        "status": ["File the regulator's reference, or mark the incident reported, first."]
    }
    assert Incident.objects.get().status == IncidentStatus.RECEIVED
