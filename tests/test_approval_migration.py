"""Schema version 3 (approvals): an outbox written by version 1 is migrated (through 2, media), its posts kept."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from bot.approvals import Approval, KnownText
from bot.store import pg_schema, sqlite_schema
from bot.store.sqlite import SqliteOutbox
from tests.fakes import T0

DIGEST = "c" * 64


def test_a_version_1_sqlite_outbox_gains_the_approval_tables(tmp_path: Path) -> None:
    state = tmp_path / "state"
    state.mkdir()
    with sqlite3.connect(state / sqlite_schema.DB_NAME) as db:
        for statement in sqlite_schema.MIGRATIONS[1]:
            db.execute(statement)
        db.execute(
            "INSERT INTO posts (post_id, account, scheduled_at, texts_digest, created_at, updated_at)"
            " VALUES ('p', 'x', ?, 'd', ?, ?)",
            ("2027-07-28T13:00:00+00:00", "2027-01-01T00:00:00+00:00", "2027-01-01T00:00:00+00:00"),
        )
        db.execute("PRAGMA user_version = 1")
    outbox = SqliteOutbox.open(state)
    try:
        assert outbox.schema_version() == 4  # 4: doubts (issue 18)
        assert [s.post_id for s in outbox.posts()] == ["p"]
        assert outbox.latest_approval("p", "x") is None
        outbox.record_approvals([Approval("p", "x", DIGEST, "ana", T0)])
        outbox.remember_texts(KnownText(DIGEST, "p", "x", ("uno",)))
        assert outbox.latest_approval("p", "x") == Approval("p", "x", DIGEST, "ana", T0)
        assert outbox.texts_for(DIGEST[:12]) == [KnownText(DIGEST, "p", "x", ("uno",))]
    finally:
        outbox.close()


def test_a_version_1_postgres_outbox_gains_the_approval_tables(pg_url: str) -> None:
    import psycopg

    from bot.store.postgres import PostgresOutbox

    with psycopg.connect(pg_url, autocommit=True) as db:
        for statement in pg_schema.MIGRATIONS[1]:
            db.execute(statement)
        db.execute("UPDATE bot_schema SET version = 1")
        db.execute(
            "INSERT INTO posts (post_id, account, scheduled_at, texts_digest, created_at, updated_at)"
            " VALUES ('p', 'x', now(), 'd', now(), now())"
        )
    outbox = PostgresOutbox.open(pg_url)
    try:
        assert outbox.schema_version() == 4  # 4: doubts (issue 18)
        assert [s.post_id for s in outbox.posts()] == ["p"]
        outbox.record_approvals([Approval("p", "x", DIGEST, "ana", T0)])
        assert outbox.latest_approval("p", "x") == Approval("p", "x", DIGEST, "ana", T0)
    finally:
        outbox.close()
