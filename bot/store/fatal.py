"""A store failure after which nothing more may be written: the process must stop (and be restarted).

A failed fsync of the SQLite write-ahead log is one: Linux reports a write-back error once, so a later fsync
on a new descriptor can succeed while the pages it should have flushed are lost, and a commit reported
durable then might not be. Every commit from then on fails with StoreFatal, and whoever runs the process
(the `run` command) is told through `listen()`: it stops with a clear error and a non-zero exit status, so
systemd restarts it, and the next start reconciles from what is on disk.
"""

from __future__ import annotations

import threading
from collections.abc import Callable

from bot.store.records import OutboxError

_lock = threading.Lock()
_listeners: list[Callable[[StoreFatal], None]] = []


class StoreFatal(OutboxError):
    """The store can no longer promise that a commit is durable: stop the process; a restart reconciles."""


def listen(listener: Callable[[StoreFatal], None]) -> Callable[[], None]:
    """Call `listener` (from the failing thread) when a store of this process fails for good. Returns the
    function that stops listening."""
    with _lock:
        _listeners.append(listener)

    def stop() -> None:
        with _lock:
            if listener in _listeners:
                _listeners.remove(listener)

    return stop


def declare(error: StoreFatal) -> None:
    """Tell every listener that `error` happened."""
    with _lock:
        listeners = list(_listeners)
    for listener in listeners:
        listener(error)
