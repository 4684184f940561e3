"""Outbox.begin, the hot path at a post's time (issue 22 item 3), on both stores: the contract suite's fixtures.

begin() must do in one transaction what freeze, hold_reason, fragments_of, standalone_from and mark_sending did,
and mark nothing whenever something is to be decided before a request (held, in doubt, failed, not due, a
conflict, the attempts used up). The lease guard is in the PostgreSQL tests at the end.
"""

from __future__ import annotations

from datetime import timedelta

import pytest

from bot.store import Outbox
from bot.store.leases import LeaseHeld, LeaseLost
from tests.fakes import T0, make_post
from tests.test_store_contract import open_store, store

__all__ = ["open_store", "store"]  # the contract suite's fixtures: both stores

POST, ACCOUNT = "mensaje", "x_cancilleria"


def states(store: Outbox) -> list[str]:
    return [r.state for r in store.fragments_of(POST, ACCOUNT)]


def test_a_due_post_is_frozen_and_its_first_fragment_marked_sending(store: Outbox) -> None:
    post = make_post(3)
    begun = store.begin(post, T0, 8)
    assert begun.frozen.kind == "new" and begun.hold is None and begun.standalone_from is None
    assert begun.sending == 1
    # the records as they were before the mark: what the runner sends from
    assert [(r.index, r.state, r.attempts) for r in begun.records] == [(1, "pending", 0), (2, "pending", 0),
                                                                        (3, "pending", 0)]  # fmt: skip
    assert [r.text for r in begun.records] == [f.text for f in post.fragments]
    after = store.fragments_of(POST, ACCOUNT)
    assert [r.state for r in after] == ["sending", "pending", "pending"]
    assert after[0].attempts == 1 and after[0].updated_at == T0
    store.mark_sent(POST, ACCOUNT, 1, "r1", "u1", T0)  # the usual transitions follow


def test_nothing_is_marked_before_the_fragment_is_due(store: Outbox) -> None:
    begun = store.begin(make_post(2), T0 - timedelta(milliseconds=1), 8)
    assert begun.frozen.kind == "new" and begun.sending is None
    assert states(store) == ["pending", "pending"]


def test_the_next_due_fragment_of_a_started_thread_is_marked(store: Outbox) -> None:
    post = make_post(3, every=timedelta(minutes=1))
    store.begin(post, T0, 8)
    store.mark_sent(POST, ACCOUNT, 1, "r1", "u1", T0)
    store.set_standalone_from(POST, ACCOUNT, 2, "X refused replies", T0)
    assert store.begin(post, T0 + timedelta(seconds=30), 8).sending is None  # fragment 2 is due at T0 + 1 min
    begun = store.begin(post, T0 + timedelta(minutes=1), 8)
    assert begun.frozen.kind == "same" and begun.sending == 2 and begun.standalone_from == 2
    assert states(store) == ["sent", "sending", "pending"]


def test_a_held_account_is_reported_and_nothing_marked(store: Outbox) -> None:
    store.hold(ACCOUNT, "fix X_CANCILLERIA_API_KEY", T0)
    begun = store.begin(make_post(2), T0, 8)
    assert begun.hold == "fix X_CANCILLERIA_API_KEY" and begun.sending is None
    assert states(store) == ["pending", "pending"]


@pytest.mark.parametrize("doubt", ["sending", "unknown", "failed", "missed"])
def test_a_fragment_in_doubt_failed_or_missed_stops_the_mark(store: Outbox, doubt: str) -> None:
    post = make_post(2)
    store.freeze(post, T0)
    if doubt == "missed":
        store.mark_missed(POST, ACCOUNT, "too late", T0)
    else:
        store.mark_sending(POST, ACCOUNT, 1, T0)
        if doubt == "unknown":
            store.mark_unknown(POST, ACCOUNT, 1, "timeout", T0)
        if doubt == "failed":
            store.mark_failed(POST, ACCOUNT, 1, "rejected", T0)
    begun = store.begin(post, T0, 8)
    assert begun.sending is None and begun.records[0].state == doubt
    assert states(store)[0] == doubt and states(store)[1] in ("pending", "missed")


def test_the_attempt_limit_and_a_zero_limit_mark_nothing(store: Outbox) -> None:
    post = make_post(1)
    assert store.begin(post, T0, 0).sending is None  # 0: a stop was asked
    store.mark_sending(POST, ACCOUNT, 1, T0)
    store.mark_pending(POST, ACCOUNT, 1, "429", T0)
    assert store.begin(post, T0, 1).sending is None
    assert states(store) == ["pending"]
    assert store.begin(post, T0, 2).sending == 1


def test_an_edit_after_publishing_started_is_a_conflict_and_nothing_is_marked(store: Outbox) -> None:
    store.begin(make_post(2), T0, 8)
    store.mark_sent(POST, ACCOUNT, 1, "r1", "u1", T0)
    begun = store.begin(make_post(2, words="Texto editado"), T0, 8)
    assert begun.frozen.kind == "conflict" and begun.sending is None
    assert states(store) == ["sent", "pending"]


def test_an_edit_before_publishing_started_is_frozen_and_marked(store: Outbox) -> None:
    store.freeze(make_post(3), T0)
    edited = make_post(2, words="Texto corregido")
    begun = store.begin(edited, T0, 8)
    assert begun.frozen.kind == "replaced" and begun.sending == 1
    assert [r.text for r in store.fragments_of(POST, ACCOUNT)] == [f.text for f in edited.fragments]


# -- the lease guard (PostgreSQL: the only store shared by several daemons) --------------------------------------


def test_begin_is_guarded_by_the_lease(pg_url: str) -> None:
    from bot.store.postgres import PostgresOutbox

    plain = PostgresOutbox.open(pg_url)
    try:
        lease = plain.acquire_lease(POST, ACCOUNT, "a", timedelta(seconds=30))
        assert lease is not None
        with pytest.raises(LeaseHeld):  # the plain store may not start a post someone holds
            plain.begin(make_post(2), T0, 8)
        holder = plain.as_holder(lease)
        assert holder.begin(make_post(2), T0, 8).sending == 1
        holder.assert_may_send()  # the send grace runs from begin, as from mark_sending
        assert plain.release_lease(lease)
        taken = plain.acquire_lease(POST, ACCOUNT, "b", timedelta(seconds=30))
        assert taken is not None
        with pytest.raises(LeaseLost):  # the old holder's token no longer counts: nothing is marked
            holder.begin(make_post(2), T0, 8)
        assert states(plain) == ["sending", "pending"]
    finally:
        plain.close()
