"""The outbox's methods in PostgreSQL: the same names, arguments, results and errors as bot.store.sqlite.SqliteOutbox.

Each method is one transaction. Writes to a post go through `_write(key, ...)`, which serialises them per
post (an advisory transaction lock, like SQLite's single writer) and checks the lease guard before running
the statements; reads run in one read-only snapshot. The connection handling and the guard live in
postgres.py and pg_leases.py.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from datetime import datetime
from typing import Any, TypeVar

from bot.model import Fragment, Post
from bot.states import FragmentState
from bot.store.pg_query import Query
from bot.store.pg_reads import record, summaries
from bot.store.records import (
    FragmentRecord,
    FreezeResult,
    OutboxError,
    PostSummary,
    content_conflict,
    content_digest,
    mark_sent_moving,
    same_content,
)

logger = logging.getLogger("bot.outbox")  # the name its log lines have always had

T = TypeVar("T")
Key = tuple[str, str]


def aware(moment: datetime) -> datetime:
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise ValueError(f"naive datetime {moment!r}: the outbox needs timezone-aware times")
    return moment


class PgOutboxMethods:
    """The outbox protocol over `_write` and `_read`, which the concrete store provides."""

    def _write(self, key: Key | None, body: Callable[[Query], T]) -> T:
        raise NotImplementedError

    def _read(self, body: Callable[[Query], T]) -> T:
        raise NotImplementedError

    def freeze(self, post: Post, now: datetime) -> FreezeResult:
        """Record the post's fragment texts before anything is sent (see bot.store.sqlite.SqliteOutbox.freeze)."""

        def unflushed(q: Query) -> FreezeResult:  # the `sending` mark a request waits for flushes the WAL up to it
            q("SET LOCAL synchronous_commit = off")
            return self._freeze(q, post, now)

        return self._write((post.id, post.account.name), unflushed)

    def _freeze(self, q: Query, post: Post, now: datetime) -> FreezeResult:
        """freeze() in the caller's transaction (begin() runs it with the `sending` mark)."""
        key = (post.id, post.account.name)
        digest = content_digest(post)  # texts, images, alt texts and target: all that was approved
        stamp = aware(now)
        at = aware(post.at)
        row = q("SELECT texts_digest FROM posts WHERE post_id = %s AND account = %s", key).one()
        if row is None:
            q(
                "INSERT INTO posts (post_id, account, scheduled_at, texts_digest, created_at, updated_at)"
                " VALUES (%s, %s, %s, %s, %s, %s)",
                (*key, at, digest, stamp, stamp),
            )
            self._insert_fragments(q, post, range(1, len(post.fragments) + 1), stamp)
            return FreezeResult("new")
        if same_content(row["texts_digest"], post):
            q(
                "UPDATE posts SET scheduled_at = %s, texts_digest = %s, conflict = NULL, updated_at = %s"
                " WHERE post_id = %s AND account = %s",
                (at, digest, stamp, *key),
            )
            q(  # every fragment in one statement
                "UPDATE fragments f SET at = u.at FROM unnest(%s::integer[], %s::timestamptz[]) AS u(idx, at)"
                " WHERE post_id = %s AND account = %s AND f.idx = u.idx AND state IN ('pending', 'failed', 'missed')",
                ([f.index for f in post.fragments], [aware(f.at) for f in post.fragments], *key),
            )
            return FreezeResult("same")
        started = q(
            "SELECT idx, state FROM fragments WHERE post_id = %s AND account = %s"
            " AND state IN ('sending', 'sent', 'unknown') ORDER BY idx LIMIT 1",
            key,
        ).one()
        if started is not None:
            frozen = [
                r["text"]
                for r in q("SELECT text FROM fragments WHERE post_id = %s AND account = %s ORDER BY idx", key).rows
            ]
            conflict = content_conflict(int(started["idx"]), str(started["state"]), frozen, post)
            q(
                "UPDATE posts SET conflict = %s, updated_at = %s WHERE post_id = %s AND account = %s",
                (conflict, stamp, *key),
            )
            return FreezeResult("conflict", conflict)
        q("DELETE FROM fragments WHERE post_id = %s AND account = %s", key)
        q(
            "UPDATE posts SET scheduled_at = %s, texts_digest = %s, conflict = NULL, standalone_from = NULL,"
            " next_at = NULL, updated_at = %s WHERE post_id = %s AND account = %s",
            (at, digest, stamp, *key),
        )
        self._insert_fragments(q, post, range(1, len(post.fragments) + 1), stamp)
        return FreezeResult("replaced")

    @staticmethod
    def _insert_fragments(q: Query, post: Post, indexes: range | list[int], stamp: datetime) -> None:
        fragments = [post.fragments[index - 1] for index in indexes]
        if not fragments:
            return
        q(  # one statement for every fragment: one round trip, not one per fragment
            "INSERT INTO fragments (post_id, account, idx, total, text, at, state, created_at, updated_at)"
            " SELECT %s, %s, u.idx, u.total, u.text, u.at, 'pending', %s, %s"
            " FROM unnest(%s::integer[], %s::integer[], %s::text[], %s::timestamptz[]) AS u(idx, total, text, at)",
            (
                post.id,
                post.account.name,
                stamp,
                stamp,
                [f.index for f in fragments],
                [f.total for f in fragments],
                [f.text for f in fragments],
                [aware(f.at) for f in fragments],
            ),
        )

    def accept_edit(self, post: Post, now: datetime) -> int:
        """Adopt the post's current texts for every fragment not yet sent (see SqliteOutbox.accept_edit)."""
        key = (post.id, post.account.name)
        stamp = aware(now)

        def body(q: Query) -> int:
            if q("SELECT 1 FROM posts WHERE post_id = %s AND account = %s", key).one() is None:
                raise OutboxError(f"post {post.id} for account {post.account.name} was never frozen")
            kept = {
                int(row["idx"])
                for row in q(
                    "SELECT idx FROM fragments WHERE post_id = %s AND account = %s"
                    " AND state IN ('sending', 'sent', 'unknown')",
                    key,
                ).rows
            }
            q(
                "DELETE FROM fragments WHERE post_id = %s AND account = %s"
                " AND state NOT IN ('sending', 'sent', 'unknown')",
                key,
            )
            replaced = [f.index for f in post.fragments if f.index not in kept]
            self._insert_fragments(q, post, replaced, stamp)
            q(
                "UPDATE posts SET texts_digest = %s, conflict = NULL, scheduled_at = %s, updated_at = %s"
                " WHERE post_id = %s AND account = %s",
                (content_digest(post), aware(post.at), stamp, *key),
            )
            return len(replaced)

        return self._write(key, body)

    # -- reading ---------------------------------------------------------------------------------

    def fragments_of(self, post_id: str, account: str) -> list[FragmentRecord]:
        """The post's fragments in order; empty when it was never frozen."""
        rows = self._read(
            lambda q: (
                q("SELECT * FROM fragments WHERE post_id = %s AND account = %s ORDER BY idx", (post_id, account)).rows
            )
        )
        return [record(row) for row in rows]

    def post(self, post_id: str, account: str) -> PostSummary | None:
        found = self._summaries((post_id, account))
        return found[0] if found else None

    def posts(self) -> list[PostSummary]:
        """Every recorded post, by scheduled time."""
        return self._summaries(None)

    def standalone_from(self, post_id: str, account: str) -> int | None:
        """The index from which the post's fragments are sent without replying, if any."""
        row = self._read(
            lambda q: q(
                "SELECT standalone_from FROM posts WHERE post_id = %s AND account = %s", (post_id, account)
            ).one()
        )
        return None if row is None or row["standalone_from"] is None else int(row["standalone_from"])

    def _summaries(self, key: Key | None) -> list[PostSummary]:
        args: tuple[str, ...] = key if key is not None else ()
        post_where = "WHERE p.post_id = %s AND p.account = %s" if key is not None else ""
        fragment_where = "WHERE post_id = %s AND account = %s" if key is not None else ""

        def body(q: Query) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
            posts = q(
                "SELECT p.*, h.reason AS hold FROM posts p LEFT JOIN holds h ON h.account = p.account "
                f"{post_where} ORDER BY p.scheduled_at, p.post_id, p.account",
                args,
            ).rows
            fragments = q(
                f"SELECT post_id, account, state, last_error FROM fragments {fragment_where}"
                " ORDER BY post_id, account, idx",
                args,
            ).rows
            return posts, fragments

        posts, fragments = self._read(body)  # one snapshot for both queries
        return summaries(posts, fragments)

    # -- fragment transitions --------------------------------------------------------------------

    def _move(
        self,
        post_id: str,
        account: str,
        index: int,
        allowed: tuple[FragmentState, ...],
        assignments: str,
        values: tuple[object, ...],
    ) -> None:
        def body(q: Query) -> str | None:
            moved = q(
                f"UPDATE fragments SET {assignments} WHERE post_id = %s AND account = %s AND idx = %s"
                " AND state = ANY(%s)",
                (*values, post_id, account, index, list(allowed)),
            )
            if moved.rowcount == 1:
                return None
            row = q(
                "SELECT state FROM fragments WHERE post_id = %s AND account = %s AND idx = %s",
                (post_id, account, index),
            ).one()
            return "no such fragment" if row is None else f"it is {row['state']}"

        found = self._write((post_id, account), body)
        if found is not None:
            raise OutboxError(
                f"post {post_id} account {account} fragment {index}: expected state {'/'.join(allowed)}, {found}"
            )

    def mark_sending(self, post_id: str, account: str, index: int, now: datetime) -> None:
        """pending -> sending, counting one attempt. Committed before the request is made."""
        assignments = "state = 'sending', attempts = attempts + 1, updated_at = %s"
        self._move(post_id, account, index, (FragmentState.PENDING,), assignments, (aware(now),))

    def mark_sent(self, post_id: str, account: str, index: int, remote_id: str, url: str, now: datetime) -> None:
        """sending/unknown -> sent with the platform's id. Committed right after the answer.

        Also pending -> sent (logged): the platform's id is in hand (see bot.store.sqlite.SqliteOutbox.mark_sent).
        """
        stamp = aware(now)
        assignments = (
            "state = 'sent', remote_id = %s, url = %s, last_error = NULL, sent_at = %s, updated_at = %s,"
            " doubt_since = NULL, duplicate_refused = false"
        )
        values = (remote_id, url, stamp, stamp)
        mark_sent_moving(
            lambda states: self._move(post_id, account, index, states, assignments, values),
            logger.warning, post_id, account, index, remote_id,
        )  # fmt: skip

    def mark_pending(
        self, post_id: str, account: str, index: int, error: str | None, now: datetime, retext: Fragment | None = None
    ) -> None:
        """sending/unknown -> pending: nothing exists on the platform, it may be sent again (see SqliteOutbox)."""
        text, total = (retext.text, retext.total) if retext is not None else (None, None)
        assignments = (
            "state = 'pending', last_error = %s, updated_at = %s,"
            " text = COALESCE(%s, text), total = COALESCE(%s, total), doubt_since = NULL, duplicate_refused = false"
        )
        values = (error, aware(now), text, total)
        self._move(post_id, account, index, (FragmentState.SENDING, FragmentState.UNKNOWN), assignments, values)

    def mark_failed(self, post_id: str, account: str, index: int, error: str, now: datetime) -> None:
        """-> failed: not published and not retried until a person resumes the post."""
        assignments = "state = 'failed', last_error = %s, updated_at = %s"
        self._move(
            post_id,
            account,
            index,
            (FragmentState.PENDING, FragmentState.SENDING, FragmentState.UNKNOWN),
            assignments,
            (error, aware(now)),
        )

    def mark_unknown(
        self, post_id: str, account: str, index: int, error: str, now: datetime, *, duplicate: bool = False
    ) -> None:
        """sending -> unknown: it may exist (see bot.store.sqlite.SqliteOutbox.mark_unknown: doubt_since, duplicate)."""
        stamp = aware(now)
        assignments = (
            "state = 'unknown', last_error = %s, updated_at = %s, doubt_since = COALESCE(doubt_since, %s),"
            " duplicate_refused = duplicate_refused OR %s"
        )
        self._move(
            post_id,
            account,
            index,
            (FragmentState.SENDING, FragmentState.UNKNOWN),
            assignments,
            (error, stamp, stamp, duplicate),
        )

    def mark_missed(self, post_id: str, account: str, reason: str, now: datetime) -> int:
        """Every pending fragment of the post -> missed (its time passed). Returns how many."""
        stamp = aware(now)
        return self._write(
            (post_id, account),
            lambda q: (
                q(
                    "UPDATE fragments SET state = 'missed', last_error = %s, updated_at = %s"
                    " WHERE post_id = %s AND account = %s AND state = 'pending'",
                    (reason, stamp, post_id, account),
                ).rowcount
            ),
        )

    def resume(self, post_id: str, account: str, now: datetime) -> int:
        """Failed and missed fragments -> pending with attempts reset. Returns how many."""
        stamp = aware(now)

        def body(q: Query) -> int:
            moved = q(
                "UPDATE fragments SET state = 'pending', attempts = 0, last_error = NULL, updated_at = %s,"
                " doubt_since = NULL, duplicate_refused = false"
                " WHERE post_id = %s AND account = %s AND state IN ('failed', 'missed')",
                (stamp, post_id, account),
            )
            q(
                "UPDATE posts SET next_at = NULL, updated_at = %s WHERE post_id = %s AND account = %s",
                (stamp, post_id, account),
            )
            return moved.rowcount

        return self._write((post_id, account), body)

    # -- post-level facts ------------------------------------------------------------------------

    def set_standalone_from(self, post_id: str, account: str, index: int, note: str, now: datetime) -> None:
        """From fragment `index` on, post without replying to the previous fragment; note why."""
        stamp = aware(now)

        def body(q: Query) -> None:
            q(
                "UPDATE posts SET standalone_from = LEAST(standalone_from, %s), updated_at = %s"
                " WHERE post_id = %s AND account = %s",
                (index, stamp, post_id, account),
            )
            self._append_note(q, post_id, account, note)

        self._write((post_id, account), body)

    def add_note(self, post_id: str, account: str, note: str, now: datetime) -> None:
        """Keep a note for `status` (the same note is kept once)."""
        stamp = aware(now)

        def body(q: Query) -> None:
            self._append_note(q, post_id, account, note)
            q("UPDATE posts SET updated_at = %s WHERE post_id = %s AND account = %s", (stamp, post_id, account))

        self._write((post_id, account), body)

    @staticmethod
    def _append_note(q: Query, post_id: str, account: str, note: str) -> None:
        row = q("SELECT notes FROM posts WHERE post_id = %s AND account = %s", (post_id, account)).one()
        if row is None:
            raise OutboxError(f"post {post_id} for account {account} was never frozen")
        notes: list[str] = json.loads(row["notes"])
        if note not in notes:
            notes.append(note)
            q(
                "UPDATE posts SET notes = %s WHERE post_id = %s AND account = %s",
                (json.dumps(notes, ensure_ascii=False), post_id, account),
            )

    def record_outcome(
        self, post_id: str, account: str, kind: str, message: str, next_at: datetime | None, now: datetime
    ) -> None:
        """Remember the last run's outcome and when the post wants to run again, for `status`."""
        values = (kind, message, None if next_at is None else aware(next_at), aware(now), post_id, account)
        self._write(
            (post_id, account),
            lambda q: q(
                "UPDATE posts SET last_outcome = %s, last_message = %s, next_at = %s, updated_at = %s"
                " WHERE post_id = %s AND account = %s",
                values,
            ),
        )
