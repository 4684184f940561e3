"""Lease keepers (bot/services/keepers.py): every lease renewed from one thread, at its own beat, until stopped or
lost. The views are fakes that count renewals (the store's renewal itself is tested in test_store_leases.py)."""

from __future__ import annotations

import threading
import time
from datetime import UTC, datetime, timedelta

from bot.services.keepers import Keeper, Renewals
from bot.store.leases import Lease, LeaseLost, StoreUnavailable

EVERY = timedelta(milliseconds=20)
T0 = datetime(2026, 7, 28, 13, 0, tzinfo=UTC)


def lease(n: int) -> Lease:
    return Lease(f"p{n}", "x", "me", n, timedelta(seconds=20), T0, T0, T0, T0, None, None, T0, 0.0)


class View:
    def __init__(self, n: int, fail: type[Exception] | None = None) -> None:
        self.n = n
        self.fail = fail
        self.renewals = 0
        self.threads: set[tuple[str, int]] = set()

    def renew(self) -> Lease:
        self.renewals += 1
        self.threads.add((threading.current_thread().name, threading.get_ident()))
        if self.fail is not None:
            raise self.fail("the database says no")
        return lease(self.n)


def wait_until(condition: object, seconds: float = 10.0) -> None:
    deadline = time.monotonic() + seconds
    while not condition():  # type: ignore[operator]
        assert time.monotonic() < deadline, "not reached in time"
        time.sleep(0.005)


def test_one_thread_renews_every_lease_until_each_is_stopped() -> None:
    renewals = Renewals()
    views = [View(n) for n in range(50)]
    keepers = [Keeper(view, lease(n), EVERY, renewals) for n, view in enumerate(views)]
    wait_until(lambda: all(view.renewals >= 3 for view in views))
    threads = {thread for view in views for thread in view.threads}
    assert len(threads) == 1 and next(iter(threads))[0] == "lease renewals"  # one thread for fifty leases
    for keeper in keepers[:25]:
        keeper.stop()
        assert not keeper.alive
    counts = [view.renewals for view in views[:25]]
    wait_until(lambda: all(view.renewals >= 6 for view in views[25:]))
    assert [view.renewals for view in views[:25]] == counts  # nothing after stop() returned
    for keeper in keepers[25:]:
        keeper.stop()


def test_a_lost_lease_ends_its_keeper_and_an_unreachable_database_is_tried_again() -> None:
    renewals = Renewals()
    lost, unreachable, fine = View(1, LeaseLost), View(2, StoreUnavailable), View(3)
    keepers = [Keeper(view, lease(n), EVERY, renewals) for n, view in enumerate((lost, unreachable, fine))]
    wait_until(lambda: unreachable.renewals >= 3 and fine.renewals >= 3)
    assert lost.renewals == 1 and not keepers[0].alive  # lost: never again
    assert keepers[1].alive and keepers[2].alive  # unreachable: the lease may still be valid, tried at each beat
    for keeper in keepers:
        keeper.stop()
