"""Fixtures of the incidents tests: a private storage per test, a report's payload, supervisors."""

from __future__ import annotations

import datetime
from pathlib import Path

import pytest
from django.utils import timezone

INCIDENTS = "/api/v1/incidents/"


def incident_payload(**overrides) -> dict:
    payload = {
        "model_number": "A1263",
        "serial": "AH23060000000042",
        "country": "US",
        "kind": "fire",
        "injury": False,
        "property_damage": True,
        "occurred_on": (timezone.now().date() - datetime.timedelta(days=1)).isoformat(),
        "description": "It caught fire on the desk while charging.",
        "name": "Jane Reporter",
        "email": "jane@example.com",
    }
    payload.update(overrides)
    return {k: v for k, v in payload.items() if v is not None}


def report(client, payload: dict | None = None, *, files: dict | None = None):
    payload = incident_payload() if payload is None else payload
    if files:
        multipart = {k: ("true" if v is True else "false" if v is False else v) for k, v in payload.items()}
        return client.post(INCIDENTS, {**multipart, **files}, format="multipart")
    return client.post(INCIDENTS, payload, format="json")


@pytest.fixture(autouse=True)
def media(settings, tmp_path) -> Path:
    location = tmp_path / "media"
    location.mkdir()
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {
            "BACKEND": "django.core.files.storage.FileSystemStorage",
            "OPTIONS": {"location": str(location), "base_url": None, "file_permissions_mode": 0o600},
        },
    }
    return location


def stored_files(location: Path) -> list[Path]:
    return sorted(p for p in location.rglob("*") if p.is_file())


@pytest.fixture
def supervisor(db, staff_roles, django_user_model):
    from django.contrib.auth.models import Group

    from core.roles import SUPERVISOR

    user = django_user_model.objects.create_user("sue", "sue@example.com", "pw", is_staff=True)
    user.groups.add(Group.objects.get(name=SUPERVISOR))
    return user


@pytest.fixture
def agent(db, staff_roles, django_user_model):
    from django.contrib.auth.models import Group

    from core.roles import SUPPORT_AGENT

    user = django_user_model.objects.create_user("andy", "andy@example.com", "pw", is_staff=True)
    user.groups.add(Group.objects.get(name=SUPPORT_AGENT))
    return user
