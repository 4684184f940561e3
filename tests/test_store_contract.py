"""One contract for every outbox store: the same test bodies run on SQLite (bot.store.sqlite) and PostgreSQL.

The PostgreSQL runs use a real server started by the tests (tests/pgserver.py), a fresh database per test.
Lease, fencing and reconnection tests, which only the PostgreSQL store offers, are in test_store_leases.py.
"""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Iterator
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from bot.states import FragmentState, Outcome, PostState
from bot.store import MediaRecord, Outbox, OutboxError
from bot.store.sqlite import SqliteOutbox
from tests.fakes import T0, make_account, make_post

Store = Outbox  # the protocol both stores implement (bot.store.postgres.PostgresOutbox has the same methods)


class Backend:
    """Opens one store's data again and again, and can make it look written by a newer bot."""

    def __init__(self, kind: str, tmp_path: Path, url: str | None) -> None:
        self.kind = kind
        self.state_dir = tmp_path / "state"
        self.url = url
        self.opened: list[Store] = []

    def __call__(self, create: bool = True) -> Store:
        if self.url is None:
            store: Store = SqliteOutbox.open(self.state_dir, create=create)
        else:
            from bot.store.postgres import PostgresOutbox

            store = PostgresOutbox.open(self.url, create=create)
        self.opened.append(store)
        return store

    def execute(self, statement: str) -> None:
        """One SQL statement on the store's data, outside the bot (to make an older database)."""
        if self.url is None:
            with sqlite3.connect(self.state_dir / "outbox.sqlite3") as db:
                db.execute(statement)
        else:
            import psycopg

            with psycopg.connect(self.url, autocommit=True) as db:
                db.execute(statement)

    def set_version(self, version: int) -> None:
        if self.url is None:
            with sqlite3.connect(self.state_dir / "outbox.sqlite3") as db:
                db.execute(f"PRAGMA user_version = {version}")
        else:
            import psycopg

            with psycopg.connect(self.url, autocommit=True) as db:
                db.execute("UPDATE bot_schema SET version = %s", (version,))


Opener = Backend


@pytest.fixture(params=["sqlite", "postgres"])
def open_store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Backend]:
    """The store under test (PostgreSQL: a fresh database); closes every instance afterwards."""
    url: str | None = request.getfixturevalue("pg_url") if request.param == "postgres" else None
    backend = Backend(request.param, tmp_path, url)
    yield backend
    for store in backend.opened:
        store.close()


@pytest.fixture
def store(open_store: Opener) -> Store:
    return open_store()


def states(store: Store, post_id: str = "mensaje", account: str = "x_cancilleria") -> list[str]:
    return [r.state for r in store.fragments_of(post_id, account)]


# -- opening and the schema ---------------------------------------------------------------------------


def test_a_new_store_is_created_at_the_current_schema(open_store: Opener) -> None:
    from bot.store.pg_schema import SCHEMA_VERSION as PG_VERSION
    from bot.store.sqlite_schema import SCHEMA_VERSION as SQLITE_VERSION

    store = open_store()
    assert store.schema_version() in {SQLITE_VERSION, PG_VERSION}
    assert store.schema_version() >= 1
    assert store.posts() == [] and store.holds() == {}


def test_open_without_create_refuses_a_store_that_does_not_exist(open_store: Opener) -> None:
    with pytest.raises(FileNotFoundError, match="nothing has been published"):
        open_store(create=False)
    open_store().close()
    assert open_store(create=False).posts() == []


def test_a_store_written_by_a_newer_bot_is_refused(open_store: Opener) -> None:
    first = open_store()
    first.freeze(make_post(), T0)
    version = first.schema_version()
    first.close()
    open_store.set_version(version + 1)
    with pytest.raises(OutboxError, match=f"schema version {version + 1}, newer than this bot's {version}"):
        open_store()
    open_store.set_version(version)
    assert states(open_store()) == ["pending", "pending", "pending"]


def test_reopening_keeps_schema_and_records(open_store: Opener) -> None:
    first = open_store()
    first.freeze(make_post(), T0)
    first.mark_sending("mensaje", "x_cancilleria", 1, T0)
    version = first.schema_version()
    first.close()
    second = open_store()
    assert second.schema_version() == version
    assert states(second) == ["sending", "pending", "pending"]
    assert second.fragments_of("mensaje", "x_cancilleria")[0].attempts == 1


def test_closed_store_cannot_be_used(open_store: Opener) -> None:
    store = open_store()
    store.posts()
    store.close()
    with pytest.raises(OutboxError, match="closed"):
        store.posts()


# -- freezing ----------------------------------------------------------------------------------------


def test_freeze_is_idempotent(store: Store) -> None:
    post = make_post()
    assert store.freeze(post, T0).kind == "new"
    assert store.freeze(post, T0 + timedelta(minutes=1)).kind == "same"
    records = store.fragments_of("mensaje", "x_cancilleria")
    assert [r.text for r in records] == [f.text for f in post.fragments]
    assert [r.total for r in records] == [3, 3, 3]
    assert records[0].created_at == T0


def test_freeze_same_text_takes_new_times_for_unsent_fragments(store: Store) -> None:
    store.freeze(make_post(every=timedelta(minutes=5)), T0)
    store.mark_sending("mensaje", "x_cancilleria", 1, T0)
    store.mark_sent("mensaje", "x_cancilleria", 1, "1", "u1", T0)
    later = T0 + timedelta(hours=1)
    assert store.freeze(make_post(at=later, every=timedelta(minutes=5)), T0).kind == "same"
    records = store.fragments_of("mensaje", "x_cancilleria")
    assert [r.at for r in records] == [T0, later + timedelta(minutes=5), later + timedelta(minutes=10)]


def test_freeze_replaces_text_when_nothing_was_sent(store: Store) -> None:
    store.freeze(make_post(3), T0)
    store.set_standalone_from("mensaje", "x_cancilleria", 2, "X refused replies", T0)
    store.mark_sending("mensaje", "x_cancilleria", 1, T0)
    store.mark_pending("mensaje", "x_cancilleria", 1, "429", T0)
    edited = make_post(2, words="Texto corregido")
    assert store.freeze(edited, T0).kind == "replaced"
    records = store.fragments_of("mensaje", "x_cancilleria")
    assert [r.text for r in records] == [f.text for f in edited.fragments]
    assert [r.attempts for r in records] == [0, 0]
    assert store.standalone_from("mensaje", "x_cancilleria") is None


@pytest.mark.parametrize("started", ["sending", "sent", "unknown"])
def test_freeze_reports_conflict_once_publishing_started(store: Store, started: str) -> None:
    original = make_post()
    store.freeze(original, T0)
    store.mark_sending("mensaje", "x_cancilleria", 1, T0)
    if started == "sent":
        store.mark_sent("mensaje", "x_cancilleria", 1, "1", "u1", T0)
    if started == "unknown":
        store.mark_unknown("mensaje", "x_cancilleria", 1, "timeout", T0)
    result = store.freeze(make_post(words="Texto editado"), T0)
    assert result.kind == "conflict"
    assert result.conflict is not None and f"fragment 1 is {started}" in result.conflict
    assert [r.text for r in store.fragments_of("mensaje", "x_cancilleria")] == [f.text for f in original.fragments]
    summary = store.post("mensaje", "x_cancilleria")
    assert summary is not None and summary.state == PostState.CONFLICT
    assert store.freeze(original, T0).kind == "same"  # restoring the original text clears the conflict
    summary = store.post("mensaje", "x_cancilleria")
    assert summary is not None and summary.conflict is None


def test_freeze_reports_conflict_when_the_target_changed_after_publishing_started(store: Store) -> None:
    """Issue 19: the frozen digest covers the whole approved content, not only the texts."""
    original = make_post()
    store.freeze(original, T0)
    store.mark_sending("mensaje", "x_cancilleria", 1, T0)
    store.mark_sent("mensaje", "x_cancilleria", 1, "1", "u1", T0)
    elsewhere = replace(original, account=replace(original.account, handle="OtraCuenta"))
    result = store.freeze(elsewhere, T0)
    assert result.kind == "conflict" and result.conflict is not None
    assert result.conflict.startswith("the images, their alt texts or the target (handle or Page) changed")
    assert store.freeze(original, T0).kind == "same"
    assert store.accept_edit(elsewhere, T0) == 2
    assert store.freeze(elsewhere, T0).kind == "same"


def test_accept_edit_keeps_sent_fragments_and_replaces_the_rest(store: Store) -> None:
    original = make_post(3)
    store.freeze(original, T0)
    store.mark_sending("mensaje", "x_cancilleria", 1, T0)
    store.mark_sent("mensaje", "x_cancilleria", 1, "1", "u1", T0)
    store.mark_sending("mensaje", "x_cancilleria", 2, T0)
    store.mark_pending("mensaje", "x_cancilleria", 2, "429", T0)
    edited = make_post(4, words="Texto nuevo")
    assert store.freeze(edited, T0).kind == "conflict"
    assert store.accept_edit(edited, T0) == 3
    records = store.fragments_of("mensaje", "x_cancilleria")
    assert [r.text for r in records] == [original.fragments[0].text] + [f.text for f in edited.fragments[1:]]
    assert [r.state for r in records] == ["sent", "pending", "pending", "pending"]
    assert [r.attempts for r in records] == [1, 0, 0, 0]
    assert records[0].remote_id == "1"
    assert store.freeze(edited, T0).kind == "same"


def test_accept_edit_with_fewer_fragments_drops_unsent_extras(store: Store) -> None:
    store.freeze(make_post(3), T0)
    store.mark_sending("mensaje", "x_cancilleria", 1, T0)
    store.mark_sent("mensaje", "x_cancilleria", 1, "1", "u1", T0)
    store.accept_edit(make_post(1, words="Corto"), T0)
    assert states(store) == ["sent"]


def test_accept_edit_of_an_unknown_post_is_an_error(store: Store) -> None:
    with pytest.raises(OutboxError, match="never frozen"):
        store.accept_edit(make_post(), T0)


# -- transitions ---------------------------------------------------------------------------------------


def test_transitions_are_checked(store: Store) -> None:
    store.freeze(make_post(), T0)
    with pytest.raises(OutboxError, match="expected state sending/unknown, it is pending"):
        store.mark_pending("mensaje", "x_cancilleria", 1, None, T0)
    store.mark_sending("mensaje", "x_cancilleria", 1, T0)
    with pytest.raises(OutboxError, match="expected state pending, it is sending"):
        store.mark_sending("mensaje", "x_cancilleria", 1, T0)
    with pytest.raises(OutboxError, match="no such fragment"):
        store.mark_sending("mensaje", "x_cancilleria", 9, T0)
    store.mark_unknown("mensaje", "x_cancilleria", 1, "timeout", T0)
    store.mark_failed("mensaje", "x_cancilleria", 1, "gave up", T0)
    with pytest.raises(OutboxError, match="expected state sending/unknown, it is failed"):
        store.mark_pending("mensaje", "x_cancilleria", 1, None, T0)
    assert states(store) == ["failed", "pending", "pending"]


def test_sent_records_id_url_and_time(store: Store) -> None:
    store.freeze(make_post(), T0)
    store.mark_sending("mensaje", "x_cancilleria", 1, T0)
    store.mark_sent("mensaje", "x_cancilleria", 1, "99", "https://x.com/i/99", T0 + timedelta(seconds=2))
    record = store.fragments_of("mensaje", "x_cancilleria")[0]
    assert (record.state, record.remote_id, record.url, record.last_error) == (
        "sent",
        "99",
        "https://x.com/i/99",
        None,
    )
    assert record.sent_at == T0 + timedelta(seconds=2)
    assert record.sent_at.tzinfo is not None


def test_times_are_returned_in_utc(store: Store) -> None:
    lima_time = datetime(2026, 7, 28, 8, 0, 0, 123456, tzinfo=make_account().timezone)
    store.freeze(make_post(at=lima_time), lima_time)
    record = store.fragments_of("mensaje", "x_cancilleria")[0]
    assert record.at == lima_time
    assert record.at.utcoffset() == timedelta(0)


def test_naive_times_are_refused(store: Store) -> None:
    with pytest.raises(ValueError, match="naive datetime"):
        store.freeze(make_post(), datetime(2026, 7, 28, 8, 0))
    assert store.posts() == []


def test_missed_and_resume(store: Store) -> None:
    store.freeze(make_post(), T0)
    store.mark_sending("mensaje", "x_cancilleria", 1, T0)
    store.mark_sent("mensaje", "x_cancilleria", 1, "1", "u1", T0)
    assert store.mark_missed("mensaje", "x_cancilleria", "the bot was down at 08:00", T0) == 2
    summary = store.post("mensaje", "x_cancilleria")
    assert summary is not None and summary.state == PostState.MISSED
    assert summary.last_error == "the bot was down at 08:00"
    store.record_outcome("mensaje", "x_cancilleria", Outcome.RETRY, "later", T0 + timedelta(hours=1), T0)
    assert store.resume("mensaje", "x_cancilleria", T0) == 2
    assert states(store) == ["sent", "pending", "pending"]
    summary = store.post("mensaje", "x_cancilleria")
    assert summary is not None and summary.next_at is None


# -- post-level facts, holds, listing ------------------------------------------------------------------


def test_holds_show_on_unfinished_posts_only(store: Store) -> None:
    store.freeze(make_post(1, post_id="a"), T0)
    store.freeze(make_post(1, post_id="b"), T0)
    store.mark_sending("a", "x_cancilleria", 1, T0)
    store.mark_sent("a", "x_cancilleria", 1, "1", "u1", T0)
    store.hold("x_cancilleria", "fix X_CANCILLERIA_ACCESS_TOKEN then restart", T0)
    store.hold("x_cancilleria", "fix it, then restart", T0)
    assert store.hold_reason("x_cancilleria") == "fix it, then restart"
    by_id = {s.post_id: s for s in store.posts()}
    assert by_id["a"].state == PostState.SENT and by_id["a"].hold is None
    assert by_id["b"].state == PostState.HELD
    assert store.holds() == {"x_cancilleria": "fix it, then restart"}
    assert store.release("x_cancilleria") is True
    assert store.release("x_cancilleria") is False
    assert store.hold_reason("x_cancilleria") is None


def test_notes_are_kept_once_and_standalone_index_only_moves_back(store: Store) -> None:
    store.freeze(make_post(5), T0)
    assert store.standalone_from("mensaje", "x_cancilleria") is None
    store.set_standalone_from("mensaje", "x_cancilleria", 3, "X refused replies", T0)
    store.set_standalone_from("mensaje", "x_cancilleria", 4, "X refused replies", T0)
    store.add_note("mensaje", "x_cancilleria", "another note", T0)
    summary = store.post("mensaje", "x_cancilleria")
    assert summary is not None
    assert summary.standalone_from == 3 == store.standalone_from("mensaje", "x_cancilleria")
    assert summary.notes == ("X refused replies", "another note")
    with pytest.raises(OutboxError, match="never frozen"):
        store.add_note("missing", "x_cancilleria", "note", T0)


def test_record_outcome_is_shown_in_the_summary(store: Store) -> None:
    store.freeze(make_post(), T0)
    retry_at = T0 + timedelta(minutes=15)
    store.record_outcome("mensaje", "x_cancilleria", Outcome.RETRY, "429", retry_at, T0 + timedelta(seconds=1))
    summary = store.post("mensaje", "x_cancilleria")
    assert summary is not None
    assert (summary.last_outcome, summary.last_message, summary.next_at) == ("retry", "429", retry_at)
    assert summary.counts == {FragmentState.PENDING: 3} and summary.state == PostState.SCHEDULED
    assert summary.updated_at == T0 + timedelta(seconds=1)


def test_posts_are_listed_by_scheduled_time(store: Store) -> None:
    store.freeze(make_post(post_id="late", at=T0 + timedelta(hours=2)), T0)
    store.freeze(make_post(post_id="early", at=T0), T0)
    store.freeze(make_post(post_id="Early", at=T0), T0)  # byte order: upper case first, as in SQLite
    fb = make_account("fb_cancilleria", "facebook")
    store.freeze(make_post(1, post_id="early", account=fb), T0)
    assert [(s.post_id, s.account) for s in store.posts()] == [
        ("Early", "x_cancilleria"),
        ("early", "fb_cancilleria"),
        ("early", "x_cancilleria"),
        ("late", "x_cancilleria"),
    ]
    assert store.post("missing", "x_cancilleria") is None
    assert store.fragments_of("missing", "x_cancilleria") == []


def test_created_timestamps_use_the_time_passed_in(store: Store) -> None:
    moment = datetime(2030, 1, 1, tzinfo=UTC)
    store.freeze(make_post(), moment)
    summary = store.post("mensaje", "x_cancilleria")
    assert summary is not None and summary.updated_at == moment


def test_threads_write_while_another_instance_reads(open_store: Opener) -> None:
    writer = open_store()
    reader = open_store()
    posts = [make_post(4, post_id=f"p{i}") for i in range(6)]
    errors: list[BaseException] = []
    done = threading.Event()

    def publish(post_id: str) -> None:
        try:
            for index in range(1, 5):
                writer.mark_sending(post_id, "x_cancilleria", index, T0)
                writer.mark_sent(post_id, "x_cancilleria", index, f"{post_id}-{index}", "u", T0)
        except BaseException as error:  # reported below
            errors.append(error)

    def read() -> None:
        try:
            while not done.is_set():
                for summary in reader.posts():
                    assert summary.total == 4
        except BaseException as error:
            errors.append(error)

    for post in posts:
        writer.freeze(post, T0)
    reading = threading.Thread(target=read)
    reading.start()
    threads = [threading.Thread(target=publish, args=(p.id,)) for p in posts]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    done.set()
    reading.join()
    assert errors == []
    assert all(s.state == PostState.SENT for s in reader.posts())


# -- uploaded media (schema version 2) ------------------------------------------------------------------------

SHA_A, SHA_B = "a" * 64, "b" * 64


def test_media_ids_are_recorded_replaced_and_read_back(store: Store) -> None:
    store.freeze(make_post(2), T0)
    first = [MediaRecord(1, SHA_A, "m1", T0 + timedelta(hours=24), T0), MediaRecord(2, SHA_B, "m2", None, T0)]
    store.record_media("mensaje", "x_cancilleria", first, T0)
    assert store.media_of("mensaje", "x_cancilleria") == first
    again = [MediaRecord(1, SHA_A, "m3", T0 + timedelta(hours=25), T0 + timedelta(hours=1))]
    store.record_media("mensaje", "x_cancilleria", again, T0 + timedelta(hours=1))
    assert store.media_of("mensaje", "x_cancilleria") == again
    assert store.media_of("mensaje", "fb_cancilleria") == []


def test_a_version_1_store_is_migrated_to_the_current_version_keeping_its_rows(open_store: Opener) -> None:
    store = open_store()
    store.freeze(make_post(2), T0)
    store.mark_sending("mensaje", "x_cancilleria", 1, T0)
    store.close()
    for table in ("media_uploads", "approval_texts", "approvals", "web_sessions", "web_users", "audit"):  # version 1
        open_store.execute(f"DROP TABLE {table}")
    if open_store.url is not None:  # PostgreSQL 5: the lease rows keep their holder's takeover wait (issue 18)
        open_store.execute("ALTER TABLE leases DROP COLUMN holder_wait")
        open_store.execute("DROP FUNCTION bot_fire")  # PostgreSQL 7: the post's time in one round trip (issue 22)
    for column in ("doubt_since", "duplicate_refused"):
        open_store.execute(f"ALTER TABLE fragments DROP COLUMN {column}")
    open_store.set_version(1)

    store = open_store()

    from bot.store.pg_schema import SCHEMA_VERSION as PG_VERSION
    from bot.store.sqlite_schema import SCHEMA_VERSION as SQLITE_VERSION

    # 2: media uploads (issue 14), 3: approvals (issue 15), 4: web (issue 23), 5: PostgreSQL's lease holder_wait,
    # 6: doubts (issue 18), 7: PostgreSQL's bot_fire (issue 22)
    assert SQLITE_VERSION == PG_VERSION == 7
    assert store.schema_version() == 7
    assert states(store) == ["sending", "pending"]
    assert store.fragments_of("mensaje", "x_cancilleria")[0].doubt_since is None
    assert store.media_of("mensaje", "x_cancilleria") == []
    store.record_media("mensaje", "x_cancilleria", [MediaRecord(1, SHA_A, "m1", None, T0)], T0)
    assert [m.media_id for m in store.media_of("mensaje", "x_cancilleria")] == ["m1"]


def test_mark_pending_may_give_the_fragment_its_accepted_text(store: Store) -> None:
    original, edited = make_post(2), make_post(3, words="Texto nuevo")
    store.freeze(original, T0)
    store.mark_sending("mensaje", "x_cancilleria", 1, T0)
    store.mark_pending("mensaje", "x_cancilleria", 1, "not found", T0, edited.fragments[0])
    store.mark_sending("mensaje", "x_cancilleria", 2, T0)
    store.mark_pending("mensaje", "x_cancilleria", 2, "not found", T0)
    records = store.fragments_of("mensaje", "x_cancilleria")
    assert [(r.text, r.total) for r in records] == [
        (edited.fragments[0].text, 3),
        (original.fragments[1].text, 2),
    ]


# -- issue 18: the doubt's start survives, and an id in hand is never thrown away -------------------------


def test_pending_to_sent_is_allowed_when_the_platform_id_is_in_hand(store: Store) -> None:
    """A lost `sending` record (a failover to a standby that missed it) must not make the next run resend."""
    store.freeze(make_post(), T0)
    store.mark_sent("mensaje", "x_cancilleria", 1, "1790", "https://x.com/i/status/1790", T0)
    (first, *_) = store.fragments_of("mensaje", "x_cancilleria")
    assert (first.state, first.remote_id, first.url, first.sent_at) == (
        "sent",
        "1790",
        "https://x.com/i/status/1790",
        T0,
    )
    with pytest.raises(OutboxError, match="expected state sending/unknown, it is sent"):  # no second id
        store.mark_sent("mensaje", "x_cancilleria", 1, "1791", "u", T0)
    store.mark_sending("mensaje", "x_cancilleria", 2, T0)
    store.mark_failed("mensaje", "x_cancilleria", 2, "rejected", T0)
    with pytest.raises(OutboxError, match="it is failed"):  # nor does failed become sent
        store.mark_sent("mensaje", "x_cancilleria", 2, "1792", "u", T0)


def test_the_doubt_keeps_its_first_moment_until_the_fragment_is_settled(open_store: Opener) -> None:
    store = open_store()
    store.freeze(make_post(), T0)
    store.mark_sending("mensaje", "x_cancilleria", 1, T0)
    assert store.fragments_of("mensaje", "x_cancilleria")[0].doubt_since is None
    store.mark_unknown("mensaje", "x_cancilleria", 1, "503", T0 + timedelta(seconds=1))
    store.mark_unknown("mensaje", "x_cancilleria", 1, "not found yet", T0 + timedelta(seconds=9))
    store.close()
    again = open_store()  # a restarted daemon, or another one taking over, sees the same window
    first = again.fragments_of("mensaje", "x_cancilleria")[0]
    assert (first.state, first.doubt_since, first.duplicate_refused) == ("unknown", T0 + timedelta(seconds=1), False)
    assert first.last_error == "not found yet"
    again.mark_pending("mensaje", "x_cancilleria", 1, "not found over the window", T0 + timedelta(seconds=61))
    assert again.fragments_of("mensaje", "x_cancilleria")[0].doubt_since is None
    again.mark_sending("mensaje", "x_cancilleria", 1, T0 + timedelta(seconds=62))
    again.mark_unknown("mensaje", "x_cancilleria", 1, "duplicate", T0 + timedelta(seconds=63), duplicate=True)
    again.mark_unknown("mensaje", "x_cancilleria", 1, "not found yet", T0 + timedelta(seconds=70))
    first = again.fragments_of("mensaje", "x_cancilleria")[0]
    assert (first.doubt_since, first.duplicate_refused) == (T0 + timedelta(seconds=63), True)
    again.mark_sent("mensaje", "x_cancilleria", 1, "1790", "u", T0 + timedelta(seconds=80))
    first = again.fragments_of("mensaje", "x_cancilleria")[0]
    assert (first.state, first.doubt_since, first.duplicate_refused) == ("sent", None, False)
