"""PostgreSQL-only: fire(), the lease, the freeze and the first `sending` mark of a post due now in one statement
(bot/store/pg_fire.py, issue 22). It must grant exactly as acquire_lease does, and freeze and mark exactly when a
run would (a never-frozen post, no hold, due, within --catch-up), else write nothing but the grant.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from datetime import timedelta

import pytest

from bot.store.leases import FirePlan, LeaseHeld, LeaseLost, takeover_wait
from bot.store.pg_fire import fire_params
from bot.store.pg_leases import FIRE
from bot.store.postgres import PostgresOutbox
from tests.fakes import T0, make_post

POST = ("mensaje", "x_cancilleria")
LONG = timedelta(minutes=5)
CATCH_UP = timedelta(minutes=15)


def due(now_offset: timedelta = timedelta(0), attempts: int = 5) -> FirePlan:
    now = T0 + now_offset
    return FirePlan(now, T0 + CATCH_UP, attempts)


@pytest.fixture
def store(pg_url: str) -> Iterator[PostgresOutbox]:
    opened = PostgresOutbox.open(pg_url)
    yield opened
    opened.close()


def states(store: PostgresOutbox) -> list[tuple[str, int]]:
    return [(str(r.state), r.attempts) for r in store.fragments_of(*POST)]


def test_a_due_post_is_leased_frozen_and_its_first_fragment_marked_in_one_statement(store: PostgresOutbox) -> None:
    post = make_post(3)
    fired = store.fire(post, "daemon-a", LONG, due())
    assert fired.lease is not None and fired.held is None
    assert fired.lease.owner == "daemon-a" and fired.lease.wait == timedelta(0)
    assert fired.begun is not None and fired.begun.sending == 1 and fired.begun.frozen.kind == "new"
    assert [(r.index, r.state, r.attempts) for r in fired.begun.records] == [(i, "pending", 0) for i in (1, 2, 3)]
    assert states(store) == [("sending", 1), ("pending", 0), ("pending", 0)]
    assert [r.text for r in store.fragments_of(*POST)] == [f.text for f in post.fragments]
    assert [lease.owner for lease in store.leases()] == ["daemon-a"]
    with pytest.raises(LeaseHeld):  # a write without the lease is refused while it is held
        store.freeze(post, T0)
    view = store.as_holder(fired.lease, sending_since=fired.since)
    view.assert_may_send()  # marked: the request may leave now
    view.mark_sent(*POST, 1, "r1", "https://x.com/r1", T0)  # the holder's writes pass the guard
    assert states(store)[0] == ("sent", 1)


def test_a_plain_view_without_the_mark_may_not_send(store: PostgresOutbox) -> None:
    fired = store.fire(make_post(), "daemon-a", LONG, None)  # no plan: the grant alone
    assert fired.lease is not None and fired.begun is None
    assert store.fragments_of(*POST) == [] and store.post(*POST) is None
    with pytest.raises(LeaseLost, match="since mark_sending"):
        store.as_holder(fired.lease).assert_may_send()


def test_a_lease_held_by_another_daemon_is_returned_and_nothing_written(store: PostgresOutbox) -> None:
    other = store.acquire_lease(*POST, "daemon-b", LONG)
    assert other is not None
    fired = store.fire(make_post(), "daemon-a", LONG, due())
    assert fired.lease is None and fired.begun is None
    assert fired.held is not None and fired.held.owner == "daemon-b" and fired.held.token == other.token
    assert fired.held.expires_at == other.expires_at
    assert store.post(*POST) is None
    again = store.fire(make_post(), "daemon-b", LONG, due())  # the same owner included, as acquire_lease
    assert again.lease is None and again.held is not None


@pytest.mark.parametrize(
    ("why", "plan", "before"),
    [
        ("no plan", None, None),
        ("before its time", due(-timedelta(milliseconds=1)), None),
        ("past --catch-up", due(CATCH_UP + timedelta(milliseconds=1)), None),
        ("a stop asked (no attempt left)", due(attempts=0), None),
        ("frozen before", due(), "frozen"),
        ("the account held", due(), "held"),
    ],
)
def test_anything_a_run_would_decide_first_gets_the_grant_alone(
    store: PostgresOutbox, why: str, plan: FirePlan | None, before: str | None
) -> None:
    post = make_post(2)
    if before == "frozen":
        store.freeze(post, T0 - timedelta(minutes=1))
    if before == "held":
        store.hold(POST[1], "fix X_CANCILLERIA_API_KEY then restart", T0)
    was = states(store)
    fired = store.fire(post, "daemon-a", LONG, plan)
    assert fired.lease is not None, why
    assert fired.begun is None, why
    assert states(store) == was, why
    assert (store.post(*POST) is None) == (before != "frozen"), why


def test_a_later_fragment_not_yet_due_is_not_marked(store: PostgresOutbox) -> None:
    post = make_post(2, at=T0 + timedelta(seconds=1))  # the first fragment's time is not come
    fired = store.fire(post, "daemon-a", LONG, due())
    assert fired.begun is None and store.post(*POST) is None


def test_an_expired_unreleased_lease_is_taken_over_with_the_old_holders_wait_and_nothing_marked(
    store: PostgresOutbox,
) -> None:
    short = timedelta(milliseconds=200)
    old_wait = takeover_wait(30)
    old = store.acquire_lease(*POST, "daemon-b", short, takeover_wait=old_wait)
    assert old is not None
    time.sleep(short.total_seconds() + 0.05)
    fired = store.fire(make_post(), "daemon-a", LONG, due(), takeover_wait=takeover_wait(1))
    lease = fired.lease
    assert lease is not None and lease.previous_owner == "daemon-b" and lease.token > old.token
    assert lease.usable_at == old.renewed_at + old_wait  # the old holder's bound: its request may still land
    assert fired.begun is None and store.post(*POST) is None  # not usable yet: nothing frozen or marked
    with pytest.raises(LeaseLost):  # the old holder is fenced off
        store.as_holder(old).mark_sending(*POST, 1, T0)


def test_two_daemons_firing_one_post_at_once_begin_it_exactly_once(pg_url: str) -> None:
    stores = [PostgresOutbox.open(pg_url) for _ in range(2)]
    try:
        post = make_post(3)
        start = threading.Barrier(len(stores) * 4)
        results = []
        lock = threading.Lock()

        def fire(store: PostgresOutbox, owner: str) -> None:
            start.wait()
            fired = store.fire(post, owner, LONG, due())
            with lock:
                results.append(fired)

        threads = [
            threading.Thread(target=fire, args=(store, f"daemon-{n}-{k}"))
            for n, store in enumerate(stores)
            for k in range(4)
        ]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        begun = [f for f in results if f.begun is not None]
        leased = [f for f in results if f.lease is not None]
        assert len(begun) == 1 and len(leased) == 1 and begun == leased
        assert [f.held.owner for f in results if f.held is not None] == [begun[0].lease.owner] * 7  # type: ignore[union-attr]
        assert states(stores[0]) == [("sending", 1), ("pending", 0), ("pending", 0)]
    finally:
        for store in stores:
            store.close()


@pytest.mark.parametrize(("plan", "outcome", "flush"), [(due(), "begun", "on"), (None, "leased", "off")])
def test_a_mark_commits_with_the_flush_and_a_grant_alone_without(
    pg_url: str, plan: FirePlan | None, outcome: str, flush: str
) -> None:
    """The function's own transaction, seen from inside before it commits: a mark leaves synchronous_commit on (its
    request waits for the WAL flush), a grant alone turns it off for that transaction only, as acquire_lease does."""
    import psycopg

    PostgresOutbox.open(pg_url).close()  # the schema
    with psycopg.connect(pg_url, autocommit=True) as connection:
        connection.execute("BEGIN")
        row = connection.execute(FIRE, fire_params(make_post(), "daemon-a", LONG, plan, timedelta(0))).fetchone()
        assert row is not None and row[0] == outcome
        assert connection.execute("SHOW synchronous_commit").fetchone() == (flush,)
        connection.execute("ROLLBACK")
        assert connection.execute("SHOW synchronous_commit").fetchone() == ("on",)  # the session's is untouched
