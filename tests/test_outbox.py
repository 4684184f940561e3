"""The outbox: freezing, state transitions, holds, persistence across instances, threads."""

from __future__ import annotations

import sqlite3
import stat
import threading
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from bot.states import FragmentState, Outcome, PostState
from bot.store import OutboxError
from bot.store.sqlite import SqliteOutbox
from bot.store.sqlite_schema import SCHEMA_VERSION
from tests.fakes import T0, make_account, make_post
from tests.helpers import run_cli


def states(outbox: SqliteOutbox, post_id: str = "mensaje", account: str = "x_cancilleria") -> list[str]:
    return [r.state for r in outbox.fragments_of(post_id, account)]


def test_open_creates_private_folder_and_database_in_wal_mode(state_dir: Path) -> None:
    outbox = SqliteOutbox.open(state_dir)
    outbox.freeze(make_post(), T0)
    assert stat.S_IMODE(state_dir.stat().st_mode) == 0o700
    assert stat.S_IMODE(outbox.path.stat().st_mode) == 0o600
    assert outbox.path.with_name(outbox.path.name + "-wal").exists()
    assert outbox.schema_version() == SCHEMA_VERSION


def test_open_without_create_refuses_a_missing_database(state_dir: Path) -> None:
    with pytest.raises(FileNotFoundError, match="no state database"):
        SqliteOutbox.open(state_dir, create=False)
    assert not state_dir.exists()


def test_a_file_that_is_not_a_database_is_an_outbox_error(state_dir: Path) -> None:
    state_dir.mkdir(mode=0o700)
    (state_dir / "outbox.sqlite3").write_bytes(b"not SQLite, e.g. a file copied over it by mistake\n" * 200)
    with pytest.raises(OutboxError, match="cannot be read as the bot's state database"):
        SqliteOutbox.open(state_dir, create=False)
    result = run_cli("status", "--state-dir", str(state_dir))
    assert result.returncode == 1 and "Traceback" not in result.stderr
    assert "cannot be read as the bot's state database" in result.stderr


def test_database_from_a_newer_bot_is_refused(state_dir: Path) -> None:
    SqliteOutbox.open(state_dir).close()
    with sqlite3.connect(state_dir / "outbox.sqlite3") as db:
        db.execute(f"PRAGMA user_version = {SCHEMA_VERSION + 1}")
    with pytest.raises(OutboxError, match="newer than this bot"):
        SqliteOutbox.open(state_dir)


def test_reopening_keeps_schema_and_records(state_dir: Path) -> None:
    first = SqliteOutbox.open(state_dir)
    first.freeze(make_post(), T0)
    first.mark_sending("mensaje", "x_cancilleria", 1, T0)
    first.close()
    second = SqliteOutbox.open(state_dir)
    assert states(second) == ["sending", "pending", "pending"]
    assert second.fragments_of("mensaje", "x_cancilleria")[0].attempts == 1


def test_freeze_is_idempotent(outbox: SqliteOutbox) -> None:
    post = make_post()
    assert outbox.freeze(post, T0).kind == "new"
    assert outbox.freeze(post, T0 + timedelta(minutes=1)).kind == "same"
    records = outbox.fragments_of("mensaje", "x_cancilleria")
    assert [r.text for r in records] == [f.text for f in post.fragments]
    assert [r.total for r in records] == [3, 3, 3]
    assert records[0].created_at == T0


def test_freeze_same_text_takes_new_times_for_unsent_fragments(outbox: SqliteOutbox) -> None:
    outbox.freeze(make_post(every=timedelta(minutes=5)), T0)
    outbox.mark_sending("mensaje", "x_cancilleria", 1, T0)
    outbox.mark_sent("mensaje", "x_cancilleria", 1, "1", "u1", T0)
    later = T0 + timedelta(hours=1)
    assert outbox.freeze(make_post(at=later, every=timedelta(minutes=5)), T0).kind == "same"
    records = outbox.fragments_of("mensaje", "x_cancilleria")
    assert [r.at for r in records] == [T0, later + timedelta(minutes=5), later + timedelta(minutes=10)]


def test_freeze_replaces_text_when_nothing_was_sent(outbox: SqliteOutbox) -> None:
    outbox.freeze(make_post(3), T0)
    outbox.mark_sending("mensaje", "x_cancilleria", 1, T0)
    outbox.mark_pending("mensaje", "x_cancilleria", 1, "429", T0)
    edited = make_post(2, words="Texto corregido")
    assert outbox.freeze(edited, T0).kind == "replaced"
    records = outbox.fragments_of("mensaje", "x_cancilleria")
    assert [r.text for r in records] == [f.text for f in edited.fragments]
    assert [r.attempts for r in records] == [0, 0]


@pytest.mark.parametrize("started", ["sending", "sent", "unknown"])
def test_freeze_reports_conflict_once_publishing_started(outbox: SqliteOutbox, started: str) -> None:
    original = make_post()
    outbox.freeze(original, T0)
    outbox.mark_sending("mensaje", "x_cancilleria", 1, T0)
    if started == "sent":
        outbox.mark_sent("mensaje", "x_cancilleria", 1, "1", "u1", T0)
    if started == "unknown":
        outbox.mark_unknown("mensaje", "x_cancilleria", 1, "timeout", T0)
    result = outbox.freeze(make_post(words="Texto editado"), T0)
    assert result.kind == "conflict"
    assert result.conflict is not None and f"fragment 1 is {started}" in result.conflict
    assert [r.text for r in outbox.fragments_of("mensaje", "x_cancilleria")] == [f.text for f in original.fragments]
    summary = outbox.post("mensaje", "x_cancilleria")
    assert summary is not None and summary.state == PostState.CONFLICT
    # Restoring the original text clears the conflict.
    assert outbox.freeze(original, T0).kind == "same"
    summary = outbox.post("mensaje", "x_cancilleria")
    assert summary is not None and summary.conflict is None


def test_accept_edit_keeps_sent_fragments_and_replaces_the_rest(outbox: SqliteOutbox) -> None:
    original = make_post(3)
    outbox.freeze(original, T0)
    outbox.mark_sending("mensaje", "x_cancilleria", 1, T0)
    outbox.mark_sent("mensaje", "x_cancilleria", 1, "1", "u1", T0)
    outbox.mark_sending("mensaje", "x_cancilleria", 2, T0)
    outbox.mark_pending("mensaje", "x_cancilleria", 2, "429", T0)
    edited = make_post(4, words="Texto nuevo")
    assert outbox.freeze(edited, T0).kind == "conflict"
    assert outbox.accept_edit(edited, T0) == 3
    records = outbox.fragments_of("mensaje", "x_cancilleria")
    assert [r.text for r in records] == [original.fragments[0].text] + [f.text for f in edited.fragments[1:]]
    assert [r.state for r in records] == ["sent", "pending", "pending", "pending"]
    assert [r.attempts for r in records] == [1, 0, 0, 0]
    assert records[0].remote_id == "1"
    # The edited text is now the accepted one: running again with it is not a conflict.
    assert outbox.freeze(edited, T0).kind == "same"


def test_accept_edit_with_fewer_fragments_drops_unsent_extras(outbox: SqliteOutbox) -> None:
    outbox.freeze(make_post(3), T0)
    outbox.mark_sending("mensaje", "x_cancilleria", 1, T0)
    outbox.mark_sent("mensaje", "x_cancilleria", 1, "1", "u1", T0)
    outbox.accept_edit(make_post(1, words="Corto"), T0)
    assert states(outbox) == ["sent"]


def test_accept_edit_of_an_unknown_post_is_an_error(outbox: SqliteOutbox) -> None:
    with pytest.raises(OutboxError, match="never frozen"):
        outbox.accept_edit(make_post(), T0)


def test_transitions_are_checked(outbox: SqliteOutbox) -> None:
    outbox.freeze(make_post(), T0)
    with pytest.raises(OutboxError, match="expected state sending/unknown, it is pending"):
        outbox.mark_sent("mensaje", "x_cancilleria", 1, "1", "u1", T0)
    outbox.mark_sending("mensaje", "x_cancilleria", 1, T0)
    with pytest.raises(OutboxError, match="expected state pending, it is sending"):
        outbox.mark_sending("mensaje", "x_cancilleria", 1, T0)
    with pytest.raises(OutboxError, match="no such fragment"):
        outbox.mark_sending("mensaje", "x_cancilleria", 9, T0)


def test_sent_records_id_url_and_time(outbox: SqliteOutbox) -> None:
    outbox.freeze(make_post(), T0)
    outbox.mark_sending("mensaje", "x_cancilleria", 1, T0)
    outbox.mark_sent("mensaje", "x_cancilleria", 1, "99", "https://x.com/i/99", T0 + timedelta(seconds=2))
    record = outbox.fragments_of("mensaje", "x_cancilleria")[0]
    assert (record.state, record.remote_id, record.url) == ("sent", "99", "https://x.com/i/99")
    assert record.sent_at == T0 + timedelta(seconds=2)
    assert record.sent_at.tzinfo is not None


def test_times_are_stored_in_utc(outbox: SqliteOutbox) -> None:
    lima_time = datetime(2026, 7, 28, 8, 0, tzinfo=make_account().timezone)
    outbox.freeze(make_post(at=lima_time), lima_time)
    record = outbox.fragments_of("mensaje", "x_cancilleria")[0]
    assert record.at == lima_time
    assert record.at.utcoffset() == timedelta(0)


def test_naive_times_are_refused(outbox: SqliteOutbox) -> None:
    with pytest.raises(ValueError, match="naive datetime"):
        outbox.freeze(make_post(), datetime(2026, 7, 28, 8, 0))


def test_missed_and_resume(outbox: SqliteOutbox) -> None:
    outbox.freeze(make_post(), T0)
    outbox.mark_sending("mensaje", "x_cancilleria", 1, T0)
    outbox.mark_sent("mensaje", "x_cancilleria", 1, "1", "u1", T0)
    assert outbox.mark_missed("mensaje", "x_cancilleria", "the bot was down at 08:00", T0) == 2
    summary = outbox.post("mensaje", "x_cancilleria")
    assert summary is not None and summary.state == PostState.MISSED
    assert summary.last_error == "the bot was down at 08:00"
    assert outbox.resume("mensaje", "x_cancilleria", T0) == 2
    assert states(outbox) == ["sent", "pending", "pending"]


def test_holds_show_on_unfinished_posts_only(outbox: SqliteOutbox) -> None:
    outbox.freeze(make_post(1, post_id="a"), T0)
    outbox.freeze(make_post(1, post_id="b"), T0)
    outbox.mark_sending("a", "x_cancilleria", 1, T0)
    outbox.mark_sent("a", "x_cancilleria", 1, "1", "u1", T0)
    outbox.hold("x_cancilleria", "fix X_CANCILLERIA_ACCESS_TOKEN then restart", T0)
    assert outbox.hold_reason("x_cancilleria") == "fix X_CANCILLERIA_ACCESS_TOKEN then restart"
    by_id = {s.post_id: s for s in outbox.posts()}
    assert by_id["a"].state == PostState.SENT and by_id["a"].hold is None
    assert by_id["b"].state == PostState.HELD
    assert outbox.holds() == {"x_cancilleria": "fix X_CANCILLERIA_ACCESS_TOKEN then restart"}
    assert outbox.release("x_cancilleria") is True
    assert outbox.release("x_cancilleria") is False
    assert outbox.hold_reason("x_cancilleria") is None


def test_notes_are_kept_once_and_standalone_index_only_moves_back(outbox: SqliteOutbox) -> None:
    outbox.freeze(make_post(5), T0)
    outbox.set_standalone_from("mensaje", "x_cancilleria", 3, "X refused replies", T0)
    outbox.set_standalone_from("mensaje", "x_cancilleria", 4, "X refused replies", T0)
    outbox.add_note("mensaje", "x_cancilleria", "another note", T0)
    summary = outbox.post("mensaje", "x_cancilleria")
    assert summary is not None
    assert summary.standalone_from == 3
    assert summary.notes == ("X refused replies", "another note")


def test_record_outcome_is_shown_in_the_summary(outbox: SqliteOutbox) -> None:
    outbox.freeze(make_post(), T0)
    retry_at = T0 + timedelta(minutes=15)
    outbox.record_outcome("mensaje", "x_cancilleria", Outcome.RETRY, "429", retry_at, T0)
    summary = outbox.post("mensaje", "x_cancilleria")
    assert summary is not None
    assert (summary.last_outcome, summary.last_message, summary.next_at) == (Outcome.RETRY, "429", retry_at)
    assert summary.counts == {FragmentState.PENDING: 3} and summary.state == PostState.SCHEDULED


def test_posts_are_listed_by_scheduled_time(outbox: SqliteOutbox) -> None:
    outbox.freeze(make_post(post_id="late", at=T0 + timedelta(hours=2)), T0)
    outbox.freeze(make_post(post_id="early", at=T0), T0)
    fb = make_account("fb_cancilleria", "facebook")
    outbox.freeze(make_post(1, post_id="early", account=fb), T0)
    assert [(s.post_id, s.account) for s in outbox.posts()] == [
        ("early", "fb_cancilleria"),
        ("early", "x_cancilleria"),
        ("late", "x_cancilleria"),
    ]
    assert outbox.post("missing", "x_cancilleria") is None


def test_threads_write_while_another_instance_reads(state_dir: Path) -> None:
    writer = SqliteOutbox.open(state_dir)
    reader = SqliteOutbox.open(state_dir)
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
    writer.close()
    reader.close()


def test_closed_outbox_cannot_be_used(state_dir: Path) -> None:
    outbox = SqliteOutbox.open(state_dir)
    outbox.posts()
    outbox.close()
    with pytest.raises(OutboxError, match="closed"):
        outbox.posts()


def test_created_timestamps_use_the_time_passed_in(outbox: SqliteOutbox) -> None:
    moment = datetime(2030, 1, 1, tzinfo=UTC)
    outbox.freeze(make_post(), moment)
    summary = outbox.post("mensaje", "x_cancilleria")
    assert summary is not None and summary.updated_at == moment
