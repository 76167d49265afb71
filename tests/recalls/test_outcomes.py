"""What the recall catalogue's services say and read, word for word: the refusals of a serial check, the
import's rejections and counts, the byte table the import normalises with, and the model as read."""

import datetime
import io

import pytest

from core.errors import ApplicationError
from recalls.selectors import (
    CoveringRecall,
    product_model_get,
    recall_for_model_in_country,
    recall_list_active,
)
from recalls.serials import normalise_serial
from recalls.services import (
    REJECTIONS_KEPT,
    SerialImportError,
    _normalising_table,
    country_require,
    product_model_require,
    serial_check,
    serials_import,
)
from tests.factories import MarketRuleFactory, ProductModelFactory

pytestmark = pytest.mark.django_db


def test_the_import_normalises_bytes_as_the_check_normalises_text():
    table = _normalising_table()
    assert len(table) == 256
    for byte in range(256):
        character = chr(byte)
        if character.isascii() and character.isalnum():
            assert chr(table[byte]) == normalise_serial(character), character
        elif not character.isascii() or not character.isalpha():
            assert table[byte] == byte, byte  # everything else stays as it is


@pytest.mark.parametrize(
    ("call", "fields"),
    [
        (lambda: product_model_require(model_number="Z9"), {"model_number": ["Unknown model number 'Z9'."]}),
        (
            lambda: serial_check(model_number="Z9", serial="AH23060000000042", country="US"),
            {"model_number": ["Unknown model number 'Z9'."]},
        ),
        (
            lambda: country_require(country="Narnia"),
            {"country": ["'Narnia' is not an ISO 3166-1 alpha-2 country code."]},
        ),
        (
            lambda: serial_check(model_number="A1263", serial="12", country="US"),
            {"serial": ["Check the serial number on the unit's label."]},
        ),
        (  # a check needs a serial: blank, or only the separators the check drops
            lambda: serial_check(model_number="A1263", serial=" - ", country="US"),
            {"serial": ["Check the serial number on the unit's label."]},
        ),
    ],
)
def test_a_check_is_refused_in_words(us_recall, call, fields):
    with pytest.raises(ApplicationError) as refused:
        call()
    assert refused.value.fields == fields
    if "serial" in fields:
        assert (refused.value.code, refused.value.detail) == (
            "invalid_serial",
            "This cannot be a serial number of model A1263.",
        )


def test_a_serial_longer_than_any_is_refused_though_the_models_format_would_take_it(db):
    ProductModelFactory(model_number="W9000", serial_format=r"[0-9A-Z]+")
    with pytest.raises(ApplicationError) as refused:
        serial_check(model_number="W9000", serial="A" * 33, country="US")
    assert (refused.value.code, refused.value.detail) == (
        "invalid_serial",
        "This cannot be a serial number of model W9000.",
    )
    assert serial_check(model_number="W9000", serial="A" * 32, country="US").recalled is False


def test_a_covering_recall_takes_claims_until_the_end_of_its_deadline_day():
    recall = CoveringRecall(
        id=1, code="R", title="R", is_demo=False, claim_deadline=datetime.date(2026, 1, 31)
    )
    assert recall.claims_open(today=datetime.date(2026, 1, 31))
    assert not recall.claims_open(today=datetime.date(2026, 2, 1))
    assert CoveringRecall(id=1, code="R", title="R", is_demo=False, claim_deadline=None).claims_open()


def test_a_model_is_read_with_its_name_and_demo_label_however_its_number_is_typed(db):
    made = ProductModelFactory(model_number="A1647", name="Prime 20000", is_demo=True)
    read = product_model_get(model_number=" a1647 ")
    assert (read.pk, read.model_number, read.name, read.is_demo) == (made.pk, "A1647", "Prime 20000", True)
    assert product_model_get(model_number="A16") is None


def test_the_catalogue_reads_carry_what_their_callers_show(us_recall, django_assert_num_queries):
    with django_assert_num_queries(3):  # the recalls, their models, their rules with the replacement model
        recalls = list(recall_list_active())
        assert [rule.replacement_model for recall in recalls for rule in recall.market_rules.all()]
        assert [m.model_number for recall in recalls for m in recall.models.all()] == ["A1263"]
    model = us_recall.models.get()
    later = MarketRuleFactory(country="US", recall__announced_on=us_recall.announced_on.replace(year=2030))
    later.recall.models.add(model)
    assert recall_for_model_in_country(model=model, country="US") == later.recall
    assert recall_for_model_in_country(model=model, country="JP") is None


def run_import(recall, data: bytes):
    return serials_import(
        recall=recall, model=recall.models.get(), source=io.BytesIO(data), batch_name="f.csv"
    )


def test_the_import_reports_each_kind_of_bad_line_in_words(us_recall):
    long_row = "x" * 150
    data = (
        f"serial,note\nAL23090000000001,ok\nAL23090000000002,one,two\n{long_row},long\nAL23,bad\n,\n , \n"
    ).encode()
    report = run_import(us_recall, data)
    assert report.read == 1 and report.imported == 1
    assert [(r.line, r.text, r.reason) for r in report.rejected] == [
        (3, "AL23090000000002,one,two", "3 columns, expected 2"),
        (4, "x" * 100, "longer than 32 characters"),
        (5, "AL23", "not a serial number of model A1263"),
    ]
    assert report.rejected_count == 3


def test_a_semicolon_file_is_read_as_such_and_a_big_one_in_chunks(us_recall):
    rows = "\n".join(f"b;AL23{n:012d}" for n in range(50_001))
    report = run_import(us_recall, f"batch;serial\n{rows}\n".encode())
    assert (report.read, report.imported) == (50_001, 50_001)


def test_a_file_saved_with_a_byte_order_mark_is_read_from_its_first_serial(us_recall):
    report = run_import(us_recall, b"\xef\xbb\xbfAL23090000000001\nAL23090000000002\n")
    assert (report.read, report.imported, report.rejected) == (2, 2, [])


def test_only_the_first_rejections_are_kept_but_all_are_counted(us_recall):
    data = "\n".join(["serial"] + ["short"] * (REJECTIONS_KEPT + 5)).encode()
    report = run_import(us_recall, data)
    assert (len(report.rejected), report.rejected_count) == (REJECTIONS_KEPT, REJECTIONS_KEPT + 5)


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"id,number\n1,2\n", "The CSV file has no 'serial' column in its first line."),
        (
            "serial,note\nAL23090000000001,ok\nAL23090000000002,caf\xe9\n".encode("latin-1"),
            "Line 3 is not UTF-8 text; save the file as UTF-8 and import it again.",
        ),
        (
            b"AL23090000000001\nAL23090000000002\nAL2309\xe40000000003\n",
            "Line 3 is not UTF-8 text; save the file as UTF-8 and import it again.",
        ),
        (
            b"\xff\xfe" + "AL23090000000001\n".encode("utf-16-le"),
            "The file is UTF-16 text; save it as UTF-8 and import it again.",
        ),
        (
            b"\xfe\xff" + "AL23090000000001\n".encode("utf-16-be"),
            "The file is UTF-16 text; save it as UTF-8 and import it again.",
        ),
    ],
)
def test_a_file_that_cannot_be_read_is_refused_in_words(us_recall, data, message):
    with pytest.raises(SerialImportError) as refused:
        run_import(us_recall, data)
    assert str(refused.value) == message


def test_the_recall_of_a_model_is_the_latest_announced_that_covers_that_model(db, django_assert_num_queries):
    from recalls.models import MarketRule

    model, other_model = ProductModelFactory(model_number="A1263"), ProductModelFactory(model_number="A1257")
    # made first, announced last: the order is by announcement, not by row
    latest = MarketRuleFactory(
        country="US", recall__code="R-LATEST", recall__announced_on="2030-01-01"
    ).recall
    earlier = MarketRuleFactory(
        country="US", recall__code="R-EARLIER", recall__announced_on="2025-06-01"
    ).recall
    elsewhere = MarketRuleFactory(
        country="US", recall__code="R-OTHER", recall__announced_on="2031-01-01"
    ).recall
    latest.models.add(model)
    earlier.models.add(model)
    elsewhere.models.add(other_model)  # the newest recall in the US, but of another model
    assert recall_for_model_in_country(model=model, country="US") == latest
    MarketRule.objects.filter(recall=latest).update(replacement_model=other_model)
    with django_assert_num_queries(3):
        rules = [rule for recall in recall_list_active() for rule in recall.market_rules.all()]
        assert "A1257" in [rule.replacement_model.model_number for rule in rules if rule.replacement_model_id]
