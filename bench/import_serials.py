"""Serial import benchmark: ``recalls.services.serials_import`` against a raw PostgreSQL ``COPY``.

Writes N shuffled serials of the demo model A1263 to a temporary file and imports it with the real
service in a child process, measuring rows/s and that process's peak RSS (``ru_maxrss``). On
PostgreSQL it then ``COPY``s the same file into a fresh table with the columns and the unique index of
``recalls_recalledserial`` (the baseline) and prints import rate / COPY rate. The benchmark batch, its
serials and the baseline table are removed afterwards, so runs are comparable.

    .venv/bin/python bench/import_serials.py [N]        # N defaults to 1,000,000

Targets: import rate >= 0.7 x COPY rate; peak RSS < 200 MB even for 10,000,000 rows.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.common import database_label, print_table, recall_and_model, setup_django, write_serials

BATCH = "BENCH import_serials"
BASELINE = "bench_copy_baseline"
PREFIX = "BX"


def child(mode: str, path: str) -> None:
    """The measured process: Django alone (``idle``) or Django importing the file (``import``)."""
    setup_django(prepare=False)
    from recalls.services import serials_import

    result = {}
    if mode == "import":
        recall, model = recall_and_model()
        started = time.perf_counter()
        with open(path, "rb") as source:
            report = serials_import(recall=recall, model=model, source=source, batch_name=BATCH)
        result = {"seconds": time.perf_counter() - started, "imported": report.imported}
        result["rejected"] = report.rejected_count
    print(json.dumps(result))


def run_child(mode: str, path: Path) -> tuple[dict, float]:
    """Runs ``child`` in a fresh interpreter: its JSON result and its peak RSS in MB."""
    proc = subprocess.Popen([sys.executable, __file__, "--child", mode, str(path)], stdout=subprocess.PIPE)
    output = proc.stdout.read()
    _, status, usage = os.wait4(proc.pid, 0)
    proc.returncode = os.waitstatus_to_exitcode(status)
    if proc.returncode:
        raise SystemExit(f"the {mode} process failed with exit code {proc.returncode}")
    return json.loads(output), usage.ru_maxrss / 1024


def clean_up() -> None:
    from django.db import connection

    from recalls.models import RecalledBatch, RecalledSerial

    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(f"DROP TABLE IF EXISTS {BASELINE}")
        for batch in RecalledBatch.objects.filter(name=BATCH):
            cursor.execute(f"DELETE FROM {RecalledSerial._meta.db_table} WHERE batch_id = %s", [batch.pk])
            batch.delete()
        if connection.vendor == "postgresql":
            cursor.execute(f"VACUUM ANALYZE {RecalledSerial._meta.db_table}")


def copy_baseline(path: Path) -> float:
    """Seconds to COPY the file into a fresh table shaped like recalls_recalledserial, commit included."""
    from django.db import connection, transaction

    recall, model = recall_and_model()
    with connection.cursor() as cursor:
        cursor.execute(
            f"CREATE TABLE {BASELINE} (batch_id bigint NOT NULL DEFAULT 0, "
            f"recall_id bigint NOT NULL DEFAULT {int(recall.pk)}, "
            f"model_id bigint NOT NULL DEFAULT {int(model.pk)}, serial varchar(32) NOT NULL, "
            f"UNIQUE (model_id, serial, recall_id))"
        )
        started = time.perf_counter()
        copy_sql = f"COPY {BASELINE} (serial) FROM STDIN"
        with transaction.atomic(), path.open("rb") as source, cursor.copy(copy_sql) as copy:
            while block := source.read(1 << 20):
                copy.write(block)
        seconds = time.perf_counter() - started
        cursor.execute(f"DROP TABLE {BASELINE}")
    return seconds


def main(rows: int) -> None:
    setup_django()
    from django.db import connection

    from recalls.models import RecalledSerial

    clean_up()
    existing = RecalledSerial.objects.count()
    with tempfile.TemporaryDirectory(prefix="bench-import-") as tmp:
        path = Path(tmp) / "serials.txt"
        started = time.perf_counter()
        write_serials(path, PREFIX, rows)
        print(
            f"Wrote {rows:,} shuffled serials ({path.stat().st_size / 1e6:.1f} MB) "
            f"in {time.perf_counter() - started:.1f} s; {database_label()}, "
            f"recalls_recalledserial holds {existing:,} rows."
        )

        copy_seconds = copy_baseline(path) if connection.vendor == "postgresql" else None
        _, idle_rss = run_child("idle", path)
        try:
            result, import_rss = run_child("import", path)
        finally:
            clean_up()

    import_rate = rows / result["seconds"]
    table = [
        [
            "serials_import (child process)",
            f"{rows:,}",
            f"{result['seconds']:.2f}",
            f"{import_rate:,.0f}",
            f"{import_rss:.0f} MB",
        ]
    ]
    if copy_seconds is not None:
        table.append(
            ["raw COPY baseline", f"{rows:,}", f"{copy_seconds:.2f}", f"{rows / copy_seconds:,.0f}", "-"]
        )
    table.append(["Django set up, no import", "-", "-", "-", f"{idle_rss:.0f} MB"])
    print_table(f"Import of {rows:,} serials of A1263", ["", "rows", "seconds", "rows/s", "peak RSS"], table)
    print(f"\n  imported {result['imported']:,} new rows, {result['rejected']:,} rejected")
    if copy_seconds is None:
        print("  ratio import/COPY: n/a - the COPY baseline needs PostgreSQL (set DATABASE_URL)")
    else:
        print(f"  ratio import/COPY: {import_rate * copy_seconds / rows:.2f}   (target >= 0.7)")
    print(f"  peak RSS of the import process: {import_rss:.0f} MB   (target < 200 MB)")


if __name__ == "__main__":
    if sys.argv[1:2] == ["--child"]:
        child(sys.argv[2], sys.argv[3])
    else:
        main(int(sys.argv[1].replace("_", "").replace(",", "")) if len(sys.argv) > 1 else 1_000_000)
