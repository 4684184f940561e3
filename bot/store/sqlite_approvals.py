"""Approvals in the SQLite outbox (bot.approvals.ApprovalStore): an append-only log and the texts of digests.

A mixin of SqliteOutbox: it uses the outbox's connections and transactions, so an approval is as durable as a
fragment's state, and `approve` may run while the daemon writes (WAL; writers take turns, see _tx).
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterator, Sequence
from contextlib import AbstractContextManager
from datetime import datetime

from bot.approval import Approval, KnownText, Revocation

_INSERT = "INSERT INTO approvals (kind, post_id, account, digest, by, at, note) VALUES (?, ?, ?, ?, ?, ?, ?)"


def _record(row: sqlite3.Row) -> Approval | Revocation:
    at = datetime.fromisoformat(row["at"])
    if row["kind"] == "approve":
        return Approval(row["post_id"], row["account"], row["digest"], row["by"], at, row["note"])
    return Revocation(row["post_id"], row["account"], row["by"], at, row["note"])


def _approval_values(a: Approval) -> tuple[object, ...]:
    return ("approve", a.post_id, a.account, a.digest, a.by, a.at.isoformat(), a.note)


class SqliteApprovalMethods:
    """The ApprovalStore methods over `_tx` / `_conn`, which SqliteOutbox provides."""

    def _tx(self) -> AbstractContextManager[sqlite3.Connection]:
        raise NotImplementedError

    def _conn(self) -> sqlite3.Connection:
        raise NotImplementedError

    def record_approval(self, approval: Approval) -> None:
        self.record_approvals([approval])

    def record_approvals(self, approvals: Sequence[Approval]) -> None:
        """Every approval in one transaction: an approval of all a post's accounts is all or nothing."""
        with self._tx() as db:
            db.executemany(_INSERT, [_approval_values(a) for a in approvals])

    def revoke(self, revocation: Revocation) -> None:
        r = revocation
        with self._tx() as db:
            db.execute(_INSERT, ("revoke", r.post_id, r.account, None, r.by, r.at.isoformat(), r.note))

    def latest_approval(self, post_id: str, account: str) -> Approval | None:
        row = (
            self._conn()
            .execute(
                "SELECT * FROM approvals WHERE post_id = ? AND account = ? ORDER BY seq DESC LIMIT 1",
                (post_id, account),
            )
            .fetchone()
        )
        record = None if row is None else _record(row)
        return record if isinstance(record, Approval) else None

    def approvals(self) -> list[Approval | Revocation]:
        return [_record(row) for row in self._conn().execute("SELECT * FROM approvals ORDER BY seq")]

    def approval_count(self) -> int:
        """How many records the log holds: it only grows, so a change means a new approval or revocation."""
        return int(self._conn().execute("SELECT count(*) FROM approvals").fetchone()[0])

    def remember_texts(self, known: KnownText) -> None:
        with self._tx() as db:
            db.execute(
                "INSERT INTO approval_texts (digest, post_id, account, texts) VALUES (?, ?, ?, ?)"
                " ON CONFLICT DO NOTHING",
                (known.digest, known.post_id, known.account, json.dumps(list(known.texts), ensure_ascii=False)),
            )

    def texts_for(self, prefix: str) -> list[KnownText]:
        rows = self._conn().execute(
            "SELECT * FROM approval_texts WHERE substr(digest, 1, ?) = ? ORDER BY digest, post_id, account",
            (len(prefix), prefix),
        )
        return list(_known(rows))


def _known(rows: Iterator[sqlite3.Row] | sqlite3.Cursor) -> Iterator[KnownText]:
    for row in rows:
        yield KnownText(row["digest"], row["post_id"], row["account"], tuple(json.loads(row["texts"])))
