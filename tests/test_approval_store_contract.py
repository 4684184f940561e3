"""What every ApprovalStore must do (the in-memory fake today; add the SQLite and PostgreSQL stores to STORES)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta

import pytest

from bot.approvals import Approval, ApprovalStore, KnownText, Revocation
from tests.approvalfake import MemoryApprovals
from tests.fakes import T0

STORES: list[Callable[[], ApprovalStore]] = [MemoryApprovals]
A = "a" * 64
B = "b" * 64


@pytest.fixture(params=STORES, ids=lambda factory: getattr(factory, "__name__", "store"))
def store(request: pytest.FixtureRequest) -> ApprovalStore:
    factory: Callable[[], ApprovalStore] = request.param
    return factory()


def test_latest_is_the_last_recorded_for_its_key(store: ApprovalStore) -> None:
    first = Approval("p", "x", A, "ana", T0, "primera")
    later_but_earlier_clock = Approval("p", "x", B, "luis", T0 - timedelta(hours=1))
    other_account = Approval("p", "fb", A, "ana", T0)
    store.record_approval(first)
    store.record_approval(other_account)
    assert store.latest_approval("p", "x") == first
    store.record_approval(later_but_earlier_clock)
    assert store.latest_approval("p", "x") == later_but_earlier_clock
    assert store.latest_approval("p", "fb") == other_account
    assert store.latest_approval("q", "x") is None


def test_a_revocation_withdraws_until_the_next_approval(store: ApprovalStore) -> None:
    approval = Approval("p", "x", A, "ana", T0)
    revocation = Revocation("p", "x", "jefe", T0 + timedelta(minutes=1), "no")
    again = Approval("p", "x", A, "ana", T0 + timedelta(minutes=2))
    store.record_approval(approval)
    store.revoke(revocation)
    assert store.latest_approval("p", "x") is None
    store.record_approval(again)
    assert store.latest_approval("p", "x") == again
    assert store.approvals() == [approval, revocation, again]


def test_times_keep_their_zone_and_notes_their_text(store: ApprovalStore) -> None:
    approval = Approval("p", "x", A, "Ana Pérez", T0, "¡visto! ✓")
    store.record_approval(approval)
    got = store.latest_approval("p", "x")
    assert got == approval
    assert got is not None and got.at.utcoffset() == T0.utcoffset()


def test_known_texts_by_prefix_and_idempotent(store: ApprovalStore) -> None:
    known = KnownText(A, "p", "x", ("uno 1/2", "dos 2/2"))
    store.remember_texts(known)
    store.remember_texts(known)
    store.remember_texts(KnownText(B, "p", "x", ("otro",)))
    assert store.texts_for(A[:12]) == [known]
    assert store.texts_for("c" * 12) == []
