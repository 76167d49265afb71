"""Monthly report benchmark: the CPSC's monthly progress report of one recall with a million claims.

On PostgreSQL (``DATABASE_URL``, migrated and loaded with the demo if needed), a recall of its own
(``BENCH-MONTHLY``, the demo model A1263, markets US and DE, a range of 2,000,000 units) is written with
one ``INSERT .. SELECT generate_series`` a table (set-up, not timed): N claims (default 1,000,000) made
over twelve months of 2025, a third on the web, a third through the API, a third before the channel was
kept; 30 % of them fulfilled with a gift card, 5 % with a replacement shipped, 5 % with a refund paid;
D disposals (default 100,000), I incidents (default 10,000, half before the announcement, one in ten
with an injury), 10,000 status-link requests, 10,000 notices and a year of serial-check tallies.

Timed, R rounds each, taking turns (load from elsewhere on the machine weighs on both alike):
(a) the floor: one ``SELECT count(*)`` of the recall's claims (the one scan any report of them needs);
(b) the report of June 2025: ``reports.services.monthly_reports`` and its CSV, as the command gives it;
(c) its PDF (weasyprint).
Printed: the best and median seconds of each, the report's queries (the same whatever N: the test suite
pins them on two sizes), the ratio report / floor. What the bench wrote is deleted at the end, on errors
and on Ctrl-C too.

    .venv/bin/python bench/report.py [--claims N] [--disposals D] [--incidents I] [--rounds R]

Target: the report under 2 s.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.common import DEFAULT_DATABASE_URL, database_label, print_table, setup_django

CODE = "BENCH-MONTHLY"


def _insert_select(model, expressions: dict[str, str], source: str, params: list | None = None) -> None:
    """``INSERT INTO <model's table> (every column) SELECT ... FROM source``: columns not given take the
    model field's default (or NULL where it may be null)."""
    from django.db import connection

    columns, values, all_params = [], [], []
    for field in model._meta.concrete_fields:
        if field.primary_key:
            continue
        columns.append(field.column)
        if field.column in expressions:
            values.append(expressions[field.column].replace("%", "%%"))  # no placeholders in them
        elif getattr(field, "auto_now", False) or getattr(field, "auto_now_add", False):
            values.append("now()")
        elif field.null:
            values.append("NULL")
        else:
            values.append("%s")
            all_params.append(field.get_db_prep_save(field.get_default(), connection))
    sql = (
        f"INSERT INTO {model._meta.db_table} ({', '.join(columns)}) SELECT {', '.join(values)} FROM {source}"  # noqa: S608
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, [*all_params, *(params or [])])


def build(claims: int, disposals: int, incidents: int) -> None:
    import datetime

    from django.db import connection, transaction

    from claims.models import Claim
    from disposal.models import DisposalConfirmation, RecyclingFacility
    from fulfilment.models import GiftCard, Refund, Replacement
    from incidents.models import Incident
    from recalls.models import ProductModel, Recall
    from reports.models import SerialCheckTally, StatusLinkRequest
    from tests.factories import MarketRuleFactory, RecalledBatchFactory, SerialRangeFactory

    model = ProductModel.objects.get(model_number="A1263")
    facility = RecyclingFacility.objects.order_by("pk").first()
    with transaction.atomic():
        recall = Recall.objects.create(
            code=CODE, title="Bench recall", hazard="fire", announced_on=datetime.date(2025, 3, 1)
        )
        recall.models.add(model)
        MarketRuleFactory(recall=recall, country="US")
        MarketRuleFactory(
            recall=recall, country="DE", offers_refund=True, refund_amount="39.99", refund_currency="EUR"
        )
        batch = RecalledBatchFactory(recall=recall, model=model, name="BENCH monthly", markets=["US", "DE"])
        SerialRangeFactory(batch=batch, prefix="BM", start=0, end=1_999_999)
    # A claim's time: spread over 2025 by its number; its remedy's a day later.
    made_at = "timestamptz '2025-01-01 00:00Z' + (g * interval '31536 seconds') / {per_mille}"
    t0 = time.perf_counter()
    _insert_select(
        Claim,
        {
            "reference": "'RB' || lpad(g::text, 10, '0')",
            "recall_id": str(recall.pk),
            "model_id": str(model.pk),
            "serial": "'BM' || lpad(g::text, 14, '0')",
            "country": "CASE WHEN g % 4 = 0 THEN 'DE' ELSE 'US' END",
            "remedy": "CASE WHEN g % 20 = 1 THEN 'replacement' WHEN g % 20 = 2 THEN 'refund' ELSE 'gift_card' END",
            "status": "CASE WHEN g % 10 < 4 THEN 'fulfilled' ELSE 'needs_review' END",
            "customer_name": "'Bench Customer'",
            "email": "'bench' || g || '@example.com'",
            "address_line1": "'1 Main Street'",
            "city": "'Springfield'",
            "postal_code": "'12345'",
            "channel": "CASE g % 3 WHEN 0 THEN 'web' WHEN 1 THEN 'api' ELSE '' END",
            "access_token_hash": "md5(g::text) || md5(g::text)",
            "created_at": made_at.format(per_mille=claims // 1000 or 1),
        },
        "generate_series(1, %s) AS g",
        [claims],
    )
    first = Claim.objects.filter(recall=recall).order_by("pk").values_list("pk", flat=True).first()
    with connection.cursor() as cursor:
        cursor.execute(
            f"CREATE TEMP TABLE bench_claims AS SELECT id, created_at, (id - {first} + 1) AS g, serial FROM claims_claim WHERE recall_id = %s",
            [recall.pk],
        )  # noqa: S608
    one_day_later = "created_at + interval '1 day'"
    _insert_select(
        GiftCard,
        {
            "claim_id": "id",
            "code": "upper(substr(md5(g::text), 1, 16))",
            "amount": "40",
            "currency": "'USD'",
            "issued_at": one_day_later,
        },
        "bench_claims WHERE g %% 10 < 4 AND g %% 20 NOT IN (1, 2)",
    )
    _insert_select(
        Replacement,
        {
            "claim_id": "id",
            "model_id": str(model.pk),
            "ship_to_name": "'Bench'",
            "ship_to_address": "'1 Main Street'",
            "ship_to_country": "'US'",
            "shipping_status": "'shipped'",
            "ordered_at": "created_at",
            "shipped_at": one_day_later,
        },
        "bench_claims WHERE g %% 20 = 1",
    )
    _insert_select(
        Refund,
        {
            "claim_id": "id",
            "amount": "39.99",
            "currency": "'EUR'",
            "payout_status": "'paid'",
            "instructed_at": "created_at",
            "paid_at": one_day_later,
        },
        "bench_claims WHERE g %% 20 = 2",
    )
    every = max(1, claims // disposals)
    _insert_select(
        DisposalConfirmation,
        {
            "claim_id": "id",
            "facility_id": str(facility.pk),
            "serial_observed": "serial",
            "condition": "'intact'",
            "received_at": "created_at",
            "created_at": "created_at + interval '2 days'",
        },
        f"bench_claims WHERE g %% {every} = 0 LIMIT {disposals}",
    )
    _insert_select(
        Incident,
        {
            "reference": "'IB' || lpad(g::text, 10, '0')",
            "recall_id": str(recall.pk),
            "model_id": str(model.pk),
            "country": "'US'",
            "kind": "'overheating'",
            "injury": "g % 10 = 0",
            "property_damage": "false",
            "occurred_on": "date '2025-03-01' + (g % 120 - 60)",
            "description": "'It got hot.'",
            "name": "'Bench'",
            "email": "'bench@example.com'",
            "language": "'en'",
            "channel": "CASE WHEN g % 2 = 0 THEN 'web' ELSE 'api' END",
            "created_at": "timestamptz '2025-03-01 00:00Z' + g * interval '1 hour' / 2",
        },
        "generate_series(1, %s) AS g",
        [incidents],
    )
    _insert_select(
        StatusLinkRequest,
        {
            "recall_id": str(recall.pk),
            "channel": "CASE WHEN g % 2 = 0 THEN 'web' ELSE 'api' END",
            "requested_at": "timestamptz '2025-01-01 00:00Z' + g * interval '50 minutes'",
        },
        "generate_series(1, 10000) AS g",
    )
    _insert_select(
        SerialCheckTally,
        {
            "day": "date '2025-01-01' + g",
            "model_id": str(model.pk),
            "country": "c",
            "recall_code": "r",
            "checks": "100 + g",
        },
        "generate_series(0, 364) AS g, (VALUES ('US'), ('DE')) AS cs(c), (VALUES (%s)) AS rs(r)",
        [CODE],
    )
    with connection.cursor() as cursor:
        cursor.execute("DROP TABLE bench_claims")
        cursor.execute("ANALYZE")
    print(
        f"Wrote {claims:,} claims, their remedies, {disposals:,} disposals, {incidents:,} incidents in {time.perf_counter() - t0:.1f} s."
    )


def clean() -> None:
    from django.db import connection

    from recalls.models import Recall

    recall = Recall.objects.filter(code=CODE).first()
    if recall is None:
        return
    with connection.cursor() as cursor:
        for sql in (
            "DELETE FROM disposal_disposalconfirmation WHERE claim_id IN (SELECT id FROM claims_claim WHERE recall_id = %s)",
            "DELETE FROM claims_giftcard WHERE claim_id IN (SELECT id FROM claims_claim WHERE recall_id = %s)",
            "DELETE FROM claims_replacement WHERE claim_id IN (SELECT id FROM claims_claim WHERE recall_id = %s)",
            "DELETE FROM claims_refund WHERE claim_id IN (SELECT id FROM claims_claim WHERE recall_id = %s)",
            "DELETE FROM incidents_incident WHERE recall_id = %s",
            "DELETE FROM reports_statuslinkrequest WHERE recall_id = %s",
            "DELETE FROM reports_monthlyreportlock WHERE recall_id = %s",
            "DELETE FROM claims_claim WHERE recall_id = %s",
        ):
            cursor.execute(sql, [recall.pk])
        cursor.execute("DELETE FROM reports_serialchecktally WHERE recall_code = %s", [CODE])
    for batch in recall.batches.all():
        batch.ranges.all().delete()
        batch.markets.all().delete()
        batch.delete()
    recall.market_rules.all().delete()
    recall.models.clear()
    recall.delete()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--claims", type=int, default=1_000_000)
    parser.add_argument("--disposals", type=int, default=100_000)
    parser.add_argument("--incidents", type=int, default=10_000)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument(
        "--keep", action="store_true", help="keep the data for the next run (which reuses it)"
    )
    args = parser.parse_args()
    import os

    os.environ.setdefault("DATABASE_URL", DEFAULT_DATABASE_URL)
    setup_django()
    import datetime

    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from reports.services import monthly_report_csv, monthly_report_pdf, monthly_reports

    if connection.vendor != "postgresql":
        sys.exit("bench/report.py needs PostgreSQL: set DATABASE_URL")
    from recalls.models import Recall as _Recall

    kept = _Recall.objects.filter(code=CODE).exists() and args.keep
    if not kept:
        clean()
    try:
        if not kept:
            build(args.claims, args.disposals, args.incidents)
        june = datetime.date(2025, 6, 1)
        from recalls.models import Recall

        recall_id = Recall.objects.get(code=CODE).pk

        def floor() -> None:
            with connection.cursor() as cursor:
                cursor.execute("SELECT count(*) FROM claims_claim WHERE recall_id = %s", [recall_id])
                cursor.fetchone()

        def report() -> bytes:
            return monthly_report_csv(monthly_reports(month=june, recall_code=CODE))

        def pdf() -> bytes:
            return monthly_report_pdf(monthly_reports(month=june, recall_code=CODE))

        timings: dict[str, list[float]] = {"floor": [], "report": [], "pdf": []}
        report()  # warm-up: caches, weasyprint's fonts
        pdf()
        for _ in range(args.rounds):
            for name, work in (("floor", floor), ("report", report), ("pdf", pdf)):
                start = time.perf_counter()
                work()
                timings[name].append(time.perf_counter() - start)
        with CaptureQueriesContext(connection) as captured:
            data = report()
        total = next(line for line in data.decode().splitlines() if ",Units corrected,Total," in line)
        print(f"\nMonthly report of June 2025, {database_label()}: {len(captured)} queries; {total}")
        slowest = sorted(captured.captured_queries, key=lambda q: -float(q["time"]))[:5]
        for query in slowest:
            print(f"  {float(query['time']):.3f} s  {query['sql'][:150]}")
        rows = [
            [label, f"{min(timings[name]):.3f}", f"{statistics.median(timings[name]):.3f}"]
            for name, label in (
                ("floor", "SELECT count(*) of the recall's claims"),
                ("report", "monthly report (figures + CSV)"),
                ("pdf", "monthly report (figures + PDF)"),
            )
        ]
        print_table(f"{args.claims:,} claims, {args.rounds} rounds", ["", "best s", "median s"], rows)
        ratio = statistics.median(timings["report"]) / statistics.median(timings["floor"])
        print(f"\n  ratio report/floor: {ratio:.1f}   (target: report under 2 s)")
    finally:
        if not args.keep:
            clean()


if __name__ == "__main__":
    main()
