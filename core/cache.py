"""The embedded cache: Django's file cache, shared by the processes of one machine."""

from __future__ import annotations

import fcntl
import os
from contextlib import contextmanager

from django.core.cache.backends.base import DEFAULT_TIMEOUT
from django.core.cache.backends.filebased import FileBasedCache


class FileCache(FileBasedCache):
    """Django's file cache, whose ``add`` and ``incr`` are each one step for all the machine's processes.

    Django reads a file and writes it back: two processes adding one to a counter at once both write
    the same number, and a throttle let a burst through. Here they take turns on one lock file.
    """

    def __init__(self, dir, params):
        super().__init__(dir, params)
        self._folder = os.path.abspath(dir)

    @contextmanager
    def _turn(self):
        os.makedirs(self._folder, 0o700, exist_ok=True)
        fd = os.open(os.path.join(self._folder, "counters.lock"), os.O_CREAT | os.O_RDWR, 0o600)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX)
            yield
        finally:
            os.close(fd)  # releases the lock

    def add(self, key, value, timeout=DEFAULT_TIMEOUT, version=None):
        with self._turn():
            return super().add(key, value, timeout, version)

    def incr(self, key, delta=1, version=None):
        with self._turn():
            return super().incr(key, delta, version)
