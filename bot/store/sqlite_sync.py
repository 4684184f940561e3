"""Group commit for the SQLite outbox: one fsync of the write-ahead log makes many threads' commits durable.

SQLite commits one writer at a time, and with `synchronous = FULL` each commit waits for its own fsync of
the WAL while holding the write lock: 50 accounts marking their first fragment `sending` at the same
instant wait for 50 fsyncs in a row. Instead, the connections commit with `synchronous = NORMAL` (the
frames are written to the WAL, not flushed) and each writer that needs durability calls `wait(n)` with its
commit's number after letting go of the write lock: one thread flushes the WAL file, and every commit
written before that flush began is durable when it ends. The others wait for it, or lead the next flush.
The WAL is one file written in order, so a flush covers every earlier commit: a method still returns only
once its commit is on disk, as before.
"""

from __future__ import annotations

import os
import threading
from pathlib import Path


class GroupSync:
    """Commit numbers and the flushes that cover them (one per outbox)."""

    def __init__(self, wal: Path) -> None:
        self._wal = wal
        self._state = threading.Condition()
        self._committed = 0  # the number of the last commit written to the WAL
        self._synced = 0  # every commit up to this number is on disk
        self._flushing = False

    def committed(self) -> int:
        """Call right after a COMMIT, under the write lock: this commit's number."""
        with self._state:
            self._committed += 1
            return self._committed

    def wait(self, number: int) -> None:
        """Return once commit `number` is on disk (flushing the WAL if no flush that covers it is under way)."""
        with self._state:
            while self._synced < number:
                if self._flushing:
                    self._state.wait()
                    continue
                self._flushing = True
                target = self._committed  # every commit up to here was written before the flush starts
                self._state.release()
                try:
                    self._flush()
                finally:
                    self._state.acquire()
                    self._flushing = False
                    self._state.notify_all()
                self._synced = max(self._synced, target)

    def _flush(self) -> None:
        # fsync flushes the file (its inode), whichever descriptor asks; the WAL exists while connections are open
        try:
            handle = os.open(self._wal, os.O_RDONLY)
        except FileNotFoundError:  # no WAL (yet, or checkpointed away by a closing reader): the database has it all
            handle = os.open(self._wal.with_name(self._wal.name.removesuffix("-wal")), os.O_RDONLY)
        try:
            os.fsync(handle)
        finally:
            os.close(handle)
