"""Recall notices benchmark, one part at a time (``--part``).

``import``: writes a contacts CSV of N owners of the demo model A1263 (US and Germany; most serials in
the demo range, some outside it, some unknown) to a temporary file and imports it with the real
service, ``outreach.services.owners_import``, in a child process, measuring rows/s and that process's
peak RSS (VmHWM). It ``COPY``s the same file into a fresh table with the columns, defaults and indexes
of ``outreach_knownowner`` (the baseline), and into one with its two foreign keys too, before and after
the import (so load elsewhere weighs on both alike), each after a checkpoint, and prints import rate /
COPY rate. The benchmark's owners and the baseline table are removed afterwards, so runs are
comparable. The baseline needs PostgreSQL (``DATABASE_URL``).

    .venv/bin/python bench/outreach.py --part import [--rows N]     # N defaults to 1,000,000
    .venv/bin/python bench/outreach.py --part plan [--owners N]      # bench/outreach_waves.py
    .venv/bin/python bench/outreach.py --part send [--notices M]     # bench/outreach_waves.py

Targets: import rate >= 0.5 x COPY rate (same indexes); peak RSS < 200 MB.
"""

from __future__ import annotations

import argparse
import contextlib
import datetime
import json
import random
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.common import (
    DEMO_PREFIX,
    DEMO_RANGE_SIZE,
    DEMO_WIDTH,
    RECALL_CODE,
    database_label,
    peak_rss_kib,
    print_table,
    setup_django,
)

SOURCE = "BENCH outreach"
BASELINE = "bench_owner_copy_baseline"
HEADER = "name,email,phone,address_line1,city,postal_code,country,model_number,serial,purchased_on"
FIRST_NAMES = ["Ann", "Bo", "Chris", "Dana", "Erik", "Fatma", "Gus", "Hanna", "Ivo", "Jana", "Kai", "Lena"]
LAST_NAMES = ["Example", "Miller", "Schmidt", "Smith", "Weber", "Johnson", "Fischer", "Brown", "Wagner"]
STREETS = ["Main Street", "Oak Avenue", "Hauptstraße", "Park Road", "Bahnhofstr.", "Elm Drive"]
CITIES = {"US": ["Springfield", "Portland", "Madison"], "DE": ["Berlin", "München", "Köln"]}


# --- Contacts files -------------------------------------------------------------------------------


def write_contacts(path: Path, count: int, seed: int = 1) -> None:
    """``count`` distinct owners: 80% in the US, 20% in Germany; 90% with a serial of the demo range, 5%
    with one outside every batch (not covered), 5% without a serial."""
    rng = random.Random(seed)
    first_day = datetime.date(2023, 7, 1).toordinal()
    with path.open("w", encoding="utf-8", newline="") as out:
        out.write(HEADER + "\r\n")
        for start in range(0, count, 50_000):
            rows = []
            for n in range(start, min(start + 50_000, count)):
                first, last = rng.choice(FIRST_NAMES), rng.choice(LAST_NAMES)
                country = "DE" if rng.random() < 0.2 else "US"
                kind = rng.random()
                if kind < 0.9:
                    serial = f"{DEMO_PREFIX}{rng.randrange(DEMO_RANGE_SIZE):0{DEMO_WIDTH}d}"
                elif kind < 0.95:
                    serial = f"AH2307{rng.randrange(DEMO_RANGE_SIZE):0{DEMO_WIDTH}d}"
                else:
                    serial = ""
                phone = f"+1 202 555 {n % 10_000:04d}" if country == "US" else f"030 {n % 10_000_000:07d}"
                rows.append(
                    f"{first} {last},{first.lower()}.{last.lower()}{n}@example.com,{phone},"
                    f"{rng.randrange(1, 300)} {rng.choice(STREETS)},{rng.choice(CITIES[country])},"
                    f"{rng.randrange(10_000, 99_999)},{country},A1263,{serial},"
                    f"{datetime.date.fromordinal(first_day + rng.randrange(540)).isoformat()}\r\n"
                )
            out.write("".join(rows))


# --- Measured processes ---------------------------------------------------------------------------


def child(mode: str, path: str) -> None:
    """The measured process: Django alone (``idle``) or Django importing the file (``import``)."""
    setup_django(prepare=False)
    from outreach.services import owners_import
    from recalls.models import Recall

    result: dict = {}
    if mode == "import":
        recall = Recall.objects.get(code=RECALL_CODE)
        started = time.perf_counter()
        with open(path, "rb") as lines:
            report = owners_import(recall=recall, source=SOURCE, lines=lines)
        result = {
            "seconds": time.perf_counter() - started,
            "imported": report.imported,
            "not_covered": report.not_covered,
            "skipped": report.skipped_known,
            "bad": report.bad_line_count,
        }
    print(json.dumps({**result, "peak_rss_mb": peak_rss_kib() / 1024}))


def checkpoint() -> None:
    """Write out what earlier phases left dirty (a COPY of a million rows is a gigabyte of WAL), so that
    no phase pays for another's checkpoint. Skipped where the role may not checkpoint."""
    from django.db import DatabaseError, connection

    if connection.vendor != "postgresql":
        return
    with contextlib.suppress(DatabaseError), connection.cursor() as cursor:
        cursor.execute("CHECKPOINT")


def run_child(mode: str, path: Path) -> dict:
    if mode == "import":
        checkpoint()
    command = [sys.executable, __file__, "--child", mode, str(path)]
    return json.loads(subprocess.run(command, stdout=subprocess.PIPE, check=True).stdout)


def clean_up() -> None:
    from django.db import connection

    from outreach.models import KnownOwner

    with connection.cursor() as cursor:
        cursor.execute(f"DROP TABLE IF EXISTS {BASELINE}")
        cursor.execute(f"DELETE FROM {KnownOwner._meta.db_table} WHERE source = %s", [SOURCE])
        cursor.execute(f"VACUUM ANALYZE {KnownOwner._meta.db_table}")


def copy_baseline(path: Path, *, foreign_keys: bool = False) -> float:
    """Seconds to COPY the file into a fresh table shaped like outreach_knownowner, commit included.

    Its columns, types, defaults and indexes (unique key included) are the real table's; the file's
    model number goes into ``model_id`` (made text), the e-mail's key is the e-mail lower-cased and the
    row's key a random hash, so every index is as wide and as unordered as the import's. With
    ``foreign_keys``, also the real table's two foreign keys (the model's by its number), checked at
    commit as Django declares them: what any load into the real table pays for per row."""
    from django.db import connection, transaction

    from outreach.models import KnownOwner
    from recalls.models import ProductModel, Recall

    recall = Recall.objects.get(code=RECALL_CODE)
    table = KnownOwner._meta.db_table
    with connection.cursor() as cursor:
        cursor.execute(f"CREATE TABLE {BASELINE} (LIKE {table} INCLUDING ALL)")
        cursor.execute(
            f"ALTER TABLE {BASELINE} ALTER model_id TYPE text, DROP email_key, "
            f"ADD email_key varchar(254) GENERATED ALWAYS AS (lower(email)) STORED, "
            f"ALTER row_key SET DEFAULT encode(sha256(random()::text::bytea), 'hex'), "
            f"ALTER recall_id SET DEFAULT {int(recall.pk)}, ALTER source SET DEFAULT '{SOURCE}', "
            "ALTER covered SET DEFAULT true, ALTER email_bounced SET DEFAULT false, "
            "ALTER imported_at SET DEFAULT now()"
        )
        cursor.execute(f"CREATE INDEX ON {BASELINE} (email_key)")  # dropped with the column
        if foreign_keys:
            cursor.execute(
                f"ALTER TABLE {BASELINE} "
                f"ADD FOREIGN KEY (recall_id) REFERENCES {Recall._meta.db_table} (id) DEFERRABLE INITIALLY DEFERRED, "
                f"ADD FOREIGN KEY (model_id) REFERENCES {ProductModel._meta.db_table} (model_number) "
                "DEFERRABLE INITIALLY DEFERRED"
            )
        checkpoint()
        started = time.perf_counter()
        copy_sql = (
            f"COPY {BASELINE} (name, email, phone, address_line1, city, postal_code, country, model_id, "
            "serial, purchased_on) FROM STDIN (FORMAT csv, HEADER true, FORCE_NOT_NULL (name, email, phone, "
            "address_line1, city, postal_code, serial))"
        )
        with transaction.atomic(), path.open("rb") as source, cursor.copy(copy_sql) as copy:
            while block := source.read(1 << 20):
                copy.write(block)
        seconds = time.perf_counter() - started
        cursor.execute(f"DROP TABLE {BASELINE}")
    return seconds


def copy_baselines(path: Path) -> tuple[float, float]:
    """The COPY into the table with the same indexes, and into the one with its foreign keys too."""
    return copy_baseline(path), copy_baseline(path, foreign_keys=True)


# --- Parts ----------------------------------------------------------------------------------------


def part_import(args: argparse.Namespace) -> None:
    rows = args.rows
    setup_django()
    from django.db import connection

    from outreach.models import KnownOwner

    postgres = connection.vendor == "postgresql"
    if postgres:
        clean_up()
    existing = KnownOwner.objects.count()
    with tempfile.TemporaryDirectory(prefix="bench-outreach-") as tmp:
        path = Path(tmp) / "contacts.csv"
        started = time.perf_counter()
        write_contacts(path, rows)
        print(
            f"Wrote {rows:,} owners ({path.stat().st_size / 1e6:.1f} MB) in {time.perf_counter() - started:.1f} s; "
            f"{database_label()}, outreach_knownowner holds {existing:,} rows."
        )
        copies = [copy_baselines(path)] if postgres else []
        idle_rss = run_child("idle", path)["peak_rss_mb"]
        try:
            result = run_child("import", path)
        finally:
            if postgres:
                clean_up()
            else:
                KnownOwner.objects.filter(source=SOURCE).delete()
        copies += [copy_baselines(path)] if postgres else []

    def row(label: str, seconds: float, rss: str) -> list[str]:
        return [label, f"{rows:,}", f"{seconds:.2f}", f"{rows / seconds:,.0f}", rss]

    table = [row("owners_import (child process)", result["seconds"], f"{result['peak_rss_mb']:.0f} MB")]
    for when, (indexes, foreign_keys) in zip(["before", "after"], copies, strict=False):
        table.append(row(f"raw COPY, same indexes, {when} the import", indexes, "-"))
        table.append(row(f"raw COPY, same indexes and foreign keys, {when}", foreign_keys, "-"))
    table.append(["Django set up, no import", "-", "-", "-", f"{idle_rss:.0f} MB"])
    print_table(
        f"Import of {rows:,} known owners of A1263", ["", "rows", "seconds", "rows/s", "peak RSS"], table
    )
    print(
        f"\n  imported {result['imported']:,} owners ({result['not_covered']:,} not covered), "
        f"{result['skipped']:,} already known, {result['bad']:,} bad lines"
    )
    if copies:
        for n, (label, target) in enumerate(
            [("same indexes", "   (target >= 0.5)"), ("and foreign keys", "")]
        ):
            ratio = sum(c[n] for c in copies) / len(copies) / result["seconds"]
            print(f"  ratio import/COPY ({label}): {ratio:.2f}{target}   (against the mean of both COPYs)")
    else:
        print("  ratio import/COPY: n/a - the COPY baseline needs PostgreSQL (set DATABASE_URL)")
    print(f"  peak RSS of the import process: {result['peak_rss_mb']:.0f} MB   (target < 200 MB)")


def part_waves(args: argparse.Namespace) -> None:
    """Planning a wave and sending it run in ``bench/outreach_waves.py`` (with a worker of their own):
    the same figures from here, with that script's options passed on."""
    script = Path(__file__).with_name("outreach_waves.py")
    sys.exit(subprocess.call([sys.executable, str(script), "--part", args.part, *args.rest]))  # noqa: S603


PARTS = {"import": part_import, "plan": part_waves, "send": part_waves}


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__.split("\n\n")[0], formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument(
        "--part", choices=sorted(PARTS), default="import", help="what to measure (default import)"
    )
    parser.add_argument("--rows", type=int, default=1_000_000, help="owners in the file (default 1,000,000)")
    args, args.rest = parser.parse_known_args()
    if args.rest and args.part == "import":
        parser.error(f"unknown arguments: {' '.join(args.rest)}")
    PARTS[args.part](args)


if __name__ == "__main__":
    if sys.argv[1:2] == ["--child"]:
        child(sys.argv[2], sys.argv[3])
    else:
        main()
