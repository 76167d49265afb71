import datetime

from claims.models import Channel
from incidents.services import IncidentSubmission, incident_submit


def make_incident(**overrides):
    fields = {
        "model_number": "A1263",
        "serial": "",
        "country": "US",
        "kind": "fire",
        "injury": False,
        "property_damage": False,
        "occurred_on": datetime.date(2026, 1, 1),
        "description": "It burnt.",
        "name": "Jane Reporter",
        "email": "jane@example.com",
        "channel": Channel.API,
    }
    fields.update(overrides)
    return incident_submit(submission=IncidentSubmission(**fields))
