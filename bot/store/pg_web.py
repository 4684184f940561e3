"""The web page's users, sessions and audit trail in the PostgreSQL outbox (schema version 4), as in SQLite."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any, TypeVar

from bot.store.pg_outbox import Key
from bot.store.pg_query import Query
from bot.store.web_records import AuditRecord, SessionRecord, UserRecord

T = TypeVar("T")


def _user(row: dict[str, Any]) -> UserRecord:
    return UserRecord(
        row["name"],
        row["role"],
        row["password_hash"],
        int(row["failures"]),
        row["locked_until"],
        row["last_sign_in"],
        row["created_at"],
    )


class PgWebMethods:
    """The WebStore methods (bot/services/webusers.py) over `_write` / `_read`, which PostgresOutbox provides."""

    def _write(self, key: Key | None, body: Callable[[Query], T]) -> T:
        raise NotImplementedError

    def _read(self, body: Callable[[Query], T]) -> T:
        raise NotImplementedError

    def add_user(self, name: str, role: str, password_hash: str, now: datetime) -> bool:
        result = self._write(
            None,
            lambda q: q(
                "INSERT INTO web_users (name, role, password_hash, created_at) VALUES (%s, %s, %s, %s)"
                " ON CONFLICT DO NOTHING",
                (name, role, password_hash, now),
            ),
        )
        return result.rowcount == 1

    def user(self, name: str) -> UserRecord | None:
        row = self._read(lambda q: q("SELECT * FROM web_users WHERE name = %s", (name,)).one())
        return None if row is None else _user(row)

    def users(self) -> list[UserRecord]:
        return [_user(row) for row in self._read(lambda q: q("SELECT * FROM web_users ORDER BY name").rows)]

    def set_password(self, name: str, password_hash: str) -> bool:
        def body(q: Query) -> bool:
            result = q(
                "UPDATE web_users SET password_hash = %s, failures = 0, locked_until = NULL WHERE name = %s",
                (password_hash, name),
            )
            q("DELETE FROM web_sessions WHERE name = %s", (name,))
            return result.rowcount == 1

        return self._write(None, body)

    def remove_user(self, name: str) -> bool:
        def body(q: Query) -> bool:
            q("DELETE FROM web_sessions WHERE name = %s", (name,))
            return q("DELETE FROM web_users WHERE name = %s", (name,)).rowcount == 1

        return self._write(None, body)

    def record_failure(self, name: str, now: datetime, max_failures: int, lock_for: timedelta) -> bool:
        def body(q: Query) -> bool:
            row = q("SELECT failures FROM web_users WHERE name = %s FOR UPDATE", (name,)).one()
            if row is None:
                return False
            failures = int(row["failures"]) + 1
            if failures >= max_failures:
                q("UPDATE web_users SET failures = 0, locked_until = %s WHERE name = %s", (now + lock_for, name))
                return True
            q("UPDATE web_users SET failures = %s WHERE name = %s", (failures, name))
            return False

        return self._write(None, body)

    def record_sign_in(self, name: str, now: datetime) -> None:
        self._write(
            None,
            lambda q: q(
                "UPDATE web_users SET failures = 0, locked_until = NULL, last_sign_in = %s WHERE name = %s",
                (now, name),
            ),
        )

    def create_session(self, token_hash: str, name: str, csrf: str, now: datetime, address: str) -> None:
        self._write(
            None,
            lambda q: q(
                "INSERT INTO web_sessions (token_hash, name, csrf, created_at, seen_at, address)"
                " VALUES (%s, %s, %s, %s, %s, %s)",
                (token_hash, name, csrf, now, now, address),
            ),
        )

    def prune_sessions(self, seen_before: datetime, created_before: datetime) -> int:
        """Delete the sessions idle since `seen_before` or made before `created_before` (abandoned ones)."""
        result = self._write(
            None,
            lambda q: q(
                "DELETE FROM web_sessions WHERE seen_at < %s OR created_at < %s", (seen_before, created_before)
            ),
        )
        return result.rowcount

    def session(self, token_hash: str) -> SessionRecord | None:
        row = self._read(
            lambda q: q(
                "SELECT s.*, u.role FROM web_sessions s JOIN web_users u ON u.name = s.name WHERE s.token_hash = %s",
                (token_hash,),
            ).one()
        )
        if row is None:
            return None
        return SessionRecord(
            row["token_hash"], row["name"], row["role"], row["csrf"], row["created_at"], row["seen_at"], row["address"]
        )

    def touch_session(self, token_hash: str, now: datetime) -> None:
        self._write(None, lambda q: q("UPDATE web_sessions SET seen_at = %s WHERE token_hash = %s", (now, token_hash)))

    def end_session(self, token_hash: str) -> None:
        self._write(None, lambda q: q("DELETE FROM web_sessions WHERE token_hash = %s", (token_hash,)))

    def record_audit(self, kind: str, now: datetime, name: str | None, address: str | None, detail: str | None) -> None:
        self._write(
            None,
            lambda q: q(
                "INSERT INTO audit (at, kind, name, address, detail) VALUES (%s, %s, %s, %s, %s)",
                (now, kind, name, address, detail),
            ),
        )

    def audit_log(self) -> list[AuditRecord]:
        rows = self._read(lambda q: q("SELECT * FROM audit ORDER BY seq").rows)
        return [AuditRecord(int(r["seq"]), r["at"], r["kind"], r["name"], r["address"], r["detail"]) for r in rows]
