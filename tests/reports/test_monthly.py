"""The CPSC's monthly progress report on the programme of ``tests/reports/monthly_data.py``."""

import csv
import datetime
import io

import pypdf
import pytest
import time_machine
from django.core.management import CommandError, call_command

from reports.models import MonthlyReportLock
from reports.monthly import monthly_figures, monthly_recalls
from reports.services import monthly_report_csv, monthly_report_lock, monthly_report_pdf, monthly_reports
from tests.reports.monthly_data import AUGUST, TITLE, Programme

pytestmark = pytest.mark.django_db


@pytest.fixture
def programme():
    return Programme().build()


def figures(code="R-M", month=AUGUST):
    (recall,) = monthly_recalls(recall_code=code)
    return monthly_figures(recalls=[recall], month=month)[recall.pk]


def test_units_corrected_by_remedy_and_level(programme):
    f = figures()
    assert f["units_affected"] == 1000
    assert f["corrected_by_remedy"] == {
        "replacement": [1, 2],
        "gift_card": [2, 3],
        "refund": [1, 1],
        "total": [4, 6],
    }
    assert f["distribution"] == [
        {
            "level": "manufacturer",
            "label": "Manufacturer",
            "held": 300,
            "entered": True,
            "corrected": [200, 300],
        },
        {"level": "distributor", "label": "Distributors", "held": 50, "entered": True, "corrected": [5, 5]},
        {"level": "retailer", "label": "Retailers", "held": None, "entered": False, "corrected": [0, 0]},
        {"level": "consumer", "label": "Consumers", "held": None, "entered": True, "corrected": [4, 6]},
    ]


def test_july_ends_at_midnight_utc(programme):
    f = figures(month=datetime.date(2026, 7, 1))
    assert f["corrected_by_remedy"]["gift_card"] == [1, 1]
    assert f["corrected_by_remedy"]["total"] == [2, 2]
    assert f["disposals"] == [1, 1]
    assert f["serial_checks"]["recalled"] == [5, 5]
    assert f["distribution"][0]["corrected"] == [100, 100]


def test_consumers_notified_and_who_contacted(programme):
    f = figures()
    assert f["notified"] == {"email": [1, 2], "sms": [1, 1], "letter": [0, 0], "call": [0, 0]}
    assert f["notices_sent"] is True
    assert f["contacts"] == {
        "claims": {"web": [1, 10], "api": [2, 2], "not_recorded": [1, 1]},
        "status_links": {"web": [2, 2], "api": [0, 1], "not_recorded": [0, 0]},
        "incidents": {"web": [2, 2], "api": [1, 2], "not_recorded": [0, 0]},
    }


def test_incidents_before_and_after_the_announcement(programme):
    assert figures()["incidents"] == {
        "before": {"incidents": [1, 2], "injuries": [1, 1]},
        "after": {"incidents": [2, 2], "injuries": [1, 1]},
    }


def test_serial_checks_and_disposals(programme):
    f = figures()
    assert f["serial_checks"] == {"recalled": [10, 15], "not_recalled": [4, 4]}
    assert f["disposals"] == [1, 2]


def test_a_recall_without_notices_says_so(programme):
    f = figures("R-O")
    assert f["notices_sent"] is False
    assert f["notified"] == {"email": [0, 0], "sms": [0, 0], "letter": [0, 0], "call": [0, 0]}
    assert f["contacts"]["claims"]["api"] == [1, 1]
    assert f["corrected_by_remedy"]["total"] == [0, 0]
    lines = csv_rows(monthly_report_csv(monthly_reports(month=AUGUST, recall_code="R-O")))
    assert [
        "R-O",
        "2026-08",
        "Consumers notified",
        "No recall notices sent by the programme",
        "0",
        "0",
    ] in lines


def csv_rows(data: bytes) -> list[list[str]]:
    return list(csv.reader(io.StringIO(data.decode())))


def test_csv_has_every_line_under_the_cpsc_headings(programme):
    rows = csv_rows(monthly_report_csv(monthly_reports(month=AUGUST, recall_code="R-M")))
    assert rows[0] == ["recall", "month", "section", "item", "in_month", "to_date"]
    body = [row[2:] for row in rows[1:]]
    assert body[:4] == [
        ["Units corrected", "Replacement units shipped", "1", "2"],
        ["Units corrected", "Gift cards issued", "2", "3"],
        ["Units corrected", "Refunds paid", "1", "1"],
        ["Units corrected", "Total", "4", "6"],
    ]
    for expected in (
        ["Units corrected by distribution level", "Manufacturer", "200", "300"],
        ["Units corrected by distribution level", "Consumers", "4", "6"],
        ["Units held by distribution level at the end of the month", "Distributors", "50", ""],
        ["Units held by distribution level at the end of the month", "Retailers", "not entered", ""],
        ["Consumers notified", "E-mail", "1", "2"],
        ["Consumers who contacted the firm", "Claims, channel not recorded", "1", "1"],
        ["Consumers who contacted the firm", "Status-link requests, web form", "2", "2"],
        ["Incidents and injuries", "Injuries before the recall (2026-07-15)", "1", "1"],
        ["Incidents and injuries", "Incidents after the recall", "2", "2"],
        ["Serial number checks", "Units found recalled", "10", "15"],
        ["Units disposed of", "Disposals confirmed by certified centres", "1", "2"],
        [
            "Not recorded by the programme",
            "Recalled units found for sale online",
            "not recorded",
            "not recorded",
        ],
    ):
        assert expected in body
    assert {row[0] for row in rows[1:]} == {"R-M"} and {row[1] for row in rows[1:]} == {"2026-08"}


def pdf_text(data: bytes) -> list[str]:
    return [page.extract_text() for page in pypdf.PdfReader(io.BytesIO(data)).pages]


def test_pdf_one_page_per_recall_with_headings_numbers_and_letters_of_every_language(programme):
    pages = pdf_text(monthly_report_pdf(monthly_reports(month=AUGUST)))
    assert len(pages) == 2
    first = pages[0]
    assert "Monthly Progress Report: R-M" in first and "R-O" not in first
    assert TITLE in first  # umlaut and Japanese drawn with fonts that have them
    for heading in (
        "Units corrected by distribution level",
        "Consumers notified",
        "Consumers who contacted the firm",
        "Incidents and injuries",
        "Serial number checks",
        "Units disposed of",
    ):
        assert heading in first
    assert "Gift cards issued 2 3" in first
    assert "Manufacturer 200 300" in first
    assert "Units found recalled 10 15" in first
    assert "2026-08-01 to 2026-08-31 (UTC)" in first
    assert "No recall notices sent by the programme 0 0" in pages[1]


# --- Constant queries ---------------------------------------------------------------------------


def test_the_report_takes_the_same_queries_on_two_data_sizes(django_assert_num_queries):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    small = Programme().build()
    with CaptureQueriesContext(connection) as first:
        monthly_report_csv(monthly_reports(month=AUGUST, recall_code="R-M"))
    assert len(first) <= 15
    # Ten times the claims, remedies, disposals, incidents, notices and checks.
    for _ in range(9):
        small.build_more()
    with django_assert_num_queries(len(first)):
        rows = csv_rows(monthly_report_csv(monthly_reports(month=AUGUST, recall_code="R-M")))
    assert ["R-M", "2026-08", "Units corrected", "Total", "40", "42"] in rows


# --- The lock -----------------------------------------------------------------------------------


@time_machine.travel(datetime.datetime(2026, 9, 3, 9, tzinfo=datetime.UTC), tick=False)
def test_a_locked_month_is_served_as_it_was_locked(programme, django_user_model):
    supervisor = django_user_model.objects.create_user("sue", is_staff=True)
    before = monthly_reports(month=AUGUST, recall_code="R-M")
    lock = monthly_report_lock(recall=programme.recall, month=AUGUST, user=supervisor)
    assert lock.locked_by == supervisor and lock.locked_at == datetime.datetime(
        2026, 9, 3, 9, tzinfo=datetime.UTC
    )
    csv_locked = monthly_report_csv(monthly_reports(month=AUGUST, recall_code="R-M"))
    pdf_locked = monthly_report_pdf(monthly_reports(month=AUGUST, recall_code="R-M"))
    assert csv_locked == monthly_report_csv(before)
    assert "locked by sue at 2026-09-03 09:00" in pdf_text(pdf_locked)[0]
    command_csv = run("--monthly", "2026-08", "--recall", "R-M")

    programme.build_more()  # new claims, remedies, disposals, incidents, stock counts, notices, checks
    assert figures()["corrected_by_remedy"]["total"] == [8, 10]  # the live figures moved on

    with time_machine.travel(datetime.datetime(2026, 9, 4, tzinfo=datetime.UTC)):
        again = monthly_reports(month=AUGUST, recall_code="R-M")
        assert monthly_report_csv(again) == csv_locked
        assert monthly_report_pdf(again) == pdf_locked
        assert run("--monthly", "2026-08", "--recall", "R-M") == command_csv == csv_locked
        assert run("--monthly", "2026-08", "--recall", "R-M", "--format", "pdf") == pdf_locked
        # With every recall: R-M's lines as locked, R-O's computed now.
        both = monthly_report_csv(monthly_reports(month=AUGUST))
        assert both.startswith(csv_locked)
        assert b"R-O,2026-08" in both
        assert "locked by sue" in pdf_text(monthly_report_pdf(monthly_reports(month=AUGUST)))[0]


@time_machine.travel(datetime.datetime(2026, 8, 31, 23, 59, tzinfo=datetime.UTC), tick=False)
def test_a_month_not_over_cannot_be_locked_nor_a_month_twice(programme, django_user_model):
    from core.errors import ApplicationError

    supervisor = django_user_model.objects.create_user("sue", is_staff=True)
    with pytest.raises(ApplicationError) as refused:
        monthly_report_lock(recall=programme.recall, month=AUGUST, user=supervisor)
    assert refused.value.code == "month_not_over"
    july = datetime.date(2026, 7, 1)
    monthly_report_lock(recall=programme.recall, month=july, user=supervisor)
    with pytest.raises(ApplicationError) as twice:
        monthly_report_lock(recall=programme.recall, month=july, user=supervisor)
    assert twice.value.code == "already_locked"
    assert MonthlyReportLock.objects.count() == 1


# --- The command --------------------------------------------------------------------------------


def run(*args) -> bytes:
    out = io.BytesIO()
    call_command("recall_report", *args, stdout=out)
    return out.getvalue()


def test_command_writes_csv_by_default_and_pdf(programme, tmp_path):
    rows = csv_rows(run("--monthly", "2026-08"))
    assert {row[0] for row in rows[1:]} == {"R-M", "R-O"}
    target = tmp_path / "report.pdf"
    call_command(
        "recall_report", "--monthly", "2026-08", "--recall", "R-O", "--format", "pdf", "--output", str(target)
    )
    assert pdf_text(target.read_bytes())[0].startswith("Monthly Progress Report: R-O")
    text = io.StringIO()
    call_command("recall_report", "--monthly", "2026-08", "--recall", "R-M", stdout=text)
    assert text.getvalue().encode() == run("--monthly", "2026-08", "--recall", "R-M")


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--monthly", "2026-13"], "'2026-13' is not a month: give it as YYYY-MM"),
        (["--monthly", "August"], "'August' is not a month"),
        (["--monthly", "2026-8-1"], "is not a month"),
        (
            ["--monthly", "2026-08", "--recall", "NOPE"],
            "No recall with code 'NOPE'. Known recalls: R-M, R-O.",
        ),
        (["--monthly", "2026-08", "--format", "table"], "--format csv or --format pdf"),
        (["--format", "pdf"], "add --monthly YYYY-MM"),
    ],
)
def test_command_errors(programme, args, message):
    with pytest.raises(CommandError, match=None) as error:
        run(*args)
    assert message in str(error.value)


# --- Incidents in the per-recall report ------------------------------------------------------------


def test_the_recall_report_counts_incidents_and_injuries_before_and_after_the_announcement(programme):
    from reports.selectors import recall_report_rows

    rows = {row.market: row for row in recall_report_rows(recall_code="R-M")}
    us = rows["US"]
    # Every incident is reported in the US: before 07-15 two (one injured), on and after three (one).
    assert (us.incidents_before, us.incidents_after, us.injuries_before, us.injuries_after) == (2, 3, 1, 1)
    total = rows["TOTAL"]
    assert (total.incidents_before, total.incidents_after, total.injuries_before, total.injuries_after) == (
        2,
        3,
        1,
        1,
    )
    assert rows["DE"].incidents_before == rows["DE"].incidents_after == 0
    out = io.StringIO()
    call_command("recall_report", "--recall", "R-M", stdout=out)
    table = out.getvalue()
    assert "Incidents and injuries, before and after the recall's announcement" in table
