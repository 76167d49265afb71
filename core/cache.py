"""The embedded cache: Django's file cache, shared by the processes of one machine."""

from __future__ import annotations

import fcntl
import os
import pickle
import time
import zlib
from contextlib import contextmanager

from django.core.cache.backends.base import DEFAULT_TIMEOUT
from django.core.cache.backends.filebased import FileBasedCache


class FileCache(FileBasedCache):
    """Django's file cache, whose ``add`` and ``incr`` are each one step for all the machine's processes.

    Django reads a file and writes it back: two processes adding one to a counter at once both write
    the same number, and a throttle let a burst through. Here they take turns on one lock file, and a
    counter keeps its expiry when it is incremented (Django writes it back with the default timeout,
    which ended an hour's count after five minutes).
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
            try:  # the file as Django writes it: the expiry, then the value
                with open(self._key_to_file(key, version), "rb") as f:  # type: ignore[attr-defined]
                    expiry = pickle.load(f)  # noqa: S301 - the cache's own files, read as Django reads them
                    value = pickle.loads(zlib.decompress(f.read()))  # noqa: S301
            except (FileNotFoundError, EOFError):
                expiry, value = 0, None
            now = time.time()
            if value is None or (expiry is not None and expiry < now):
                raise ValueError(f"Key {key!r} not found")
            # The time it had left (None: it never expires); a hair above 0, which would mean "now".
            left = None if expiry is None else max(expiry - now, 0.001)
            self.set(key, value + delta, left, version)
            return value + delta
