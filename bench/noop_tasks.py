"""The baseline task of ``bench/fulfilment.py``: it does nothing but count itself.

The bench's worker imports this module with ``-I bench.noop_tasks``. Each run adds one to
``COUNTER_KEY`` in the Redis database named by ``BENCH_NOOP_REDIS_URL`` (the bench's broker database),
so that the bench sees when all of them have run.
"""

from __future__ import annotations

import os
from functools import cache

from celery import shared_task

NAME = "bench.noop_tasks.noop"
COUNTER_KEY = "bench:noop:done"
REDIS_URL_VARIABLE = "BENCH_NOOP_REDIS_URL"


@cache
def _redis():
    """One client per pool process, made on first use (after the fork)."""
    import redis

    return redis.Redis.from_url(os.environ[REDIS_URL_VARIABLE])


@shared_task(name=NAME)
def noop() -> None:
    _redis().incr(COUNTER_KEY)
