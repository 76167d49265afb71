"""Serial import benchmark: ``recalls.services.serials_import`` against a raw PostgreSQL ``COPY``.

Writes N shuffled serials of the demo model A1263 to a temporary file and imports it with the real
service in a child process, measuring rows/s and that process's peak RSS (VmHWM). On
PostgreSQL it then ``COPY``s the same file into a fresh table with the columns and the unique index of
``recalls_recalledserial`` (the baseline) and prints import rate / COPY rate. The benchmark batch, its
serials and the baseline table are removed afterwards, so runs are comparable.

    .venv/bin/python bench/import_serials.py [N]        # N defaults to 1,000,000

Targets: import rate >= 0.7 x COPY rate; peak RSS < 200 MB even for 10,000,000 rows.
"""

from __future__ import annotations

import json
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.common import (
    database_label,
    peak_rss_kib,
    print_table,
    recall_and_model,
    setup_django,
    write_serials,
)

BATCH = "BENCH import_serials"
BASELINE = "bench_copy_baseline"
PREFIX = "BX"


def peak_rss_mb() -> float:
    """This process's peak RSS. Not the parent's ``wait4``/``RUSAGE_CHILDREN`` ``ru_maxrss``: on Linux
    that starts from the parent's own size at the fork (exec keeps the larger high-water mark)."""
    try:
        return peak_rss_kib() / 1024
    except OSError:
        return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / (
            1 << 20 if sys.platform == "darwin" else 1024
        )


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
    print(json.dumps({**result, "peak_rss_mb": peak_rss_mb()}))


def run_child(mode: str, path: Path) -> dict:
    """Runs ``child`` in a fresh interpreter and returns its JSON result."""
    command = [sys.executable, __file__, "--child", mode, str(path)]
    return json.loads(subprocess.run(command, stdout=subprocess.PIPE, check=True).stdout)


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

    from recalls.models import RecalledSerial

    recall, model = recall_and_model()
    table = RecalledSerial._meta.db_table
    with connection.cursor() as cursor:
        # The columns of the real table, types and collation included, and its one index (its key).
        cursor.execute(
            f"CREATE TABLE {BASELINE} AS SELECT batch_id, recall_id, model_id, serial FROM {table} WITH NO DATA"
        )
        cursor.execute(
            f"ALTER TABLE {BASELINE} ALTER batch_id SET DEFAULT 0, ALTER batch_id SET NOT NULL, "
            f"ALTER recall_id SET DEFAULT {int(recall.pk)}, ALTER recall_id SET NOT NULL, "
            f"ALTER model_id SET DEFAULT {int(model.pk)}, ALTER model_id SET NOT NULL, "
            f"ALTER serial SET NOT NULL, ADD UNIQUE (model_id, serial, recall_id)"
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

        postgres = connection.vendor == "postgresql"
        copies = [copy_baseline(path)] if postgres else []
        idle_rss = run_child("idle", path)["peak_rss_mb"]
        try:
            result = run_child("import", path)
        finally:
            clean_up()
        copies += [copy_baseline(path)] if postgres else []  # before and after: load elsewhere weighs alike

    def row(label: str, seconds: float, rss: str) -> list[str]:
        return [label, f"{rows:,}", f"{seconds:.2f}", f"{rows / seconds:,.0f}", rss]

    table = [row("serials_import (child process)", result["seconds"], f"{result['peak_rss_mb']:.0f} MB")]
    for when, seconds in zip(["before", "after"], copies, strict=False):
        table.append(row(f"raw COPY baseline, {when} the import", seconds, "-"))
    table.append(["Django set up, no import", "-", "-", "-", f"{idle_rss:.0f} MB"])
    print_table(f"Import of {rows:,} serials of A1263", ["", "rows", "seconds", "rows/s", "peak RSS"], table)
    print(f"\n  imported {result['imported']:,} new rows, {result['rejected']:,} rejected")
    if copies:
        ratio = sum(copies) / len(copies) / result["seconds"]
        print(f"  ratio import/COPY: {ratio:.2f}   (target >= 0.7; against the mean time of both COPYs)")
    else:
        print("  ratio import/COPY: n/a - the COPY baseline needs PostgreSQL (set DATABASE_URL)")
    print(f"  peak RSS of the import process: {result['peak_rss_mb']:.0f} MB   (target < 200 MB)")


if __name__ == "__main__":
    if sys.argv[1:2] == ["--child"]:
        child(sys.argv[2], sys.argv[3])
    else:
        main(int(sys.argv[1].replace("_", "").replace(",", "")) if len(sys.argv) > 1 else 1_000_000)
