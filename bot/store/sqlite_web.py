"""The web page's users, sessions and audit trail in the SQLite outbox (schema version 4).

A mixin of SqliteOutbox, like the approvals: the same connections and short transactions. Times are stored as
ISO 8601 UTC text.
"""

from __future__ import annotations

import sqlite3
from contextlib import AbstractContextManager
from datetime import UTC, datetime, timedelta

from bot.store.web_records import AuditRecord, SessionRecord, UserRecord


def _iso(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat()


def _time(text: str | None) -> datetime | None:
    return None if text is None else datetime.fromisoformat(text)


def _user(row: sqlite3.Row) -> UserRecord:
    return UserRecord(
        row["name"],
        row["role"],
        row["password_hash"],
        int(row["failures"]),
        _time(row["locked_until"]),
        _time(row["last_sign_in"]),
        datetime.fromisoformat(row["created_at"]),
    )


class SqliteWebMethods:
    """The WebStore methods (bot/services/webusers.py) over `_tx` / `_conn`, which SqliteOutbox provides."""

    def _tx(self) -> AbstractContextManager[sqlite3.Connection]:
        raise NotImplementedError

    def _conn(self) -> sqlite3.Connection:
        raise NotImplementedError

    def add_user(self, name: str, role: str, password_hash: str, now: datetime) -> bool:
        with self._tx() as db:
            cursor = db.execute(
                "INSERT INTO web_users (name, role, password_hash, created_at) VALUES (?, ?, ?, ?)"
                " ON CONFLICT DO NOTHING",
                (name, role, password_hash, _iso(now)),
            )
            return cursor.rowcount == 1

    def user(self, name: str) -> UserRecord | None:
        row = self._conn().execute("SELECT * FROM web_users WHERE name = ?", (name,)).fetchone()
        return None if row is None else _user(row)

    def users(self) -> list[UserRecord]:
        return [_user(row) for row in self._conn().execute("SELECT * FROM web_users ORDER BY name")]

    def set_password(self, name: str, password_hash: str) -> bool:
        """A new hash; every session of the user ends and the lock is lifted."""
        with self._tx() as db:
            cursor = db.execute(
                "UPDATE web_users SET password_hash = ?, failures = 0, locked_until = NULL WHERE name = ?",
                (password_hash, name),
            )
            db.execute("DELETE FROM web_sessions WHERE name = ?", (name,))
            return cursor.rowcount == 1

    def remove_user(self, name: str) -> bool:
        with self._tx() as db:
            db.execute("DELETE FROM web_sessions WHERE name = ?", (name,))
            return db.execute("DELETE FROM web_users WHERE name = ?", (name,)).rowcount == 1

    def record_failure(self, name: str, now: datetime, max_failures: int, lock_for: timedelta) -> bool:
        """One more failed sign-in; True when it locks the user (the count starts again after the lock)."""
        with self._tx() as db:
            row = db.execute("SELECT failures FROM web_users WHERE name = ?", (name,)).fetchone()
            if row is None:
                return False
            failures = int(row["failures"]) + 1
            if failures >= max_failures:
                db.execute(
                    "UPDATE web_users SET failures = 0, locked_until = ? WHERE name = ?",
                    (_iso(now + lock_for), name),
                )
                return True
            db.execute("UPDATE web_users SET failures = ? WHERE name = ?", (failures, name))
            return False

    def record_sign_in(self, name: str, now: datetime) -> None:
        with self._tx() as db:
            db.execute(
                "UPDATE web_users SET failures = 0, locked_until = NULL, last_sign_in = ? WHERE name = ?",
                (_iso(now), name),
            )

    def create_session(self, token_hash: str, name: str, csrf: str, now: datetime, address: str) -> None:
        with self._tx() as db:
            db.execute(
                "INSERT INTO web_sessions (token_hash, name, csrf, created_at, seen_at, address)"
                " VALUES (?, ?, ?, ?, ?, ?)",
                (token_hash, name, csrf, _iso(now), _iso(now), address),
            )

    def prune_sessions(self, seen_before: datetime, created_before: datetime) -> int:
        """Delete the sessions idle since `seen_before` or made before `created_before` (abandoned ones)."""
        with self._tx() as db:
            cursor = db.execute(
                "DELETE FROM web_sessions WHERE seen_at < ? OR created_at < ?",
                (_iso(seen_before), _iso(created_before)),
            )
            return int(cursor.rowcount)

    def session(self, token_hash: str) -> SessionRecord | None:
        row = (
            self._conn()
            .execute(
                "SELECT s.*, u.role FROM web_sessions s JOIN web_users u ON u.name = s.name WHERE s.token_hash = ?",
                (token_hash,),
            )
            .fetchone()
        )
        if row is None:
            return None
        return SessionRecord(
            row["token_hash"],
            row["name"],
            row["role"],
            row["csrf"],
            datetime.fromisoformat(row["created_at"]),
            datetime.fromisoformat(row["seen_at"]),
            row["address"],
        )

    def touch_session(self, token_hash: str, now: datetime) -> None:
        with self._tx() as db:
            db.execute("UPDATE web_sessions SET seen_at = ? WHERE token_hash = ?", (_iso(now), token_hash))

    def end_session(self, token_hash: str) -> None:
        with self._tx() as db:
            db.execute("DELETE FROM web_sessions WHERE token_hash = ?", (token_hash,))

    def record_audit(self, kind: str, now: datetime, name: str | None, address: str | None, detail: str | None) -> None:
        with self._tx() as db:
            db.execute(
                "INSERT INTO audit (at, kind, name, address, detail) VALUES (?, ?, ?, ?, ?)",
                (_iso(now), kind, name, address, detail),
            )

    def audit_log(self) -> list[AuditRecord]:
        return [
            AuditRecord(
                int(row["seq"]),
                datetime.fromisoformat(row["at"]),
                row["kind"],
                row["name"],
                row["address"],
                row["detail"],
            )
            for row in self._conn().execute("SELECT * FROM audit ORDER BY seq")
        ]
