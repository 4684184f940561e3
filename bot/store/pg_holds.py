"""Account holds in PostgreSQL: account-wide, so not guarded by any post's lease (see SqliteOutbox.hold)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import TypeVar

from bot.store.pg_outbox import Key, aware
from bot.store.pg_query import Query

T = TypeVar("T")


class PgHoldMethods:
    """hold, release, hold_reason, holds over `_write`/`_read`, which the concrete store provides."""

    def _write(self, key: Key | None, body: Callable[[Query], T]) -> T:
        raise NotImplementedError

    def _read(self, body: Callable[[Query], T]) -> T:
        raise NotImplementedError

    def _read_one(self, body: Callable[[Query], T]) -> T:
        raise NotImplementedError

    def hold(self, account: str, reason: str, now: datetime) -> None:
        """Stop publishing for an account until release(): its credentials need a person."""
        stamp = aware(now)
        self._write(
            None,
            lambda q: q(
                "INSERT INTO holds (account, reason, held_at) VALUES (%s, %s, %s)"
                " ON CONFLICT (account) DO UPDATE SET reason = excluded.reason, held_at = excluded.held_at",
                (account, reason, stamp),
            ),
        )

    def release(self, account: str) -> bool:
        """Lift an account's hold. Returns whether there was one."""
        return self._write(None, lambda q: q("DELETE FROM holds WHERE account = %s", (account,)).rowcount > 0)

    def hold_reason(self, account: str) -> str | None:
        row = self._read_one(lambda q: q("SELECT reason FROM holds WHERE account = %s", (account,)).one())
        return None if row is None else str(row["reason"])

    def holds(self) -> dict[str, str]:
        """Held accounts and why."""
        rows = self._read(lambda q: q("SELECT account, reason FROM holds").rows)
        return {row["account"]: row["reason"] for row in rows}
