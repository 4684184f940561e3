"""Lease keepers: every lease a daemon holds renewed from ONE thread (issue 22), not a thread per post.

Fifty posts due at one instant started fifty renewal threads at their time, each start a hand-over of the
interpreter lock among the posts already running. Renewals instead wait in one queue, by time, on one thread
started at the first lease. A renewal that fails to reach the database is tried again at the next beat (the
lease may still be valid, and the holder's view stops sends at its local deadline meanwhile); a lost lease
ends its keeper for good. stop() returns once no renewal of its lease is running or will run.

One thread for all: a renewal blocked on the database delays the others queued behind it, by at most the
store's lock timeout (10 s) against a lease of 20 s renewed every 5 s; a database that slow stops every
holder's sends anyway (their local deadlines), which is the safe side.
"""

from __future__ import annotations

import heapq
import itertools
import logging
import threading
import time
from datetime import timedelta
from typing import Generic, Protocol, TypeVar

from bot.i18n import _
from bot.store.leases import Lease, LeaseLost
from bot.store.records import OutboxError

logger = logging.getLogger("bot.daemon")  # its lines are the daemon's


class Renewable(Protocol):
    def renew(self) -> Lease: ...


V = TypeVar("V", bound=Renewable)


class Renewals:
    """The one thread that renews every keeper's lease when its beat comes."""

    def __init__(self) -> None:
        self._state = threading.Condition()
        self._queue: list[tuple[float, int, Keeper[Renewable]]] = []  # (monotonic time, order, keeper)
        self._order = itertools.count()
        self._thread: threading.Thread | None = None

    def add(self, keeper: Keeper[Renewable], at: float) -> None:
        with self._state:
            sooner = not self._queue or at < self._queue[0][0]
            heapq.heappush(self._queue, (at, next(self._order), keeper))
            if self._thread is None:
                self._thread = threading.Thread(target=self._loop, name="lease renewals", daemon=True)
                self._thread.start()
            if sooner:
                self._state.notify()

    def _loop(self) -> None:
        while True:
            with self._state:
                while not self._queue:
                    self._state.wait()
                at, _order, keeper = self._queue[0]
                if not keeper.alive:
                    heapq.heappop(self._queue)
                    continue
                wait = at - time.monotonic()
                if wait > 0:
                    self._state.wait(wait)
                    continue
                heapq.heappop(self._queue)
            if keeper.beat():
                self.add(keeper, time.monotonic() + keeper.every)


class Keeper(Generic[V]):
    """Renews one lease (through `view`) every `every`, on the shared Renewals thread, until stopped or lost."""

    def __init__(self, view: V, lease: Lease, every: timedelta, renewals: Renewals) -> None:
        self.view = view
        self.lease = lease  # its token is what release_lease needs; renewals keep it
        self.every = every.total_seconds()
        self._ended = threading.Event()  # stopped, or the lease lost
        self._renewing = threading.Lock()  # held while its renewal runs
        renewals.add(self, time.monotonic() + self.every)  # type: ignore[arg-type]  # (V is Renewable)

    def beat(self) -> bool:
        """Renew now (from the Renewals thread). False: stopped or lost, no more beats."""
        with self._renewing:
            if self._ended.is_set():
                return False
            try:
                self.view.renew()
            except LeaseLost as error:
                logger.warning("%s", error)
                self._ended.set()
                return False
            except OutboxError as error:  # unreachable: try again at the next beat
                logger.warning(_("lease renewal failed: {error}").format(error=error))
            return True

    @property
    def alive(self) -> bool:
        return not self._ended.is_set()

    def stop(self) -> None:
        """No renewal of this lease after this returns (one running now is waited for)."""
        self._ended.set()
        with self._renewing:
            pass
