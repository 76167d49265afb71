"""Two demo recycling facilities. Their tokens are printed when created, like any facility's."""

import datetime

from .models import RecyclingFacility
from .services import Certification, facility_create

FACILITIES = [
    {
        "name": "DEMO Bay Area Battery Recycling",
        "country": "US",
        "address": "100 Demo Way, Oakland, CA 94607",
        "latitude": 37.8044,
        "longitude": -122.2712,
        "certifications": [Certification("R2", "DEMO-R2-0001", datetime.date(2028, 12, 31))],
    },
    {
        "name": "DEMO Wertstoffhof Berlin-Mitte",
        "country": "DE",
        "address": "Demostraße 1, 10115 Berlin",
        "latitude": 52.5321,
        "longitude": 13.3849,
        "certifications": [Certification("GRS Batterien", "DEMO-GRS-0002", datetime.date(2028, 6, 30))],
    },
]


def load() -> str:
    created = []
    for spec in FACILITIES:
        if RecyclingFacility.objects.filter(name=spec["name"]).exists():
            continue
        facility, token = facility_create(**spec, is_demo=True)
        created.append(f"{facility.name} token: {token}")
    return "; ".join(created) if created else "demo facilities kept"
