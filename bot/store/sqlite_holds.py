"""Account holds in the SQLite outbox: account-wide, so a mixin of SqliteOutbox (as pg_holds is of PostgreSQL's)."""

from __future__ import annotations

import sqlite3
from contextlib import AbstractContextManager
from datetime import datetime

from bot.store.sqlite_reads import iso as _iso


class SqliteHoldMethods:
    """hold, release, hold_reason, holds over `_tx` / `_conn`, which SqliteOutbox provides."""

    def _tx(self) -> AbstractContextManager[sqlite3.Connection]:
        raise NotImplementedError

    def _conn(self) -> sqlite3.Connection:
        raise NotImplementedError

    def hold(self, account: str, reason: str, now: datetime) -> None:
        """Stop publishing for an account until release(): its credentials need a person."""
        with self._tx() as db:
            db.execute(
                "INSERT INTO holds (account, reason, held_at) VALUES (?, ?, ?)"
                " ON CONFLICT (account) DO UPDATE SET reason = excluded.reason, held_at = excluded.held_at",
                (account, reason, _iso(now)),
            )

    def release(self, account: str) -> bool:
        """Lift an account's hold. Returns whether there was one."""
        with self._tx() as db:
            return db.execute("DELETE FROM holds WHERE account = ?", (account,)).rowcount > 0

    def hold_reason(self, account: str) -> str | None:
        row = self._conn().execute("SELECT reason FROM holds WHERE account = ?", (account,)).fetchone()
        return None if row is None else str(row["reason"])

    def holds(self) -> dict[str, str]:
        """Held accounts and why."""
        return {row["account"]: row["reason"] for row in self._conn().execute("SELECT * FROM holds")}
