import datetime
import io

import pytest

from core.errors import ApplicationError
from recalls.services import serial_check, serials_import
from tests.factories import MarketRuleFactory, ProductModelFactory, RecalledBatchFactory, SerialRangeFactory

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    ("serial", "recalled"),
    [
        ("AH23060000000000", True),  # first of the range
        ("AH23060000999999", True),  # last of the range
        ("AH23060001000000", False),  # one past the end
        ("AH23070000000042", False),  # another prefix
        ("AH2306-0000-000042", True),  # typed with dashes
        ("ah23o60000000042", True),  # lower case, O for zero
    ],
)
def test_range_covers_its_serials_inclusively(us_recall, serial, recalled):
    result = serial_check(model_number="A1263", serial=serial, country="US")
    assert result.recalled is recalled
    assert (result.recall.code if result.recall else None) == (us_recall.code if recalled else None)


def test_range_width_is_part_of_the_range(db):
    # Prefix "AB" + 14 digits: a 16-character serial whose number fits but whose split differs.
    batch = RecalledBatchFactory(model__model_number="W1000")
    SerialRangeFactory(batch=batch, prefix="AB", width=14, start=5, end=10)
    assert serial_check(model_number="W1000", serial="AB00000000000007", country="US").recalled
    assert not serial_check(model_number="W1000", serial="AB00000000000011", country="US").recalled


def test_a_range_reads_the_digits_after_its_own_prefix(db):
    """The number is the serial's part after the range's prefix, leading zeros and all; a prefix
    that is not the serial's start, or a number of other width, is another range's."""
    batch = RecalledBatchFactory(model__model_number="W2000", model__serial_format=r"[0-9A-Z]{1,32}")
    SerialRangeFactory(batch=batch, prefix="Q7", width=20, start=3, end=3)
    SerialRangeFactory(batch=batch, prefix="", width=4, start=1000, end=1999)

    def recalled(serial):
        return serial_check(model_number="W2000", serial=serial, country="US").recalled

    assert recalled("Q7" + "3".zfill(20))
    assert not recalled("Q7" + "4".zfill(20))
    assert not recalled("Q8" + "3".zfill(20))
    assert not recalled("Q7" + "3".zfill(19))  # one digit short of the range's width
    assert recalled("1500") and not recalled("2000") and not recalled("01500")


def test_a_number_too_large_for_any_range_is_no_error(db):
    """Trailing digits past a 64-bit number can be in no range (their ends are 64-bit): not covered,
    and no overflow on either database."""
    batch = RecalledBatchFactory(model__model_number="W3000", model__serial_format=r"[0-9]{1,32}")
    SerialRangeFactory(batch=batch, prefix="", width=19, start=0, end=9_223_372_036_854_775_807)
    SerialRangeFactory(batch=batch, prefix="", width=25, start=0, end=5)

    assert serial_check(model_number="W3000", serial="3".zfill(25), country="US").recalled
    assert not serial_check(model_number="W3000", serial="9" * 25, country="US").recalled
    assert serial_check(model_number="W3000", serial="9223372036854775807", country="US").recalled
    assert not serial_check(model_number="W3000", serial="9223372036854775808", country="US").recalled


def test_range_units_are_end_minus_start_plus_one(us_recall):
    assert us_recall.batches.get().ranges.get().units == 1_000_000


def test_listed_serials_are_recalled(us_recall):
    model = us_recall.models.get()
    serials_import(recall=us_recall, model=model, source=io.BytesIO(b"AL23090000000001\n"), batch_name="list")
    assert serial_check(model_number="A1263", serial="AL23090000000001", country="DE").recalled
    assert not serial_check(model_number="A1263", serial="AL23090000000002", country="DE").recalled


def test_market_rule_gives_the_remedies_per_country(us_recall):
    assert serial_check(model_number="A1263", serial="AH23060000000042", country="US").remedies == [
        "replacement",
        "gift_card",
    ]
    assert serial_check(model_number="A1263", serial="AH23060000000042", country="DE").remedies == [
        "replacement",
        "refund",
    ]


def test_batch_not_sold_in_the_country_does_not_cover_it(us_recall):
    """The Japan-only recall must not make a German unit eligible."""
    japan = MarketRuleFactory(
        country="JP", offers_gift_card=False, recall__announced_on=datetime.date(2025, 10, 21)
    )
    jp_batch = RecalledBatchFactory(recall=japan.recall, model=us_recall.models.get(), markets=["JP"])
    SerialRangeFactory(batch=jp_batch, prefix="AJ2310", start=0, end=199_999)

    assert (
        serial_check(model_number="A1263", serial="AJ23100000000042", country="JP").recall.code
        == japan.recall.code
    )
    assert not serial_check(model_number="A1263", serial="AJ23100000000042", country="DE").recalled
    # and the US/DE batch is not eligible in Japan
    assert not serial_check(model_number="A1263", serial="AH23060000000042", country="JP").recalled


def test_a_unit_recalled_only_abroad_is_said_to_be_recalled_elsewhere(us_recall):
    """Not claimable where its owner lives now, but physically one of the recalled units."""
    japan = MarketRuleFactory(
        country="JP", offers_gift_card=False, recall__announced_on=datetime.date(2025, 10, 21)
    )
    jp_batch = RecalledBatchFactory(recall=japan.recall, model=us_recall.models.get(), markets=["JP", "KR"])
    SerialRangeFactory(batch=jp_batch, prefix="AJ2310", start=0, end=199_999)

    moved = serial_check(model_number="A1263", serial="AJ23100000000042", country="US")
    assert (moved.recalled, moved.claims_open, moved.remedies) == (False, False, [])
    assert [(e.recall, e.countries) for e in moved.recalled_elsewhere] == [(japan.recall.code, ("JP", "KR"))]

    # Recalled here and in other countries: the recall here is the answer, nothing "elsewhere".
    assert (
        serial_check(model_number="A1263", serial="AJ23100000000042", country="JP").recalled_elsewhere == ()
    )
    # The US/DE batch, checked from Japan: both other markets, once each.
    from_japan = serial_check(model_number="A1263", serial="AH23060000000042", country="JP")
    assert [(e.recall, e.countries) for e in from_japan.recalled_elsewhere] == [
        (us_recall.code, ("DE", "US"))
    ]
    # A unit recalled nowhere, and one of an ended recall, are recalled nowhere else either.
    assert (
        serial_check(model_number="A1263", serial="AX00000000000001", country="US").recalled_elsewhere == ()
    )
    japan.recall.active = False
    japan.recall.save()
    assert (
        serial_check(model_number="A1263", serial="AJ23100000000042", country="US").recalled_elsewhere == ()
    )


def test_inactive_recall_covers_nothing(us_recall):
    us_recall.active = False
    us_recall.save()
    assert not serial_check(model_number="A1263", serial="AH23060000000042", country="US").recalled


def test_latest_recall_wins_when_two_cover_a_serial(us_recall):
    later = MarketRuleFactory(country="US", recall__announced_on=datetime.date(2025, 12, 1))
    batch = RecalledBatchFactory(recall=later.recall, model=us_recall.models.get(), markets=["US"])
    SerialRangeFactory(batch=batch)
    assert (
        serial_check(model_number="A1263", serial="AH23060000000042", country="US").recall.code
        == later.recall.code
    )


def test_other_model_with_same_serial_is_not_recalled(us_recall):
    ProductModelFactory(model_number="A1257")
    assert not serial_check(model_number="A1257", serial="AH23060000000042", country="US").recalled


@pytest.mark.parametrize(
    ("kwargs", "code", "field"),
    [
        ({"serial": "AH2306"}, "invalid_serial", "serial"),  # too short for the format
        ({"serial": "AH2306000000004!"}, "invalid_serial", "serial"),
        ({"serial": "x" * 500}, "invalid_serial", "serial"),
        ({"model_number": "NOPE"}, "validation_error", "model_number"),
        ({"country": "XX"}, "validation_error", "country"),
        ({"country": "USA"}, "validation_error", "country"),
    ],
)
def test_bad_input_is_a_clear_error(us_recall, kwargs, code, field):
    given = {"model_number": "A1263", "serial": "AH23060000000042", "country": "US", **kwargs}
    with pytest.raises(ApplicationError) as raised:
        serial_check(**given)
    assert raised.value.code == code
    assert field in raised.value.fields


def test_coverage_carries_the_market_rule_with_its_types(us_recall):
    from decimal import Decimal

    rule = serial_check(model_number="A1263", serial="AH23060000000042", country="DE").market_rule
    assert rule.refund_amount == Decimal("39.99")
    assert rule.disposal_before_remedy is True and rule.offers_gift_card is False


def test_the_covering_recall_is_what_the_query_read_and_not_a_partial_row(us_recall):
    from recalls.selectors import CoveringRecall

    recall = serial_check(model_number="A1263", serial="AH23060000000042", country="US").recall

    assert recall == CoveringRecall(
        id=us_recall.pk, code=us_recall.code, title=us_recall.title, is_demo=False, claim_deadline=None
    )


def test_the_eligibility_queries_built_afresh_answer_the_same(us_recall):
    """Each query shape is built once per process and kept: built again, it must say the same."""
    from recalls.selectors import _lookup_sql

    _lookup_sql.cache_clear()
    assert (
        serial_check(model_number="A1263", serial="AH23060000000042", country="US").recall.code
        == us_recall.code
    )
    assert not serial_check(model_number="A1263", serial="AH23070000000042", country="US").recalled
    elsewhere = serial_check(model_number="A1263", serial="AH23060000000042", country="JP").recalled_elsewhere
    assert [(e.recall, e.countries) for e in elsewhere] == [(us_recall.code, ("DE", "US"))]
