"""Schema version 4 (the web page's users, sessions and audit trail): a version 3 outbox is migrated, its
approvals kept, on both stores."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from bot.approvals import Approval
from bot.store import pg_schema, sqlite_schema
from bot.store.sqlite import SqliteOutbox
from tests.fakes import T0

DIGEST = "d" * 64


def test_a_version_3_sqlite_outbox_gains_the_web_tables(tmp_path: Path) -> None:
    state = tmp_path / "state"
    state.mkdir()
    with sqlite3.connect(state / sqlite_schema.DB_NAME) as db:
        for version in (1, 2, 3):
            for statement in sqlite_schema.MIGRATIONS[version]:
                db.execute(statement)
        db.execute(
            "INSERT INTO approvals (kind, post_id, account, digest, by, at) VALUES ('approve', 'p', 'x', ?, 'ana', ?)",
            (DIGEST, T0.isoformat()),
        )
        db.execute("PRAGMA user_version = 3")
    outbox = SqliteOutbox.open(state)
    try:
        assert outbox.schema_version() == sqlite_schema.SCHEMA_VERSION >= 4
        assert outbox.latest_approval("p", "x") == Approval("p", "x", DIGEST, "ana", T0)
        assert outbox.users() == [] and outbox.audit_log() == []
        assert outbox.add_user("ana", "viewer", "$argon2id$not-a-real-hash", T0)
        assert not outbox.add_user("ana", "approver", "$argon2id$other", T0)
        outbox.record_audit("user-added", T0, "ana", None, "viewer")
        assert [(r.kind, r.name, r.at) for r in outbox.audit_log()] == [("user-added", "ana", T0)]
    finally:
        outbox.close()


def test_a_version_3_postgres_outbox_gains_the_web_tables(pg_url: str) -> None:
    import psycopg

    from bot.store.postgres import PostgresOutbox

    with psycopg.connect(pg_url, autocommit=True) as db:
        for version in (1, 2, 3):
            for statement in pg_schema.MIGRATIONS[version]:
                db.execute(statement)
        db.execute("UPDATE bot_schema SET version = 3")
    outbox = PostgresOutbox.open(pg_url)
    try:
        assert outbox.schema_version() == pg_schema.SCHEMA_VERSION >= 4
        assert outbox.users() == []
        assert outbox.add_user("ana", "viewer", "$argon2id$not-a-real-hash", T0)
        assert outbox.record_failure("ana", T0, 2, T0 - T0) is False
        assert outbox.record_failure("ana", T0, 2, T0 - T0) is True
        user = outbox.user("ana")
        assert user is not None and user.locked_until == T0 and user.failures == 0
    finally:
        outbox.close()
