import pytest
from django.core.management import call_command

from recalls.models import MarketRule, Recall, RecalledSerial
from recalls.services import serial_check

pytestmark = pytest.mark.django_db


def test_load_demo_is_idempotent_and_labelled(capsys):
    call_command("load_demo")
    call_command("load_demo")
    assert set(Recall.objects.values_list("code", flat=True)) == {
        "ANKER-2025-06-A1263",
        "ANKER-2025-06-BATCH2",
        "ANKER-2025-10-JP",
    }
    assert not Recall.objects.filter(is_demo=False).exists()
    assert RecalledSerial.objects.count() == 20
    de = MarketRule.objects.get(recall__code="ANKER-2025-06-A1263", country="DE")
    assert de.disposal_before_remedy and de.remedies == ["replacement", "refund"]
    us = MarketRule.objects.get(recall__code="ANKER-2025-06-BATCH2", country="US")
    assert not us.disposal_before_remedy and us.remedies == ["replacement", "gift_card"]
    assert MarketRule.objects.get(recall__code="ANKER-2025-10-JP").remedies == ["replacement"]


def test_demo_japan_batches_cover_japan_only(db):
    call_command("load_demo")
    assert (
        serial_check(model_number="A1263", serial="AJ23100000000001", country="JP").recall.code
        == "ANKER-2025-10-JP"
    )
    assert not serial_check(model_number="A1263", serial="AJ23100000000001", country="DE").recalled
    assert serial_check(model_number="A1263", serial="AH23060000000001", country="DE").recall.code == (
        "ANKER-2025-06-A1263"
    )


def test_the_demo_serials_the_readme_names_answer_as_it_says(db):
    call_command("load_demo", stdout=open("/dev/null", "w"))  # noqa: SIM115
    readme = open("README.md").read()  # noqa: SIM115
    for model, serial in [
        ("A1263", "AH23060000000042"),
        ("A1263", "AJ23100000000042"),
        ("A1257", "AK24010000000007"),
        ("A1263", "AH23070000000042"),
    ]:
        assert serial in readme
    assert serial_check(model_number="A1263", serial="AH23060000000042", country="US").recalled
    assert serial_check(model_number="A1263", serial="AH23060000000042", country="DE").recalled
    from_us = serial_check(model_number="A1263", serial="AJ23100000000042", country="US")
    assert not from_us.recalled and [e.countries for e in from_us.recalled_elsewhere] == [("JP",)]
    assert serial_check(model_number="A1257", serial="AK24010000000007", country="US").recalled
    assert not serial_check(model_number="A1263", serial="AH23070000000042", country="US").recalled_elsewhere


def get_resolver_urls():
    from django.contrib import admin
    from django.urls import reverse

    return [
        reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_changelist")
        for model in admin.site._registry
        if model._meta.app_label == "reports"
    ]


def test_the_demo_supervisor_can_open_the_recall_report(client, db):
    call_command("load_demo", stdout=open("/dev/null", "w"))  # noqa: SIM115
    from django.contrib.auth import get_user_model

    supervisor = get_user_model().objects.get(username="supervisor")
    assert supervisor.check_password("recall-demo-supervisor") and supervisor.is_staff
    assert supervisor.has_perm("reports.view_recall_report")
    client.force_login(supervisor)
    assert client.get("/admin/").status_code == 200
    report = next(url for url in get_resolver_urls() if "report" in url)
    assert client.get(report).status_code == 200
