"""Serial checks counted off the request's path: each process adds to a dict in memory, and a thread
adds the dict to the day's tally rows with one ``INSERT .. ON CONFLICT DO UPDATE`` every
``SERIAL_CHECK_TALLY_SECONDS`` and at the process's exit.

A check costs the request one lock and one dict increment. What a crash can lose: the counts a
process buffered since its last flush (at most the last ``SERIAL_CHECK_TALLY_SECONDS`` of its checks)
when it is killed without running ``atexit`` (SIGKILL, out of memory); a flush the database refuses
is kept in the buffer and tried again at the next one.
"""

from __future__ import annotations

import atexit
import datetime
import logging
import os
import threading
from collections import Counter

from django.conf import settings
from django.db import connection, transaction

from recalls.services import SerialCheck

from .models import SerialCheckTally

logger = logging.getLogger(__name__)

# day, model id, country, recall code ("" when no recall covered the unit)
Key = tuple[datetime.date, int, str, str]


class DailyTally:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._counts: Counter[Key] = Counter()
        self._flushing = False  # a thread of this process flushes (a forked child has none yet)
        self._stop = threading.Event()
        os.register_at_fork(after_in_child=self._forked)

    def _forked(self) -> None:
        self._lock = threading.Lock()
        self._counts = Counter()  # the parent's counts are the parent's to flush
        self._flushing = False

    def add(self, key: Key, n: int = 1) -> None:
        with self._lock:
            self._counts[key] += n
            if not self._flushing:
                self._start()

    def pending(self) -> dict[Key, int]:
        with self._lock:
            return dict(self._counts)

    def discard(self) -> None:
        with self._lock:
            self._counts.clear()

    def _start(self) -> None:
        self._flushing = True
        every = settings.SERIAL_CHECK_TALLY_SECONDS
        if every <= 0:
            return  # flushed by whoever calls flush() (tests), and at exit
        thread = threading.Thread(target=self._run, args=(every,), name="serial-check-tally", daemon=True)
        thread.start()

    def _run(self, every: float) -> None:
        while not self._stop.wait(every):
            self.flush()
            connection.close()  # this thread's own connection: no idle one kept between flushes

    def flush(self) -> int:
        """Adds what was buffered to the tally rows; returns the rows written."""
        with self._lock:
            counts, self._counts = self._counts, Counter()
        if not counts:
            return 0
        try:
            _upsert(counts)
        except Exception:
            logger.exception("serial_check_tally.flush_failed rows=%s", len(counts))
            with self._lock:
                self._counts.update(counts)
            return 0
        return len(counts)


def _upsert(counts: Counter[Key]) -> None:
    table = SerialCheckTally._meta.db_table
    rows = sorted(counts.items())  # one order for every process: concurrent flushes cannot deadlock
    values = ", ".join(["(%s, %s, %s, %s, %s)"] * len(rows))
    params: list[object] = []
    for (day, model_id, country, recall_code), n in rows:
        params.extend([day, model_id, country, recall_code, n])
    sql = (
        f"INSERT INTO {table} (day, model_id, country, recall_code, checks) VALUES {values} "  # noqa: S608
        "ON CONFLICT (day, model_id, country, recall_code) "
        f"DO UPDATE SET checks = {table}.checks + excluded.checks"
    )
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(sql, params)


serial_checks = DailyTally()


def serial_check_count(result: SerialCheck) -> None:
    """The ``recalls.extensions.serial_checked`` slot: one check of the day, noted in memory."""
    day = datetime.datetime.now(datetime.UTC).date()
    recall_code = result.recall.code if result.recall is not None else ""
    serial_checks.add((day, result.model.pk, result.country, recall_code))


@atexit.register
def _flush_at_exit() -> None:
    if settings.SERIAL_CHECK_TALLY_SECONDS > 0 and serial_checks.pending():
        serial_checks.flush()
