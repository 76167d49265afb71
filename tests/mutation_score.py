"""The mutation score per module of the last ``make mutation`` run, and its survivors.

    python tests/mutation_score.py [--survivors] [--postgres DATABASE_URL]
    python tests/mutation_score.py --sample N [--seed S]


The score is killed (or timed out) over checked. ``make mutation`` runs on SQLite; ``--postgres`` runs
each survivor's tests again on PostgreSQL, where the mutants of what only PostgreSQL does (COPY, row
locks, SKIP LOCKED) can be told apart, and counts those it kills.

A whole run takes hours on two cores; ``--sample N`` prints the names of N mutants drawn at random from
each module (all of a smaller one), for ``mutmut run`` to check only those (``make mutation-sample``):
the scores it then prints estimate each module's, within a few points.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import subprocess
import sys
from collections import Counter
from pathlib import Path

from mutmut.stats import status_by_exit_code

MUTANTS = Path(__file__).resolve().parent.parent / "mutants"
KILLED = {"killed", "timeout", "caught by type check"}


def results() -> dict[str, dict[str, str]]:
    """Per module: each mutant's status."""
    found = {}
    for meta in sorted(MUTANTS.rglob("*.py.meta")):
        codes = json.loads(meta.read_text())["exit_code_by_key"]
        module = str(meta.relative_to(MUTANTS)).removesuffix(".meta")
        found[module] = {name: status_by_exit_code[code] for name, code in codes.items()}
    return found


def killed_on_postgres(survivors: list[str], database_url: str) -> set[str]:
    tests_by_function = json.loads((MUTANTS / "mutmut-stats.json").read_text())[
        "tests_by_mangled_function_name"
    ]
    killed = set()
    for name in survivors:
        tests = sorted(tests_by_function.get(name.partition("__mutmut_")[0], []))
        if not tests:
            continue
        env = {**os.environ, "MUTANT_UNDER_TEST": name, "DATABASE_URL": database_url}
        run = subprocess.run(
            [sys.executable, "-m", "pytest", "-x", "-q", "-p", "no:cacheprovider", "--reuse-db", *tests],
            cwd=MUTANTS,
            env=env,
            capture_output=True,
        )
        if run.returncode == 1:  # a test failed; any other code is a broken run, not a kill
            killed.add(name)
        print(f"{'killed' if name in killed else 'survived'} on PostgreSQL: {name}", file=sys.stderr)
    return killed


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--survivors", action="store_true", help="list each module's survivors")
    parser.add_argument("--postgres", metavar="DATABASE_URL", help="run the survivors' tests on PostgreSQL")
    parser.add_argument("--sample", type=int, metavar="N", help="print N mutant names of each module")
    parser.add_argument("--seed", type=int, default=1, help="of the sample's draw")
    args = parser.parse_args()
    if args.sample:
        draw = random.Random(args.seed)
        for statuses in results().values():
            print("\n".join(draw.sample(sorted(statuses), min(args.sample, len(statuses)))))
        return

    by_module = results()
    pg_killed: set[str] = set()
    if args.postgres:
        survivors = [
            name for statuses in by_module.values() for name, s in statuses.items() if s == "survived"
        ]
        pg_killed = killed_on_postgres(survivors, args.postgres)

    print(f"{'module':<28} {'checked':>8} {'killed':>7} {'on PG':>6} {'score':>7}")
    for module, statuses in by_module.items():
        counts = Counter(statuses.values())
        checked = sum(n for status, n in counts.items() if status not in {"not checked", "skipped"})
        killed = sum(counts[status] for status in KILLED)
        on_pg = sum(1 for name in statuses if name in pg_killed)
        score = (killed + on_pg) / checked if checked else 0.0
        unchecked = f"  ({counts['not checked']} not checked)" if counts["not checked"] else ""
        print(f"{module:<28} {checked:>8} {killed:>7} {on_pg:>6} {score:>7.1%}{unchecked}")
        if args.survivors:
            for name, status in statuses.items():
                if status not in KILLED | {"not checked", "skipped"} and name not in pg_killed:
                    print(f"    {status}: {name}")


if __name__ == "__main__":
    main()
