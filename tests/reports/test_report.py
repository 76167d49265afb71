"""The regulator report on a programme whose every figure is known in advance.

Recall ``R-A`` (announced July 2026; US and DE market rules):
    batch B1, sold in US and DE: range of 1,000 units + 10 listed serials = 1,010
    batch B2, sold in US and CA: range of 500 units                       =   500
    batch B3, sold in DE:        ranges of 100 and 200 units + 5 listed   =   305
    units: US 1,510 (B1+B2), DE 1,315 (B1+B3), CA 500 (B2); TOTAL 1,815 (each batch once)
    US claims: needs_review, approved, fulfilling, 3 x fulfilled, rejected, cancelled
               -> 8 claims, 5 approved, 3 remedies; disposals on the cancelled one and a fulfilled one
    DE claims: 2 x awaiting_disposal, fulfilled (disposed), fulfilling (disposed), needs_review
               -> 5 claims, 4 approved, 1 remedy, 2 disposals
    FR: one proof-only claim (no market rule, no batch sold there) -> units 0, rates n/a
    US recall notices: owner 1 e-mailed, opened, checked, claimed (fulfilled, disposed); owner 2
               e-mailed and opened, then sent an SMS; owner 3's e-mail bounced, then an SMS opened,
               checked, claimed (approved); owner 4 pending, owner 5 stopped
               -> each owner once: 3 notified, 3 opened, 2 checked, 2 claimed, 1 remedied, 1 disposed
    DE recall notices: one letter -> 1 notified
Recall ``R-B`` (announced September 2026; JP): one batch of 2,000 units, one fulfilled claim.
Recall ``R-C``: a GB market rule and nothing else.
"""

import csv
import datetime
import io
import re
from decimal import Decimal

import pytest
from django.contrib.auth.models import Permission, User
from django.core.management import CommandError, call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from claims.models import ClaimEvent
from core.errors import ApplicationError
from disposal.models import DisposalConfirmation
from fulfilment.models import GiftCard, Refund, Replacement
from outreach.models import Channel, Notice
from reports.rendering import correction_chart
from reports.selectors import MonthPoint, ReportRow, correction_rate_by_month, recall_report_rows
from tests.factories import (
    ClaimFactory,
    MarketRuleFactory,
    ProductModelFactory,
    RecalledBatchFactory,
    RecallFactory,
    SerialRangeFactory,
    facility_with_token,
)
from tests.outreach.owners import campaign_with_waves, known_owner, notice

pytestmark = pytest.mark.django_db

CSV_HEADER = [
    "recall",
    "market",
    "units_affected",
    "claims",
    "approved",
    "remedies_issued",
    "disposals_confirmed",
    "correction_rate",
    "disposal_rate",
    "campaign_notified",
    "campaign_opened",
    "campaign_checked",
    "campaign_claimed",
    "campaign_remedied",
    "campaign_disposed",
    "incidents_before",
    "incidents_after",
    "injuries_before",
    "injuries_after",
]
EXPECTED_ROWS = [
    ReportRow("R-A", "CA", 500, 0, 0, 0, 0),
    ReportRow("R-A", "DE", 1315, 5, 4, 1, 2, 1),
    ReportRow("R-A", "FR", 0, 1, 0, 0, 0),
    ReportRow("R-A", "US", 1510, 8, 5, 3, 2, 3, 3, 2, 2, 1, 1),
    ReportRow("R-A", "TOTAL", 1815, 14, 9, 4, 4, 4, 3, 2, 2, 1, 1),
    ReportRow("R-B", "JP", 2000, 1, 1, 1, 0),
    ReportRow("R-B", "TOTAL", 2000, 1, 1, 1, 0),
    ReportRow("R-C", "GB", 0, 0, 0, 0, 0),
    ReportRow("R-C", "TOTAL", 0, 0, 0, 0, 0),
]
_CSV_ROWS = [
    ["R-A", "CA", "500", "0", "0", "0", "0", "0.0000000000", "0.0000000000", "0", "0", "0", "0", "0", "0"],
    ["R-A", "DE", "1315", "5", "4", "1", "2", "0.0007604563", "0.0015209125", "1", "0", "0", "0", "0", "0"],
    ["R-A", "FR", "0", "1", "0", "0", "0", "", "", "0", "0", "0", "0", "0", "0"],
    ["R-A", "US", "1510", "8", "5", "3", "2", "0.0019867550", "0.0013245033", "3", "3", "2", "2", "1", "1"],
    [
        "R-A",
        "TOTAL",
        "1815",
        "14",
        "9",
        "4",
        "4",
        "0.0022038567",
        "0.0022038567",
        "4",
        "3",
        "2",
        "2",
        "1",
        "1",
    ],
    ["R-B", "JP", "2000", "1", "1", "1", "0", "0.0005000000", "0.0000000000", "0", "0", "0", "0", "0", "0"],
    [
        "R-B",
        "TOTAL",
        "2000",
        "1",
        "1",
        "1",
        "0",
        "0.0005000000",
        "0.0000000000",
        "0",
        "0",
        "0",
        "0",
        "0",
        "0",
    ],
    ["R-C", "GB", "0", "0", "0", "0", "0", "", "", "0", "0", "0", "0", "0", "0"],
    ["R-C", "TOTAL", "0", "0", "0", "0", "0", "", "", "0", "0", "0", "0", "0", "0"],
]
# No incidents in this programme (tests/reports/test_monthly.py has them).
EXPECTED_CSV = [CSV_HEADER, *(row + ["0", "0", "0", "0"] for row in _CSV_ROWS)]


def at(year: int, month: int, day: int = 15) -> datetime.datetime:
    return datetime.datetime(year, month, day, 12, tzinfo=datetime.UTC)


def fulfilled_in(claim, when: datetime.datetime) -> None:
    event = ClaimEvent.objects.create(
        claim=claim,
        kind=ClaimEvent.Kind.STATUS_CHANGED,
        actor_kind="system",
        old_status="fulfilling",
        new_status="fulfilled",
    )
    ClaimEvent.objects.filter(pk=event.pk).update(created_at=when)  # append-only: dated by an update


@pytest.fixture
def programme():
    facility, _ = facility_with_token()
    model = ProductModelFactory(model_number="A1263")

    recall_a = RecallFactory(code="R-A", announced_on=datetime.date(2026, 7, 1))
    MarketRuleFactory(recall=recall_a, country="US")
    MarketRuleFactory(
        recall=recall_a,
        country="DE",
        offers_gift_card=False,
        offers_refund=True,
        refund_amount="39.99",
        refund_currency="EUR",
        disposal_before_remedy=True,
    )
    b1 = RecalledBatchFactory(recall=recall_a, model=model, markets=["US", "DE"], listed_serials=10)
    SerialRangeFactory(batch=b1, prefix="AH2306", start=0, end=999)
    b2 = RecalledBatchFactory(recall=recall_a, model=model, markets=["US", "CA"])
    SerialRangeFactory(batch=b2, prefix="AH2307", start=1000, end=1499)
    b3 = RecalledBatchFactory(recall=recall_a, model=model, markets=["DE"], listed_serials=5)
    SerialRangeFactory(batch=b3, prefix="AH2308", start=0, end=99)
    SerialRangeFactory(batch=b3, prefix="AH2309", start=500, end=699)

    def claim(country: str, status: str, remedy: str = "gift_card", *, recall=recall_a, disposed=False, **kw):
        made = ClaimFactory(recall=recall, model=model, country=country, status=status, remedy=remedy, **kw)
        if disposed:
            DisposalConfirmation.objects.create(
                claim=made,
                facility=facility,
                serial_observed=made.serial,
                condition="intact",
                received_at=timezone.now(),
            )
        return made

    claim("US", "needs_review")
    approved = claim("US", "approved")
    ClaimEvent.objects.create(
        claim=approved, kind=ClaimEvent.Kind.STATUS_CHANGED, actor_kind="agent", new_status="approved"
    )
    claim("US", "fulfilling", "replacement")
    remedied = []
    for n, month in enumerate([8, 8, 9]):
        remedy = "replacement" if n == 2 else "gift_card"
        done = claim("US", "fulfilled", remedy, disposed=n == 0)
        remedied.append(done)
        if remedy == "gift_card":
            GiftCard.objects.create(claim=done, code=f"GIFTCARD0000000{n}", amount="40.00", currency="USD")
        else:
            Replacement.objects.create(
                claim=done,
                model=model,
                ship_to_name="Ann Example",
                ship_to_address="1 Main Street",
                ship_to_country="US",
                shipping_status="shipped",
                tracking_number="1Z999",
            )
        fulfilled_in(done, at(2026, month))
    claim("US", "rejected")
    # Approved, then cancelled by the customer, who still handed the unit in: not counted as approved.
    withdrawn = claim("US", "cancelled", disposed=True)
    ClaimEvent.objects.create(
        claim=withdrawn, kind=ClaimEvent.Kind.STATUS_CHANGED, actor_kind="agent", new_status="approved"
    )

    claim("DE", "awaiting_disposal", "refund")
    claim("DE", "awaiting_disposal", "refund")
    paid = claim("DE", "fulfilled", "refund", disposed=True)
    Refund.objects.create(claim=paid, amount="39.99", currency="EUR", payout_status="paid")
    fulfilled_in(paid, at(2026, 11, 1))
    claim("DE", "fulfilling", "refund", disposed=True)
    claim("DE", "needs_review", "refund")

    claim("FR", "needs_review", serial="", serial_recalled=False)

    us = campaign_with_waves(recall_a, "US", [Channel.EMAIL, Channel.SMS])
    owners = [known_owner(recall_a) for _ in range(5)]
    handed_in = remedied[0]
    handed_in.disposal_confirmed_at = timezone.now()
    handed_in.save(update_fields=["disposal_confirmed_at"])
    notice(us, 1, owners[0], opened=True, checked=True, claim=handed_in)
    notice(us, 1, owners[1], opened=True)
    notice(us, 2, owners[1])
    notice(us, 1, owners[2], status=Notice.Status.BOUNCED)
    notice(us, 2, owners[2], opened=True, checked=True, claim=approved)
    notice(us, 1, owners[3], status=Notice.Status.PENDING)
    notice(us, 1, owners[4], status=Notice.Status.STOPPED)
    de = campaign_with_waves(recall_a, "DE", [Channel.LETTER])
    notice(de, 1, known_owner(recall_a, country="DE"))

    recall_b = RecallFactory(code="R-B", announced_on=datetime.date(2026, 9, 15))
    MarketRuleFactory(recall=recall_b, country="JP", offers_gift_card=False)
    batch_jp = RecalledBatchFactory(recall=recall_b, model=model, markets=["JP"])
    SerialRangeFactory(batch=batch_jp, prefix="JP2506", start=1, end=2000)
    jp = claim("JP", "fulfilled", "replacement", recall=recall_b)
    fulfilled_in(jp, at(2026, 10, 31))

    recall_c = RecallFactory(code="R-C", announced_on=datetime.date(2026, 10, 1))
    MarketRuleFactory(recall=recall_c, country="GB", gift_card_currency="GBP")
    return recall_a, recall_b, recall_c


# --- The figures ----------------------------------------------------------------------------------


def test_every_figure_of_every_row(programme):
    rows = recall_report_rows()
    assert rows == EXPECTED_ROWS


def test_rates_are_exact_fractions_and_undefined_without_units(programme):
    rows = {(r.recall, r.market): r for r in recall_report_rows()}
    assert rows["R-A", "US"].correction_rate == Decimal(3) / Decimal(1510)
    assert rows["R-A", "US"].disposal_rate == Decimal(2) / Decimal(1510)
    assert rows["R-A", "DE"].correction_rate == Decimal(1) / Decimal(1315)
    assert rows["R-A", "DE"].disposal_rate == Decimal(2) / Decimal(1315)
    assert rows["R-A", "CA"].correction_rate == 0
    assert rows["R-A", "TOTAL"].correction_rate == Decimal(4) / Decimal(1815)
    assert rows["R-A", "TOTAL"].disposal_rate == Decimal(4) / Decimal(1815)
    assert rows["R-B", "JP"].correction_rate == Decimal("0.0005")
    assert rows["R-B", "JP"].disposal_rate == 0
    for key in [("R-A", "FR"), ("R-C", "GB"), ("R-C", "TOTAL")]:
        assert rows[key].correction_rate is None and rows[key].disposal_rate is None
    assert [r.market for r in rows.values() if r.is_total] == ["TOTAL"] * 3


def test_a_batch_sold_in_two_markets_counts_in_both_but_once_in_the_total(programme):
    rows = {(r.recall, r.market): r.units_affected for r in recall_report_rows(recall_code="R-A")}
    assert rows["R-A", "US"] + rows["R-A", "DE"] + rows["R-A", "CA"] == 3325
    assert rows["R-A", "TOTAL"] == 1815


def test_one_recall(programme):
    assert recall_report_rows(recall_code="R-B") == EXPECTED_ROWS[5:7]


def test_unknown_recall_is_not_found(programme):
    with pytest.raises(ApplicationError) as raised:
        recall_report_rows(recall_code="NOPE")
    assert raised.value.code == "not_found"
    assert raised.value.detail == "No recall with code 'NOPE'. Known recalls: R-A, R-B, R-C."


def test_no_recalls_no_rows(db):
    assert recall_report_rows() == []
    assert correction_rate_by_month() == []
    with pytest.raises(ApplicationError) as raised:
        recall_report_rows(recall_code="NOPE")
    assert raised.value.detail == "No recall with code 'NOPE'. Known recalls: none."


# --- The monthly series ---------------------------------------------------------------------------


def test_correction_rate_by_month_is_cumulative_from_the_announcement(programme):
    series = correction_rate_by_month(until=datetime.date(2026, 11, 20))
    by_recall = {s.recall: s for s in series}
    assert list(by_recall) == ["R-A", "R-B", "R-C"]

    a = by_recall["R-A"]
    assert a.units_affected == 1815
    assert a.points == [
        MonthPoint(datetime.date(2026, 7, 1), 0, Decimal(0)),
        MonthPoint(datetime.date(2026, 8, 1), 2, Decimal(2) / 1815),
        MonthPoint(datetime.date(2026, 9, 1), 3, Decimal(3) / 1815),
        MonthPoint(datetime.date(2026, 10, 1), 3, Decimal(3) / 1815),
        MonthPoint(datetime.date(2026, 11, 1), 4, Decimal(4) / 1815),
    ]
    b = by_recall["R-B"]
    assert b.points == [
        MonthPoint(datetime.date(2026, 9, 1), 0, Decimal(0)),
        MonthPoint(datetime.date(2026, 10, 1), 1, Decimal("0.0005")),
        MonthPoint(datetime.date(2026, 11, 1), 1, Decimal("0.0005")),
    ]
    c = by_recall["R-C"]
    assert c.units_affected == 0
    assert [(p.month, p.remedies_issued, p.correction_rate) for p in c.points] == [
        (datetime.date(2026, 10, 1), 0, None),
        (datetime.date(2026, 11, 1), 0, None),
    ]
    # The last month reaches the report's TOTAL row.
    totals = {r.recall: r for r in recall_report_rows() if r.is_total}
    assert a.points[-1].remedies_issued == totals["R-A"].remedies_issued


def test_the_series_runs_on_into_the_next_year(programme):
    (series,) = correction_rate_by_month(recall_code="R-A", until=datetime.date(2027, 2, 1))
    assert [p.month for p in series.points][-4:] == [
        datetime.date(2026, 11, 1),
        datetime.date(2026, 12, 1),
        datetime.date(2027, 1, 1),
        datetime.date(2027, 2, 1),
    ]
    assert series.points[-1].remedies_issued == 4


def test_series_for_one_recall_stops_at_the_reporting_month(programme):
    (series,) = correction_rate_by_month(recall_code="R-A", until=datetime.date(2026, 9, 3))
    # The September report drawn again in November: later remedies are left out.
    assert [(p.month.month, p.remedies_issued) for p in series.points] == [(7, 0), (8, 2), (9, 3)]
    with pytest.raises(ApplicationError):
        correction_rate_by_month(recall_code="NOPE")


def test_chart_draws_one_line_per_recall_with_units(programme):
    chart = correction_chart(correction_rate_by_month(until=datetime.date(2026, 11, 20)))
    assert [line.label for line in chart.lines] == ["R-A", "R-B"]  # R-C has no units: no rate to draw
    assert len(chart.lines[0].dots) == 5 and len(chart.lines[1].dots) == 3
    assert [t.label for t in chart.x_ticks] == ["Jul 2026", "Aug 2026", "Sep 2026", "Oct 2026", "Nov 2026"]
    # Peak 0.2204 % -> axis up to 0.5 %, in fifths.
    assert [t.label for t in chart.y_ticks] == ["0%", "0.1%", "0.2%", "0.3%", "0.4%", "0.5%"]
    assert chart.lines[0].dots[0] == (chart.left, chart.bottom)
    assert chart.lines[0].dots[-1][0] == chart.right
    assert chart.lines[0].last_rate == "0.2204%"


# --- The command ----------------------------------------------------------------------------------


def run(*args) -> str:
    out = io.StringIO()
    call_command("recall_report", *args, stdout=out)
    return out.getvalue()


def test_command_table_is_aligned_with_percentages(programme):
    lines = run().splitlines()
    progress, notices = lines[:11], lines[12 : lines.index("", 12)]
    assert progress[0].split() == CSV_HEADER[:9]
    assert set(progress[1]) == {"-", " "}
    assert len({len(line) for line in progress}) == 1  # figures right-aligned to one edge
    assert notices[0] == "Recall notices (each known owner once):"
    assert notices[1].split() == [
        "recall",
        "market",
        "notified",
        "opened",
        "checked",
        "claimed",
        "remedied",
        "disposed",
    ]
    assert len({len(line) for line in notices[1:]}) == 1
    assert [line.split() for line in notices[3:]][1:4] == [
        ["R-A", "DE", "1", "0", "0", "0", "0", "0"],
        ["R-A", "FR", "0", "0", "0", "0", "0", "0"],
        ["R-A", "US", "3", "3", "2", "2", "1", "1"],
    ]
    assert notices[7].split() == ["R-A", "TOTAL", "4", "3", "2", "2", "1", "1"]
    cells = [line.split() for line in progress[2:]]
    assert cells == [
        ["R-A", "CA", "500", "0", "0", "0", "0", "0.0000%", "0.0000%"],
        ["R-A", "DE", "1,315", "5", "4", "1", "2", "0.0760%", "0.1521%"],
        ["R-A", "FR", "0", "1", "0", "0", "0", "n/a", "n/a"],
        ["R-A", "US", "1,510", "8", "5", "3", "2", "0.1987%", "0.1325%"],
        ["R-A", "TOTAL", "1,815", "14", "9", "4", "4", "0.2204%", "0.2204%"],
        ["R-B", "JP", "2,000", "1", "1", "1", "0", "0.0500%", "0.0000%"],
        ["R-B", "TOTAL", "2,000", "1", "1", "1", "0", "0.0500%", "0.0000%"],
        ["R-C", "GB", "0", "0", "0", "0", "0", "n/a", "n/a"],
        ["R-C", "TOTAL", "0", "0", "0", "0", "0", "n/a", "n/a"],
    ]


def test_command_csv(programme):
    assert list(csv.reader(io.StringIO(run("--format", "csv")))) == EXPECTED_CSV


def test_command_csv_for_one_recall(programme):
    assert list(csv.reader(io.StringIO(run("--recall", "R-B", "--format", "csv")))) == [
        CSV_HEADER,
        *EXPECTED_CSV[6:8],
    ]


def test_command_unknown_recall(programme):
    with pytest.raises(CommandError, match=r"No recall with code 'NOPE'\. Known recalls: R-A, R-B, R-C\."):
        run("--recall", "NOPE")


# --- The admin page -------------------------------------------------------------------------------

REPORT_URL = "admin:reports_recallreport_changelist"
CSV_URL = "admin:reports_recallreport_csv"


def staff(username: str, *, allowed: bool) -> User:
    user = User.objects.create_user(username, password="x", is_staff=True)
    if allowed:
        user.user_permissions.add(
            Permission.objects.get(content_type__app_label="reports", codename="view_recall_report")
        )
    return user


def test_the_permission_exists(db):
    permission = Permission.objects.get(content_type__app_label="reports", codename="view_recall_report")
    assert permission.name == "Can view the recall report"


def test_admin_report_page(client, programme):
    client.force_login(staff("regulator-liaison", allowed=True))
    index = client.get(reverse("admin:index"))
    assert reverse(REPORT_URL) in index.content.decode()

    response = client.get(reverse(REPORT_URL))
    assert response.status_code == 200
    page = response.content.decode()
    assert "Recall programme: monthly progress report" in page
    assert f"Reporting period:</strong> {timezone.localdate():%B %Y}" in page
    assert "Fire risk" in page  # the hazard
    assert "<td>US</td><td>A replacement unit of the same model or a gift card worth 40.00 USD.</td>" in page
    assert (
        "<td>DE</td><td>A replacement unit of the same model or a refund of 39.99 EUR; the remedy is issued "
        "once a certified recycling centre has confirmed the unit&#x27;s disposal.</td>"
    ) in page
    for cells in [
        ["1,510", "8", "5", "3", "2", "0.1987%", "0.1325%"],
        ["1,315", "5", "4", "1", "2", "0.0760%", "0.1521%"],
        ["1,815", "14", "9", "4", "4", "0.2204%", "0.2204%"],
    ]:
        assert "".join(f'<td class="num">{cell}</td>' for cell in cells) in page
    chart = page.split('id="correction-rate-chart"')[1].split("</section>")[0]
    assert "<svg" in chart and "<script" not in chart
    assert chart.count("<polyline") == 2  # R-A and R-B; R-C has no units affected
    assert ">R-A</title>" in chart and ">0.5%</text>" in chart and ">Jul 2026</text>" in chart
    assert "R-A: 0.2204% to date" in chart
    assert reverse(CSV_URL) in page
    notices = page.split('id="recall-R-A"')[1].split("</section>")[0].split("<h3>Recall notices</h3>")[1]
    for cells in [["3", "3", "2", "2", "1", "1"], ["4", "3", "2", "2", "1", "1"]]:
        assert "".join(f'<td class="num">{cell}</td>' for cell in cells) in notices
    bars = notices.split("<svg")[1].split("</svg>")[0]
    assert bars.count("<rect") == 2 * 6  # DE and US, six stages each
    assert "<title>US: claimed 2</title>" in bars and "<script" not in notices
    assert "No recall notices sent yet." in page.split('id="recall-R-B"')[1].split("</section>")[0]


def test_admin_report_for_one_recall_and_unknown(client, programme):
    client.force_login(staff("liaison", allowed=True))
    page = client.get(reverse(REPORT_URL), {"recall": "R-B"}).content.decode()
    assert "R-B" in page and 'id="recall-R-A"' not in page
    assert client.get(reverse(REPORT_URL), {"recall": "NOPE"}).status_code == 404


def test_admin_report_svg_numbers_are_not_localised(client, programme):
    client.force_login(staff("liaison-de", allowed=True))
    page = client.get(reverse(REPORT_URL), HTTP_ACCEPT_LANGUAGE="de").content.decode()
    assert 'lang="de"' in page  # German admin: decimal commas would break the SVG's coordinates
    chart = page.split('id="correction-rate-chart"')[1].split("</svg>")[0]
    coordinates = re.findall(r' (?:x|y|x1|x2|y1|y2|cx|cy)="([^"]*)"', chart)
    assert coordinates and all(re.fullmatch(r"-?\d+(\.\d+)?", value) for value in coordinates)


def test_admin_report_csv_download(client, programme):
    client.force_login(staff("liaison", allowed=True))
    response = client.get(reverse(CSV_URL))
    assert response.status_code == 200
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert response["Content-Disposition"].startswith('attachment; filename="recall-report-all-')
    body = response.content.decode()
    assert list(csv.reader(io.StringIO(body))) == EXPECTED_CSV
    assert body == run("--format", "csv")


def test_staff_without_the_permission_is_refused(client, programme):
    client.force_login(staff("agent", allowed=False))
    assert client.get(reverse(REPORT_URL)).status_code == 403
    assert client.get(reverse(CSV_URL)).status_code == 403
    assert reverse(REPORT_URL) not in client.get(reverse("admin:index")).content.decode()


def test_non_staff_are_sent_to_log_in(client, programme):
    client.force_login(User.objects.create_user("customer", password="x"))
    response = client.get(reverse(REPORT_URL))
    assert response.status_code == 302 and reverse("admin:login") in response["Location"]


# --- A constant number of queries -----------------------------------------------------------------


def grow(recalls: int) -> None:
    """``recalls`` recalls, each with two markets, two batches and a handful of claims and disposals."""
    facility, _ = facility_with_token(name=f"Centre {recalls}")
    for _ in range(recalls):
        rule = MarketRuleFactory(country="US")
        MarketRuleFactory(recall=rule.recall, country="DE", gift_card_currency="EUR")
        model = ProductModelFactory()
        for markets in (["US", "DE"], ["US"]):
            SerialRangeFactory(batch=RecalledBatchFactory(recall=rule.recall, model=model, markets=markets))
        for status in ["needs_review", "approved", "fulfilled", "fulfilled"]:
            claim = ClaimFactory(recall=rule.recall, model=model, status=status)
            if status == "fulfilled":
                fulfilled_in(claim, timezone.now())
                DisposalConfirmation.objects.create(
                    claim=claim,
                    facility=facility,
                    serial_observed=claim.serial,
                    condition="intact",
                    received_at=timezone.now(),
                )


def queries(work) -> int:
    with CaptureQueriesContext(connection) as captured:
        work()
    return len(captured)


@pytest.mark.parametrize(
    "work",
    [
        pytest.param(recall_report_rows, id="rows"),
        pytest.param(correction_rate_by_month, id="monthly"),
    ],
)
def test_queries_do_not_grow_with_recalls_and_claims(work):
    grow(2)
    few = queries(work)
    grow(8)
    assert len(recall_report_rows()) == 30  # 10 recalls x (US, DE, TOTAL)
    assert queries(work) == few <= 7


def test_admin_page_queries_do_not_grow(client):
    client.force_login(staff("liaison", allowed=True))
    url = reverse(REPORT_URL)
    grow(2)
    few = queries(lambda: client.get(url))
    grow(8)
    assert queries(lambda: client.get(url)) == few
