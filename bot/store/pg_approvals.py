"""Approvals in the PostgreSQL outbox (bot.approvals.ApprovalStore), the same log as the SQLite one.

Approvals are not guarded by any post's lease: `approve` is a person's act, not a daemon's publication.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from datetime import datetime, timedelta, timezone
from typing import Any, TypeVar

from bot.approval import Approval, KnownText, Revocation
from bot.store.pg_outbox import Key, aware
from bot.store.pg_query import Query

T = TypeVar("T")

_INSERT = (
    "INSERT INTO approvals (kind, post_id, account, digest, by_name, at, at_offset, note)"
    " VALUES (%s, %s, %s, %s, %s, %s, %s, %s)"
)


def _offset(moment: datetime) -> int:
    offset = aware(moment).utcoffset()
    return int(offset.total_seconds()) if offset is not None else 0


def _record(row: dict[str, Any]) -> Approval | Revocation:
    at: datetime = row["at"].astimezone(timezone(timedelta(seconds=row["at_offset"])))
    if row["kind"] == "approve":
        return Approval(row["post_id"], row["account"], row["digest"], row["by_name"], at, row["note"])
    return Revocation(row["post_id"], row["account"], row["by_name"], at, row["note"])


class PgApprovalMethods:
    """The ApprovalStore methods over `_write` / `_read`, which PostgresOutbox provides."""

    def _write(self, key: Key | None, body: Callable[[Query], T]) -> T:
        raise NotImplementedError

    def _read(self, body: Callable[[Query], T]) -> T:
        raise NotImplementedError

    def record_approval(self, approval: Approval) -> None:
        self.record_approvals([approval])

    def record_approvals(self, approvals: Sequence[Approval]) -> None:
        """Every approval in one transaction: an approval of all a post's accounts is all or nothing."""

        def body(q: Query) -> None:
            for a in approvals:
                q(_INSERT, ("approve", a.post_id, a.account, a.digest, a.by, a.at, _offset(a.at), a.note))

        self._write(None, body)

    def revoke(self, revocation: Revocation) -> None:
        r = revocation
        self._write(
            None, lambda q: q(_INSERT, ("revoke", r.post_id, r.account, None, r.by, r.at, _offset(r.at), r.note))
        )

    def latest_approval(self, post_id: str, account: str) -> Approval | None:
        row = self._read(
            lambda q: q(
                "SELECT * FROM approvals WHERE post_id = %s AND account = %s ORDER BY seq DESC LIMIT 1",
                (post_id, account),
            ).one()
        )
        record = None if row is None else _record(row)
        return record if isinstance(record, Approval) else None

    def approvals(self) -> list[Approval | Revocation]:
        return [_record(row) for row in self._read(lambda q: q("SELECT * FROM approvals ORDER BY seq").rows)]

    def approval_count(self) -> int:
        row = self._read(lambda q: q("SELECT count(*) AS n FROM approvals").one())
        return 0 if row is None else int(row["n"])

    def remember_texts(self, known: KnownText) -> None:
        texts = json.dumps(list(known.texts), ensure_ascii=False)
        self._write(
            None,
            lambda q: q(
                "INSERT INTO approval_texts (digest, post_id, account, texts) VALUES (%s, %s, %s, %s)"
                " ON CONFLICT DO NOTHING",
                (known.digest, known.post_id, known.account, texts),
            ),
        )

    def texts_for(self, prefix: str) -> list[KnownText]:
        rows = self._read(
            lambda q: (
                q(
                    "SELECT * FROM approval_texts WHERE left(digest, %s) = %s ORDER BY digest, post_id, account",
                    (len(prefix), prefix),
                ).rows
            )
        )
        return [KnownText(r["digest"], r["post_id"], r["account"], tuple(json.loads(r["texts"]))) for r in rows]
