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
