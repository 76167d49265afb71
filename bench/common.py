"""What the benchmarks share: Django set-up on the configured database, serial files, plain tables."""

from __future__ import annotations

import io
import os
import random
import sys
from array import array
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
RECALL_CODE = "ANKER-2025-06-A1263"
MODEL_NUMBER = "A1263"


def setup_django(*, prepare: bool = True) -> None:
    """Django on DATABASE_URL (config.settings.local, no query log); migrate and load the demo if asked."""
    if str(ROOT) not in sys.path:
        sys.path.insert(0, str(ROOT))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.local")
    os.environ.setdefault("DJANGO_DEBUG", "0")
    import django

    django.setup()
    if prepare:
        from django.core.management import call_command

        from recalls.models import ProductModel, Recall

        call_command("migrate", interactive=False, verbosity=0)
        has_demo = Recall.objects.filter(code=RECALL_CODE).exists()
        if not has_demo or not ProductModel.objects.filter(model_number=MODEL_NUMBER).exists():
            call_command("load_demo", stdout=io.StringIO())


def recall_and_model():
    from recalls.models import ProductModel, Recall

    return Recall.objects.get(code=RECALL_CODE), ProductModel.objects.get(model_number=MODEL_NUMBER)


def database_label() -> str:
    from django.db import connection

    return f"{connection.vendor}, database {connection.settings_dict['NAME']}"


def write_serials(path: Path, prefix: str, count: int, seed: int = 1) -> None:
    """``count`` distinct serials ``prefix`` + 14 digits (numbers 0..count-1), in shuffled order."""
    numbers = array("q", range(count))
    random.Random(seed).shuffle(numbers)
    with path.open("w") as out:
        for start in range(0, count, 100_000):
            out.write("".join(f"{prefix}{n:014d}\n" for n in numbers[start : start + 100_000]))


def print_table(title: str, headers: list[str], rows: list[list[object]]) -> None:
    cells = [headers, *[[str(c) for c in row] for row in rows]]
    widths = [max(len(row[i]) for row in cells) for i in range(len(headers))]
    print(f"\n{title}")
    for n, row in enumerate(cells):
        padded = [row[0].ljust(widths[0])] + [c.rjust(w) for c, w in zip(row[1:], widths[1:], strict=True)]
        print("  " + "  ".join(padded))
        if n == 0:
            print("  " + "  ".join("-" * w for w in widths))
