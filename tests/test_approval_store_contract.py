"""What every ApprovalStore must do: the in-memory fake, the SQLite outbox and the PostgreSQL outbox."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest

from bot.approvals import Approval, ApprovalStore, KnownText, Revocation
from bot.store.sqlite import SqliteOutbox
from tests.approvalfake import MemoryApprovals
from tests.fakes import T0

STORES = ["memory", "sqlite", "postgres"]
A = "a" * 64
B = "b" * 64


class Opener:
    """Opens the store under test (again: a second connection to the same data, as another process would)."""

    def __init__(self, kind: str, tmp_path: Path, request: pytest.FixtureRequest) -> None:
        self.kind = kind
        self.state_dir = tmp_path / "state"
        self.url: str | None = request.getfixturevalue("pg_url") if kind == "postgres" else None
        self.memory = MemoryApprovals()
        self.opened: list[SqliteOutbox] = []

    def __call__(self) -> ApprovalStore:
        if self.kind == "memory":
            return self.memory
        if self.url is not None:
            from bot.store.postgres import PostgresOutbox

            store: ApprovalStore = PostgresOutbox.open(self.url)
        else:
            store = SqliteOutbox.open(self.state_dir)
        self.opened.append(store)  # type: ignore[arg-type]  # both have close()
        return store


@pytest.fixture(params=STORES)
def opener(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Opener]:
    made = Opener(request.param, tmp_path, request)
    yield made
    for store in made.opened:
        store.close()


@pytest.fixture
def store(opener: Opener) -> ApprovalStore:
    return opener()


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


def test_an_approval_of_several_accounts_is_all_or_nothing(opener: Opener) -> None:
    store = opener()
    good = Approval("p", "x", A, "ana", T0)
    broken = Approval("p", "fb", None, "ana", T0)  # type: ignore[arg-type]  # no digest: the store refuses it
    if opener.kind == "memory":
        pytest.skip("the in-memory fake has no constraints to break")
    with pytest.raises(Exception):  # noqa: B017  # each store raises its own database error
        store.record_approvals([good, broken])
    assert store.latest_approval("p", "x") is None
    assert store.approval_count() == 0


def test_the_count_grows_with_every_record_and_other_connections_see_it(opener: Opener) -> None:
    writer, reader = opener(), opener()
    assert reader.approval_count() == 0
    writer.record_approvals([Approval("p", "x", A, "ana", T0), Approval("p", "fb", B, "ana", T0)])
    assert reader.approval_count() == 2
    writer.revoke(Revocation("p", "x", "ana", T0))
    assert reader.approval_count() == 3
    assert reader.latest_approval("p", "x") is None
    assert reader.latest_approval("p", "fb") == Approval("p", "fb", B, "ana", T0)


def test_concurrent_writers_lose_nothing(opener: Opener) -> None:
    """Approvals from several connections at once (approve while the daemon records): every one is kept."""
    stores = [opener() for _ in range(4)]
    errors: list[BaseException] = []

    def write(number: int, store: ApprovalStore) -> None:
        try:
            for i in range(10):
                store.record_approvals([Approval(f"p{number}", f"a{i}", A, "ana", T0 + timedelta(seconds=i))])
                store.remember_texts(KnownText(A, f"p{number}", f"a{i}", ("t",)))
        except BaseException as error:  # reported below
            errors.append(error)

    threads = [threading.Thread(target=write, args=(n, s)) for n, s in enumerate(stores)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert stores[0].approval_count() == 40
    assert len(stores[0].texts_for(A)) == 40
