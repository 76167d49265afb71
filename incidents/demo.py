"""Demo incident reports, labelled as demo: a fire in the US (its 24-hour CPSC deadline running), a
burn in Japan, an overheating in Germany, and three reports of A1263 units from July 2023 serials that
no recalled batch covers, which the admin shows as a cluster outside the recall."""

import datetime

from django.utils import timezone

from claims.models import Channel

from .models import Incident
from .services import IncidentSubmission, incident_submit

DOMAIN = "incidents.demo.example.com"
# n, model, serial, country, kind, injury, property damage, days ago, channel, description
REPORTS = [
    (
        1,
        "A1263",
        "AH23060000500001",
        "US",
        "fire",
        False,
        True,
        1,
        Channel.WEB,
        "DEMO: it caught fire on the desk while charging a phone overnight; the desk top is burnt.",
    ),
    (
        2,
        "A1263",
        "AJ23100000012345",
        "JP",
        "smoke",
        True,
        False,
        3,
        Channel.API,
        "DEMO: it smoked in a bag and burnt a finger when taken out.",
    ),
    (
        3,
        "A1263",
        "AH23060000500002",
        "DE",
        "overheating",
        False,
        False,
        5,
        Channel.WEB,
        "DEMO: too hot to hold after twenty minutes of charging.",
    ),
    (
        4,
        "A1263",
        "AH23070000000112",
        "US",
        "melting",
        False,
        False,
        9,
        Channel.WEB,
        "DEMO: the case melted near the USB port.",
    ),
    (
        5,
        "A1263",
        "AH23070000004570",
        "US",
        "overheating",
        False,
        False,
        12,
        Channel.API,
        "DEMO: very hot and swollen after a normal charge.",
    ),
    (
        6,
        "A1263",
        "AH23070000031009",
        "DE",
        "smoke",
        False,
        True,
        20,
        Channel.WEB,
        "DEMO: smoke from the unit; the sofa cushion under it is scorched.",
    ),
]


def load() -> str:
    made = 0
    today = timezone.now().date()
    for n, model, serial, country, kind, injury, damage, days_ago, channel, description in REPORTS:
        email = f"reporter{n:02d}@{DOMAIN}"
        if Incident.objects.filter(is_demo=True, email=email).exists():
            continue
        incident = incident_submit(
            submission=IncidentSubmission(
                model_number=model,
                serial=serial,
                country=country,
                kind=kind,
                injury=injury,
                property_damage=damage,
                occurred_on=today - datetime.timedelta(days=days_ago),
                description=description,
                name=f"Demo reporter {n:02d}",
                email=email,
                channel=channel,
                language={"DE": "de", "JP": "ja"}.get(country, "en"),
            )
        )
        Incident.objects.filter(pk=incident.pk).update(is_demo=True)
        made += 1
    return f"{made} new demo incidents"
