"""What the bulk imports share: a file's lines decoded one at a time, and a staging table.

An import streams its rows into a temporary table (``COPY`` on PostgreSQL) and moves them into their
own table with one ``INSERT .. SELECT`` that skips the rows already there (by ``ON CONFLICT DO
NOTHING``, or, for the serials, by leaving them out of the SELECT), and in one transaction a file is
imported whole or not at all.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from typing import Any

from django.db import connection

UTF8_BOM = b"\xef\xbb\xbf"
_UTF16_BOMS = (b"\xff\xfe", b"\xfe\xff")
# Rows per INSERT where there is no COPY.
_INSERT_BATCH = 2_000


class UnreadableText(Exception):
    """The file is not UTF-8 text: nothing of it should be kept."""


def text_start(head: bytes) -> bytes:
    """The file's first bytes without a UTF-8 BOM (spreadsheets write one); a UTF-16 file raises."""
    if head.startswith(_UTF16_BOMS):
        raise UnreadableText("The file is UTF-16 text; save it as UTF-8 and import it again.")
    return head.removeprefix(UTF8_BOM)


def text_lines(lines: Iterable[bytes]) -> Iterator[str]:
    """The lines as text, numbered from 1, each decoded on its own: memory stays that of one line, and a
    line that is not UTF-8 is named by its number (a decoder reading ahead in blocks would name the
    block's first line)."""
    iterator = iter(lines)
    first = next(iterator, None)
    if first is None:
        return
    for number, line in enumerate(itertools.chain([text_start(first)], iterator), start=1):
        try:
            yield line.decode("utf-8")
        except UnicodeDecodeError:
            raise UnreadableText(
                f"Line {number} is not UTF-8 text; save the file as UTF-8 and import it again."
            ) from None


@contextmanager
def staging_table(name: str, columns: str) -> Iterator[Any]:
    """A cursor and a temporary table ``name`` (``columns``: its SQL column list) to load a file into.

    Dropped at the end rather than ON COMMIT: two imports may share one transaction (load_demo). After an
    error it is not dropped here: the transaction's rollback takes its creation back.
    """
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            # The sort before the INSERT in memory, not in temporary files.
            cursor.execute("SET LOCAL work_mem = '256MB'")
        cursor.execute(f"CREATE TEMPORARY TABLE {name} ({columns})")
        yield cursor
        cursor.execute(f"DROP TABLE {name}")


def staging_load(cursor: Any, table: str, columns: Sequence[str], rows: Iterable[Sequence[Any]]) -> int:
    """Load ``rows`` into the staging ``table``: one COPY on PostgreSQL, batched INSERTs elsewhere.
    Returns the number of rows loaded."""
    names = ", ".join(columns)
    loaded = 0
    if connection.vendor == "postgresql":
        with cursor.copy(f"COPY {table} ({names}) FROM STDIN") as copy:
            for row in rows:
                copy.write_row(row)
                loaded += 1
        return loaded
    sql = f"INSERT INTO {table} ({names}) VALUES ({', '.join(['%s'] * len(columns))})"  # noqa: S608 - names are ours
    iterator = iter(rows)
    while batch := list(itertools.islice(iterator, _INSERT_BATCH)):
        cursor.executemany(sql, batch)
        loaded += len(batch)
    return loaded
