"""Outbox.begin in PostgreSQL: the hot path at a post's time in one guarded transaction (bot/store/interface.py).

The same statements as freeze(), then one read of the hold, standalone index and fragments, and the `sending` mark,
in the transaction `_write` guards by the lease (lock, token, expiry, renewal) and commits with the flush on: one
transaction and one flush before the first request, where freeze, hold_reason, fragments_of, standalone_from and
mark_sending were five.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import TypeVar

from bot.model import Post
from bot.store.pg_fire import PgFireMethods
from bot.store.pg_query import Query
from bot.store.pg_reads import record
from bot.store.records import Begun, FreezeResult, first_to_send

T = TypeVar("T")
Key = tuple[str, str]


class PgBeginMethods(PgFireMethods):
    """begin() over `_write` and `_freeze`, which the concrete store provides; fire() (pg_fire.py) is its one-round-
    trip form at a post's time."""

    def _write(self, key: Key | None, body: Callable[[Query], T]) -> T:
        raise NotImplementedError

    def _freeze(self, q: Query, post: Post, now: datetime) -> FreezeResult:
        raise NotImplementedError

    def begin(self, post: Post, now: datetime, max_attempts: int) -> Begun:
        key = (post.id, post.account.name)

        def body(q: Query) -> Begun:
            frozen = self._freeze(q, post, now)
            rows = q(  # the post's row with the account's hold, then its fragments: one statement
                "SELECT p.standalone_from, h.reason AS hold, f.* FROM posts p"
                " LEFT JOIN holds h ON h.account = p.account"
                " LEFT JOIN fragments f ON f.post_id = p.post_id AND f.account = p.account"
                " WHERE p.post_id = %s AND p.account = %s ORDER BY f.idx",
                key,
            ).rows
            head = rows[0] if rows else None
            hold = None if head is None or head["hold"] is None else str(head["hold"])
            standalone = None if head is None or head["standalone_from"] is None else int(head["standalone_from"])
            records = [record(row) for row in rows if row["idx"] is not None]
            first = None if frozen.kind == "conflict" or hold is not None else first_to_send(records, now, max_attempts)
            if first is not None:
                q(
                    "UPDATE fragments SET state = 'sending', attempts = attempts + 1, updated_at = %s"
                    " WHERE post_id = %s AND account = %s AND idx = %s AND state = 'pending'",
                    (now, *key, first.index),
                )
            return Begun(frozen, hold, records, standalone, None if first is None else first.index)

        return self._write(key, body)
