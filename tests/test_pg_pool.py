"""A daemon's PostgreSQL connections are capped (several daemons share the server's max_connections).

Posts due at one instant on hundreds of accounts each want a transaction at once: past the cap they wait for a
connection to be put back, and one that waits too long is told the outbox is busy (retry later), never an error
of the server refusing one more client.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator

import psycopg
import pytest

from bot.store.leases import StoreUnavailable
from bot.store.pg_pool import Connections
from bot.store.pg_query import Query, Result


@pytest.fixture
def pool(pg_url: str) -> Iterator[Connections]:
    connections = Connections(pg_url, max_open=3, wait_s=5.0)
    yield connections
    connections.close()


def _backends(pg_url: str) -> int:
    with psycopg.connect(pg_url, autocommit=True) as watcher:
        row = watcher.execute(
            "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid()"
        ).fetchone()
        return int(row[0]) if row else 0


def test_twelve_transactions_at_once_share_three_connections(pool: Connections) -> None:
    seen: list[int] = []  # the connections to this test's database, as the server counts them in each transaction

    def one() -> None:
        result = pool.run(
            lambda q: q("SELECT count(*) AS n, pg_sleep(0.2) FROM pg_stat_activity WHERE datname = current_database()"),
            write=False,
        )
        seen.append(int(result.rows[0]["n"]))

    threads = [threading.Thread(target=one) for _ in range(12)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert len(seen) == 12  # every transaction ran: the ones past the cap waited for a connection
    assert max(seen) == 3  # the cap was reached (the later transactions found three open), never passed


def test_a_transaction_that_waits_too_long_for_a_connection_is_told_busy(pg_url: str) -> None:
    pool = Connections(pg_url, max_open=1, wait_s=0.3)
    release = threading.Event()
    holding = threading.Event()

    def hold(q: Query) -> Result:
        holding.set()
        release.wait(10)
        return q("SELECT 1")

    holder = threading.Thread(target=pool.run, args=(hold,), kwargs={"write": False})
    holder.start()
    try:
        assert holding.wait(10)
        started = time.monotonic()
        with pytest.raises(StoreUnavailable, match="busy"):
            pool.run(lambda q: q("SELECT 1"), write=False)
        assert time.monotonic() - started >= 0.3  # it waited for a connection first
    finally:
        release.set()
        holder.join(10)
        pool.close()


def test_warming_never_opens_past_the_cap(pool: Connections, pg_url: str) -> None:
    before = _backends(pg_url)
    pool.warm(10, ("SELECT 1", ()))
    assert _backends(pg_url) - before == 3


def test_a_daemon_stopped_inside_a_transaction_does_not_keep_its_locks(pg_url: str) -> None:
    """A holder paused mid-transaction (SIGSTOP, a frozen machine) loses its session after the idle timeout:
    its locks are freed for the daemon taking the post over, while it is still paused."""
    stalled = Connections(pg_url, idle_in_transaction_s=1.0)
    other = Connections(pg_url)
    locked = threading.Event()
    paused_until: list[float] = []

    def pause_holding_the_lock(q: Query) -> Result:
        q("SELECT pg_advisory_xact_lock(42)")
        locked.set()
        time.sleep(3.0)  # the client does nothing: the server sees the session idle in its transaction
        paused_until.append(time.monotonic())
        return q("SELECT 1")

    def stall() -> None:
        with pytest.raises(StoreUnavailable):  # the session was ended by the server, the transaction rolled back
            stalled.run(pause_holding_the_lock, write=True)

    holder = threading.Thread(target=stall)
    holder.start()
    try:
        assert locked.wait(10)
        other.run(lambda q: q("SELECT pg_advisory_xact_lock(42)"), write=True)  # waits until the server ends it
        got_it = time.monotonic()
        holder.join(30)
        assert paused_until and got_it < paused_until[0]  # freed while the holder was still paused
    finally:
        holder.join(30)
        stalled.close()
        other.close()
