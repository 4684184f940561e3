"""Group commit for the SQLite outbox: one fsync of the write-ahead log makes many threads' commits durable.

SQLite commits one writer at a time, and with `synchronous = FULL` each commit waits for its own fsync of
the WAL while holding the write lock: 50 accounts marking their first fragment `sending` at the same
instant wait for 50 fsyncs in a row. Instead, the connections commit with `synchronous = NORMAL` (the
frames are written to the WAL, not flushed) and each writer that needs durability calls `wait(n)` with its
commit's number after letting go of the write lock: one thread flushes the WAL file, and every commit
written before that flush began is durable when it ends. The others wait for it, or lead the next flush.
The WAL is one file written in order, so a flush covers every earlier commit: a method still returns only
once its commit is on disk, as before.

A failed flush is fatal (bot/store/fatal.py): Linux reports a write-back error to one fsync only, so a
retry on a new descriptor could "succeed" with the pages lost. Every commit waiting for that flush, and
every commit after it, fails with StoreFatal, and nothing is flushed again: the process must stop, and its
next start reconciles from what is on disk.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Callable
from pathlib import Path

from bot.i18n import _
from bot.store.fatal import StoreFatal, declare


class GroupSync:
    """Commit numbers and the flushes that cover them (one per outbox)."""

    def __init__(self, wal: Path, fsync: Callable[[int], None] = os.fsync) -> None:
        self._wal = wal
        self._fsync = fsync  # a file descriptor's flush: os.fsync (a seam for the tests)
        self._failed: StoreFatal | None = None
        self._state = threading.Condition()
        self._committed = 0  # the number of the last commit written to the WAL
        self._synced = 0  # every commit up to this number is on disk
        self._flushing = False

    def check(self) -> None:
        """Call before a write transaction begins: raises StoreFatal once a flush has failed."""
        with self._state:
            if self._failed is not None:
                raise self._failed

    def committed(self) -> int:
        """Call right after a COMMIT, under the write lock: this commit's number."""
        with self._state:
            if self._failed is not None:
                raise self._failed
            self._committed += 1
            return self._committed

    def wait(self, number: int) -> None:
        """Return once commit `number` is on disk (flushing the WAL if no flush that covers it is under way)."""
        with self._state:
            while self._failed is not None or self._synced < number:
                if self._failed is not None:
                    raise self._failed
                if self._flushing:
                    self._state.wait()
                    continue
                self._flushing = True
                target = self._committed  # every commit up to here was written before the flush starts
                self._state.release()
                failure: OSError | None = None
                try:
                    self._flush()
                except OSError as error:
                    failure = error
                finally:
                    self._state.acquire()
                    self._flushing = False
                    if failure is not None:
                        self._failed = StoreFatal(
                            _(
                                "flushing the outbox's write-ahead log {wal} to disk failed ({error}): the last "
                                "commits may be lost, so nothing more is recorded; stopping (a restart reconciles "
                                "the outbox from what is on disk)"
                            ).format(wal=self._wal, error=failure)
                        )
                    self._state.notify_all()
                if failure is not None:
                    assert self._failed is not None
                    declare(self._failed)
                    raise self._failed
                self._synced = max(self._synced, target)

    def _flush(self) -> None:
        # fsync flushes the file (its inode), whichever descriptor asks; the WAL exists while connections are open
        try:
            handle = os.open(self._wal, os.O_RDONLY)
        except FileNotFoundError:  # no WAL (yet, or checkpointed away by a closing reader): the database has it all
            handle = os.open(self._wal.with_name(self._wal.name.removesuffix("-wal")), os.O_RDONLY)
        try:
            self._fsync(handle)
        finally:
            os.close(handle)
