"""The demo campaign `make run` shows: known owners of the A1263 recall in the US, and the US campaign
running with its first wave out."""

import os

import pytest
from django.core.management import call_command
from django.db.models import Count

from outreach.demo import OWNERS_EMAIL_DOMAIN
from outreach.models import Campaign, Channel, KnownOwner, Notice

pytestmark = pytest.mark.django_db


def load() -> None:
    call_command("load_demo", stdout=open(os.devnull, "w"))  # noqa: SIM115


def test_the_demo_campaign_is_started_once_and_its_owners_labelled(
    mailoutbox, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        load()
    load()  # again: nothing added, nothing sent twice

    owners = KnownOwner.objects.all()
    assert owners.count() == 30
    assert all(o.name.startswith("Demo owner") and o.recall.code == "ANKER-2025-06-A1263" for o in owners)
    assert all(o.email.endswith(f"@{OWNERS_EMAIL_DOMAIN}") for o in owners if o.email)
    [outside] = owners.filter(covered=False)
    assert outside.serial and not outside.serial.startswith("AH2306")

    [campaign] = Campaign.objects.all()
    assert campaign.is_demo and campaign.country == "US" and campaign.status == Campaign.Status.RUNNING
    notices = Notice.objects.filter(wave__number=1)
    assert notices.filter(owner=outside).count() == 0
    assert dict(notices.values_list("channel").annotate(n=Count("pk"))) == {
        Channel.EMAIL: 25,
        Channel.SMS: 4,
    }
    sent = [m for m in mailoutbox if m.to[0].endswith(f"@{OWNERS_EMAIL_DOMAIN}")]
    assert len(sent) == 25 and all(m.subject.startswith("Product safety recall") for m in sent)
    assert notices.filter(status=Notice.Status.SENT).count() == 29
