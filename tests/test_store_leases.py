"""PostgreSQL-only: leases between daemons, fencing of every state change, takeover wait, plan registry,
and reconnection after a server restart. Runs against the real server of tests/pgserver.py.

Lease expiry is decided by the database's clock, so a few tests wait a fraction of a second of real time
for a short lease to run out; this machine's monotonic clock (the send window) is a fake passed in.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from datetime import timedelta

import pytest

from bot.states import PostState
from bot.store.leases import (
    LeaseHeld,
    LeaseLost,
    PlanMismatch,
    StoreUnavailable,
    TakeoverPending,
    takeover_wait,
)
from bot.store.postgres import PostgresOutbox, describe_url
from bot.store.records import OutboxError
from tests.fakes import T0, make_post
from tests.pgserver import PgServer

POST = ("mensaje", "x_cancilleria")
LONG = timedelta(minutes=5)


class FakeMonotonic:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def clock() -> FakeMonotonic:
    return FakeMonotonic()


@pytest.fixture
def store(pg_url: str, clock: FakeMonotonic) -> Iterator[PostgresOutbox]:
    opened = PostgresOutbox.open(pg_url, monotonic=clock)
    opened.freeze(make_post(), T0)
    yield opened
    opened.close()


def wait_past(moment_db: timedelta) -> None:
    time.sleep(moment_db.total_seconds() + 0.05)


def test_one_holder_at_a_time_and_tokens_only_grow(store: PostgresOutbox) -> None:
    first = store.acquire_lease(*POST, "daemon-a", LONG)
    assert first is not None and first.wait == timedelta(0) and first.previous_owner is None
    assert store.acquire_lease(*POST, "daemon-b", LONG) is None
    held = store.lease_of(*POST)
    assert held is not None and (held.owner, held.expires_at) == ("daemon-a", first.expires_at)
    assert store.acquire_lease(*POST, "daemon-a", LONG) is None  # the same owner too: it must renew instead
    other = store.acquire_lease("otro", "x_cancilleria", "daemon-b", LONG)
    assert other is not None and other.token > first.token
    [info, _] = store.leases()
    assert (info.post_id, info.owner, info.token, info.expired) == ("mensaje", "daemon-a", first.token, False)
    assert info.acquired_at == first.acquired_at and info.expires_at == first.acquired_at + LONG
    assert store.release_lease(first) is True
    assert store.release_lease(first) is False
    assert store.lease_of(*POST) is None
    again = store.acquire_lease(*POST, "daemon-b", LONG)
    assert again is not None and again.token > other.token
    assert again.wait == timedelta(0) and again.previous_owner is None  # released: nothing in flight


def test_only_the_holder_changes_a_leased_post(store: PostgresOutbox) -> None:
    lease = store.acquire_lease(*POST, "daemon-a", LONG)
    assert lease is not None
    holder = store.as_holder(lease)
    holder.mark_sending(*POST, 1, T0)
    holder.mark_sent(*POST, 1, "1", "u1", T0)
    with pytest.raises(LeaseHeld, match="being published by daemon-a"):
        store.mark_sending(*POST, 2, T0)
    with pytest.raises(LeaseHeld):
        store.resume(*POST, T0)
    assert [r.state for r in store.fragments_of(*POST)] == ["sent", "pending", "pending"]
    store.hold("x_cancilleria", "credentials", T0)  # account-wide, not a post's state
    # The holder's view writes to other posts like the plain store does.
    holder.freeze(make_post(post_id="otro"), T0)
    holder.release_lease(lease)
    store.mark_sending(*POST, 2, T0)


def test_an_expired_lease_cannot_write_and_is_taken_over_with_a_higher_token(store: PostgresOutbox) -> None:
    short = timedelta(milliseconds=300)
    lease = store.acquire_lease(*POST, "daemon-a", short)
    assert lease is not None
    paused = store.as_holder(lease)
    paused.mark_sending(*POST, 1, T0)  # a guarded write renews: the lease runs 300 ms from here
    wait_past(short)
    assert store.leases()[0].expired
    with pytest.raises(LeaseLost, match="expired at"):
        paused.mark_sent(*POST, 1, "1", "u1", T0)  # nobody took over yet: still refused
    with pytest.raises(LeaseLost):
        paused.renew()
    taken = store.acquire_lease(*POST, "daemon-b", LONG)
    assert taken is not None and taken.token > lease.token and taken.previous_owner == "daemon-a"
    with pytest.raises(LeaseLost, match=f"daemon-b holds it \\(token {taken.token}\\)"):
        paused.mark_unknown(*POST, 1, "timeout", T0)
    with pytest.raises(LeaseLost):
        paused.assert_may_send()
    assert [r.state for r in store.fragments_of(*POST)] == ["sending", "pending", "pending"]


def test_renewal_keeps_the_lease_past_its_first_expiry(store: PostgresOutbox) -> None:
    short = timedelta(milliseconds=400)
    lease = store.acquire_lease(*POST, "daemon-a", short)
    assert lease is not None
    holder = store.as_holder(lease)
    for _ in range(3):
        time.sleep(0.2)
        renewed = holder.renew()
        assert renewed.token == lease.token and renewed.expires_at > lease.expires_at
    assert store.acquire_lease(*POST, "daemon-b", short) is None
    holder.mark_sending(*POST, 1, T0)


def test_a_taker_over_waits_the_takeover_time_after_the_last_renewal(store: PostgresOutbox) -> None:
    short = timedelta(milliseconds=200)
    wait = takeover_wait(0.7, send_grace=timedelta(milliseconds=200))  # HTTP timeout + send grace
    assert wait == timedelta(milliseconds=900)
    lease = store.acquire_lease(*POST, "daemon-a", short, takeover_wait=wait)
    assert lease is not None and lease.holder_wait == wait
    store.as_holder(lease).mark_sending(*POST, 1, T0)  # its request may be in flight from here
    last_renewal = store.leases()[0].renewed_at
    wait_past(short)
    taken = store.acquire_lease(*POST, "daemon-b", LONG, takeover_wait=wait)
    assert taken is not None
    assert taken.previous_renewed_at == last_renewal
    assert taken.usable_at == last_renewal + wait
    assert timedelta(0) < taken.wait < wait
    holder = store.as_holder(taken)
    with pytest.raises(TakeoverPending) as pending:
        holder.freeze(make_post(), T0)  # a run's first write: refused before anything is looked up
    assert pending.value.usable_at == taken.usable_at
    wait_past(taken.wait)
    assert holder.freeze(make_post(), T0).kind == "same"
    holder.mark_pending(*POST, 1, "not found on the platform", T0)


@pytest.mark.parametrize(("old_timeout", "new_timeout"), [(1.2, 0.1), (0.1, 1.2)])
def test_a_taker_waits_for_the_old_holders_bound_not_its_own(
    store: PostgresOutbox, old_timeout: float, new_timeout: float
) -> None:
    """Two daemons with different HTTP_TIMEOUT_SECONDS: the wait is the one the old holder stored."""
    grace = timedelta(milliseconds=200)
    old_wait, new_wait = takeover_wait(old_timeout, grace), takeover_wait(new_timeout, grace)
    short = timedelta(milliseconds=200)
    lease = store.acquire_lease(*POST, "daemon-a", short, takeover_wait=old_wait)
    assert lease is not None
    renewed = store.as_holder(lease).renew()  # a renewal stores the wait again
    assert renewed.holder_wait == old_wait
    last_renewal = store.leases()[0].renewed_at
    wait_past(short)
    taken = store.acquire_lease(*POST, "daemon-b", LONG, takeover_wait=new_wait)
    assert taken is not None and taken.previous_owner == "daemon-a"
    assert taken.usable_at == last_renewal + old_wait  # the old holder's bound, not the taker's
    assert taken.holder_wait == new_wait  # what a daemon taking over from daemon-b will wait for
    assert store.as_holder(taken).renew().holder_wait == new_wait


def test_a_lease_row_written_before_the_wait_was_stored_falls_back_to_the_takers_wait(
    store: PostgresOutbox, pg_url: str
) -> None:
    import psycopg

    lease = store.acquire_lease(*POST, "daemon-a", timedelta(milliseconds=200), takeover_wait=LONG)
    assert lease is not None
    with psycopg.connect(pg_url, autocommit=True) as db:  # as an older bot wrote its rows
        db.execute("UPDATE leases SET holder_wait = NULL")
    wait_past(timedelta(milliseconds=200))
    mine = timedelta(milliseconds=700)
    taken = store.acquire_lease(*POST, "daemon-b", LONG, takeover_wait=mine)
    assert taken is not None and taken.usable_at == lease.renewed_at + mine


def test_the_send_window_closes_with_the_local_clock(store: PostgresOutbox, clock: FakeMonotonic) -> None:
    lease = store.acquire_lease(*POST, "daemon-a", timedelta(seconds=15))
    assert lease is not None
    holder = store.as_holder(lease, send_grace=timedelta(seconds=2))
    with pytest.raises(LeaseLost, match="since mark_sending"):
        holder.assert_may_send()  # nothing marked sending yet
    holder.mark_sending(*POST, 1, T0)
    clock.now += 1.9
    holder.assert_may_send()
    clock.now += 0.2  # paused between marking and sending: the request is not sent
    with pytest.raises(LeaseLost, match="more than 2 s since mark_sending"):
        holder.assert_may_send()
    holder.mark_pending(*POST, 1, "send window passed", T0)
    holder.mark_sending(*POST, 1, T0)
    holder.assert_may_send()
    clock.now += 15  # past the lease as this machine measures it, whatever the database says
    with pytest.raises(LeaseLost, match="may have expired"):
        holder.assert_may_send()
    store.assert_may_send()  # the plain store has no lease to lose


def test_daemons_with_different_plans_are_refused(store: PostgresOutbox) -> None:
    store.register_daemon("host-a:1", "a" * 64, live_within=LONG)
    store.register_daemon("host-b:2", "a" * 64, live_within=LONG)
    with pytest.raises(PlanMismatch, match=r"digest bbbbbbbbbbbb\) differs from the plan of host-a:1 \(plan aaaa"):
        store.register_daemon("host-c:3", "b" * 64, live_within=LONG)
    assert [(d.owner, d.live) for d in store.daemons(LONG)] == [("host-a:1", True), ("host-b:2", True)]
    store.unregister_daemon("host-a:1")
    store.heartbeat_daemon("host-b:2", "b" * 64)  # b reloaded a new schedule
    store.register_daemon("host-c:3", "b" * 64, live_within=LONG)
    time.sleep(0.3)  # a daemon not seen for longer than live_within does not count
    store.register_daemon("host-d:4", "d" * 64, live_within=timedelta(milliseconds=200))


def test_a_restarted_server_is_reconnected_to(store: PostgresOutbox, pg_server: PgServer) -> None:
    store.mark_sending(*POST, 1, T0)
    pg_server.stop()
    try:
        with pytest.raises(StoreUnavailable, match=r"cannot connect to postgresql://bot@127\.0\.0\.1") as down:
            store.posts()
        assert pg_server.password not in str(down.value)
        with pytest.raises(StoreUnavailable):
            store.mark_sent(*POST, 1, "1", "u1", T0)
    finally:
        pg_server.start()
    # Every thread's old connection is dead; the next read and the next write each reconnect.
    assert [s.state for s in store.posts()] == [PostState.PUBLISHING]
    store.mark_sent(*POST, 1, "1", "u1", T0)
    pg_server.stop()
    pg_server.start()
    store.mark_sending(*POST, 2, T0)  # failed before its COMMIT on the dead connection: run again, once
    assert [r.state for r in store.fragments_of(*POST)] == ["sent", "sending", "pending"]


def test_urls_are_shown_without_their_password(pg_url: str, pg_server: PgServer) -> None:
    assert describe_url(pg_url) == f"postgresql://bot@127.0.0.1:{pg_server.port}/{pg_url.rsplit('/', 1)[1]}"
    store = PostgresOutbox.open(pg_url)
    assert pg_server.password not in store.where
    store.close()
    wrong = pg_url.replace(pg_server.password, "wrong-password-1234")
    with pytest.raises(StoreUnavailable, match="password authentication failed") as refused:
        PostgresOutbox.open(wrong)
    assert "wrong-password-1234" not in str(refused.value)
    with pytest.raises(OutboxError, match="not a PostgreSQL connection URL"):
        PostgresOutbox.open("postgresql://bot:pw@host:notaport/db?bad_option=1")
