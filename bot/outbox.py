"""The durable record of what was published: one row per fragment of each post, and its state.

This is the only module that imports sqlite3. The database lives in a state folder (owner-only
permissions), in WAL mode so that readers such as `status` work while the daemon writes. Each thread gets
its own connection; every method is one short transaction, committed before it returns, so `mark_sending`
is on disk before the request leaves and `mark_sent` right after the answer.

Fragment states::

    pending --mark_sending--> sending --mark_sent--> sent
                                 |  \\--mark_pending--> pending   (nothing was written: retry later)
                                 |   \\-mark_failed---> failed    (rejected, or gave up)
                                 \\----mark_unknown---> unknown   (may exist: look it up before resending)
    pending --mark_missed--> missed

A fragment found in `sending` or `unknown` has an unknown outcome; the runner looks it up on the platform
before it sends anything again. Time is always passed in (aware datetimes); it is stored as ISO 8601 UTC.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import sqlite3
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Literal

from bot.model import Post

logger = logging.getLogger(__name__)

SCHEMA_VERSION = 1
DB_NAME = "outbox.sqlite3"
BUSY_TIMEOUT_MS = 10_000

FragmentState = Literal["pending", "sending", "sent", "failed", "unknown", "missed"]
FreezeKind = Literal["new", "same", "replaced", "conflict"]

_SCHEMA_V1 = (
    """
CREATE TABLE posts (
    post_id TEXT NOT NULL,
    account TEXT NOT NULL,
    scheduled_at TEXT NOT NULL,
    texts_digest TEXT NOT NULL,          -- digest of the accepted fragment texts (see freeze)
    conflict TEXT,                       -- why the current message no longer matches (NULL: none)
    standalone_from INTEGER,             -- fragments from this index on are posted without reply_to
    next_at TEXT,                        -- when the runner wants to be called again
    last_outcome TEXT,
    last_message TEXT,
    notes TEXT NOT NULL DEFAULT '[]',    -- JSON list of notes for `status`
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    PRIMARY KEY (post_id, account)
)""",
    """
CREATE TABLE fragments (
    post_id TEXT NOT NULL,
    account TEXT NOT NULL,
    idx INTEGER NOT NULL,
    total INTEGER NOT NULL,
    text TEXT NOT NULL,
    at TEXT NOT NULL,
    state TEXT NOT NULL
        CHECK (state IN ('pending', 'sending', 'sent', 'failed', 'unknown', 'missed')),
    remote_id TEXT,
    url TEXT,
    attempts INTEGER NOT NULL DEFAULT 0,
    last_error TEXT,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    sent_at TEXT,
    PRIMARY KEY (post_id, account, idx),
    FOREIGN KEY (post_id, account) REFERENCES posts (post_id, account) ON DELETE CASCADE
)""",
    """
CREATE TABLE holds (
    account TEXT PRIMARY KEY,
    reason TEXT NOT NULL,
    held_at TEXT NOT NULL
)""",
)

# version reached -> the statements that bring the previous version there
_MIGRATIONS: dict[int, tuple[str, ...]] = {1: _SCHEMA_V1}


class OutboxError(Exception):
    """The state database cannot be used, or a state change was not allowed (a bug in the caller)."""


@dataclass(frozen=True)
class FragmentRecord:
    """One fragment as recorded: its frozen text and where it stands."""

    post_id: str
    account: str
    index: int
    total: int
    text: str
    at: datetime
    state: FragmentState
    remote_id: str | None
    url: str | None
    attempts: int
    last_error: str | None
    created_at: datetime
    updated_at: datetime
    sent_at: datetime | None


@dataclass(frozen=True)
class FreezeResult:
    """What freeze() did. `conflict` explains a refused change (kind "conflict")."""

    kind: FreezeKind
    conflict: str | None = None


@dataclass(frozen=True)
class PostSummary:
    """A post as `status` shows it: post-level facts plus fragment counts."""

    post_id: str
    account: str
    scheduled_at: datetime
    total: int
    counts: dict[str, int]  # fragment state -> how many
    conflict: str | None
    hold: str | None  # the account's hold reason, when the post is not finished
    standalone_from: int | None
    next_at: datetime | None
    last_outcome: str | None
    last_message: str | None
    last_error: str | None  # of the first fragment that has one
    notes: tuple[str, ...]
    updated_at: datetime

    @property
    def sent(self) -> int:
        return self.counts.get("sent", 0)

    @property
    def state(self) -> str:
        """One word for the post: done, conflict, held, unknown, failed, missed, sending, started, pending."""
        if self.total and self.sent == self.total:
            return "done"
        if self.conflict:
            return "conflict"
        if self.hold:
            return "held"
        for state in ("unknown", "failed", "missed", "sending"):
            if self.counts.get(state):
                return state
        return "started" if self.sent else "pending"


def _iso(moment: datetime) -> str:
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise ValueError(f"naive datetime {moment!r}: the outbox needs timezone-aware times")
    return moment.astimezone(UTC).isoformat()


def _parse(text: str) -> datetime:
    return datetime.fromisoformat(text)


def _parse_opt(text: str | None) -> datetime | None:
    return None if text is None else datetime.fromisoformat(text)


def texts_digest(texts: tuple[str, ...] | list[str]) -> str:
    """A stable digest of a post's fragment texts, in order."""
    encoded = json.dumps(list(texts), ensure_ascii=False, separators=(",", ":")).encode("utf-8")
    return hashlib.sha256(encoded).hexdigest()


class Outbox:
    """The SQLite state database. Safe to share between threads; open it with Outbox.open()."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._local = threading.local()
        self._lock = threading.Lock()
        # Writers of this process take turns here rather than in SQLite's busy handler, which polls with sleeps
        # of up to 100 ms: with many accounts publishing at once, some writers waited seconds for a free lock.
        self._write_lock = threading.Lock()
        self._connections: list[sqlite3.Connection] = []
        self._closed = False

    @classmethod
    def open(cls, state_dir: Path, *, create: bool = True) -> Outbox:
        """Open (and with `create`, make) the state folder and its database, migrating the schema.

        Raises FileNotFoundError when `create` is false and there is no database yet; OutboxError when the
        database was written by a newer version of the bot, or is not a database.
        """
        path = state_dir / DB_NAME
        if not create and not path.exists():
            raise FileNotFoundError(f"no state database at {path}: nothing has been published from here")
        if not state_dir.exists():
            state_dir.mkdir(mode=0o700, parents=True)
            state_dir.chmod(0o700)  # mkdir's mode is filtered by the umask
        elif state_dir.stat().st_mode & 0o077:
            logger.warning("state folder %s is readable by other users; chmod 700 it", state_dir)
        if not path.exists():
            os.close(os.open(path, os.O_CREAT | os.O_WRONLY, 0o600))
            path.chmod(0o600)
        outbox = cls(path)
        try:
            outbox._migrate()
        except sqlite3.DatabaseError as error:  # not a database at all, or damaged: never a traceback
            outbox.close()
            raise OutboxError(
                f"{path} cannot be read as the bot's state database ({error}): restore it from a backup, or move "
                "it aside to start again (the bot then no longer knows what it already published)"
            ) from None
        return outbox

    def close(self) -> None:
        """Close every connection this outbox opened (from any thread)."""
        with self._lock:
            self._closed = True
            for connection in self._connections:
                connection.close()
            self._connections.clear()

    # -- connections and transactions ------------------------------------------------------------

    def _conn(self) -> sqlite3.Connection:
        if self._closed:
            raise OutboxError(f"the outbox {self.path} is closed")
        connection: sqlite3.Connection | None = getattr(self._local, "connection", None)
        if connection is not None:
            return connection
        with self._lock:
            if self._closed:
                raise OutboxError(f"the outbox {self.path} is closed")
            # Autocommit mode: transactions are explicit (BEGIN IMMEDIATE) in _tx(). Each connection is
            # used by one thread only; check_same_thread=False lets close() run from another thread.
            connection = sqlite3.connect(
                self.path, timeout=BUSY_TIMEOUT_MS / 1000, isolation_level=None, check_same_thread=False
            )
            connection.row_factory = sqlite3.Row
            connection.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
            connection.execute("PRAGMA journal_mode = WAL")
            connection.execute("PRAGMA synchronous = FULL")  # a commit survives a power cut, not just a crash
            connection.execute("PRAGMA foreign_keys = ON")
            self._connections.append(connection)
        self._local.connection = connection
        return connection

    @contextmanager
    def _tx(self) -> Iterator[sqlite3.Connection]:
        connection = self._conn()
        with self._write_lock:  # never nested: each method is one transaction
            connection.execute("BEGIN IMMEDIATE")
            try:
                yield connection
            except BaseException:
                connection.execute("ROLLBACK")
                raise
            connection.execute("COMMIT")

    def _migrate(self) -> None:
        with self._tx() as db:
            version = int(db.execute("PRAGMA user_version").fetchone()[0])
            if version > SCHEMA_VERSION:
                raise OutboxError(
                    f"{self.path} has schema version {version}, newer than this bot's {SCHEMA_VERSION}: "
                    "upgrade the bot or use another state folder"
                )
            for target in range(version + 1, SCHEMA_VERSION + 1):
                for statement in _MIGRATIONS[target]:
                    db.execute(statement)
                db.execute(f"PRAGMA user_version = {target}")
                logger.info("state database %s migrated to schema version %d", self.path, target)

    def schema_version(self) -> int:
        return int(self._conn().execute("PRAGMA user_version").fetchone()[0])

    # -- freezing texts --------------------------------------------------------------------------

    def freeze(self, post: Post, now: datetime) -> FreezeResult:
        """Record the post's fragment texts before anything is sent.

        - first time: the texts are stored ("new");
        - same texts as accepted before: nothing changes except unsent fragments' times ("same"); a
          conflict recorded earlier is cleared, since the text was restored;
        - different texts, nothing sent or in flight yet: the old fragments are replaced ("replaced");
        - different texts after publishing started (a fragment sending, sent or unknown): nothing is
          overwritten; the conflict is recorded on the post ("conflict").
        """
        key = (post.id, post.account.name)
        digest = texts_digest([f.text for f in post.fragments])
        stamp = _iso(now)
        with self._tx() as db:
            row = db.execute("SELECT texts_digest FROM posts WHERE post_id = ? AND account = ?", key).fetchone()
            if row is None:
                db.execute(
                    "INSERT INTO posts (post_id, account, scheduled_at, texts_digest, created_at, updated_at)"
                    " VALUES (?, ?, ?, ?, ?, ?)",
                    (*key, _iso(post.at), digest, stamp, stamp),
                )
                self._insert_fragments(db, post, range(1, len(post.fragments) + 1), stamp)
                return FreezeResult("new")
            if row["texts_digest"] == digest:
                db.execute(
                    "UPDATE posts SET scheduled_at = ?, conflict = NULL, updated_at = ?"
                    " WHERE post_id = ? AND account = ?",
                    (_iso(post.at), stamp, *key),
                )
                for fragment in post.fragments:
                    db.execute(
                        "UPDATE fragments SET at = ? WHERE post_id = ? AND account = ? AND idx = ?"
                        " AND state IN ('pending', 'failed', 'missed')",
                        (_iso(fragment.at), *key, fragment.index),
                    )
                return FreezeResult("same")
            started = db.execute(
                "SELECT idx, state FROM fragments WHERE post_id = ? AND account = ?"
                " AND state IN ('sending', 'sent', 'unknown') ORDER BY idx LIMIT 1",
                key,
            ).fetchone()
            if started is not None:
                conflict = (
                    f"the message changed after publishing started (fragment {started['idx']} is "
                    f"{started['state']}); the frozen text was kept"
                )
                db.execute(
                    "UPDATE posts SET conflict = ?, updated_at = ? WHERE post_id = ? AND account = ?",
                    (conflict, stamp, *key),
                )
                return FreezeResult("conflict", conflict)
            db.execute("DELETE FROM fragments WHERE post_id = ? AND account = ?", key)
            db.execute(
                "UPDATE posts SET scheduled_at = ?, texts_digest = ?, conflict = NULL,"
                " standalone_from = NULL, next_at = NULL, updated_at = ? WHERE post_id = ? AND account = ?",
                (_iso(post.at), digest, stamp, *key),
            )
            self._insert_fragments(db, post, range(1, len(post.fragments) + 1), stamp)
            return FreezeResult("replaced")

    @staticmethod
    def _insert_fragments(db: sqlite3.Connection, post: Post, indexes: range | list[int], stamp: str) -> None:
        for index in indexes:
            fragment = post.fragments[index - 1]
            db.execute(
                "INSERT INTO fragments"
                " (post_id, account, idx, total, text, at, state, created_at, updated_at)"
                " VALUES (?, ?, ?, ?, ?, ?, 'pending', ?, ?)",
                (
                    post.id,
                    post.account.name,
                    fragment.index,
                    fragment.total,
                    fragment.text,
                    _iso(fragment.at),
                    stamp,
                    stamp,
                ),
            )

    def accept_edit(self, post: Post, now: datetime) -> int:
        """Adopt the post's current texts for every fragment not yet sent; keep what was sent.

        Fragments that are sent, sending or unknown keep their frozen text (they may exist on the platform
        and are looked up by that text). The others take the text of the same index from `post`, back to
        pending with their attempts reset; fragments beyond the new count are dropped. The conflict is
        cleared and `post`'s texts become the accepted ones. Returns how many fragments now hold new text.
        Raises OutboxError when the post was never frozen.
        """
        key = (post.id, post.account.name)
        stamp = _iso(now)
        with self._tx() as db:
            if db.execute("SELECT 1 FROM posts WHERE post_id = ? AND account = ?", key).fetchone() is None:
                raise OutboxError(f"post {post.id} for account {post.account.name} was never frozen")
            kept = {
                int(row["idx"])
                for row in db.execute(
                    "SELECT idx FROM fragments WHERE post_id = ? AND account = ?"
                    " AND state IN ('sending', 'sent', 'unknown')",
                    key,
                )
            }
            db.execute(
                "DELETE FROM fragments WHERE post_id = ? AND account = ?"
                " AND state NOT IN ('sending', 'sent', 'unknown')",
                key,
            )
            replaced = [f.index for f in post.fragments if f.index not in kept]
            self._insert_fragments(db, post, replaced, stamp)
            db.execute(
                "UPDATE posts SET texts_digest = ?, conflict = NULL, scheduled_at = ?, updated_at = ?"
                " WHERE post_id = ? AND account = ?",
                (texts_digest([f.text for f in post.fragments]), _iso(post.at), stamp, *key),
            )
            return len(replaced)

    def clear_conflict(self, post_id: str, account: str, now: datetime) -> None:
        """Forget a recorded conflict (the frozen text stays; a new mismatch flags it again)."""
        with self._tx() as db:
            db.execute(
                "UPDATE posts SET conflict = NULL, updated_at = ? WHERE post_id = ? AND account = ?",
                (_iso(now), post_id, account),
            )

    # -- reading ---------------------------------------------------------------------------------

    def fragments_of(self, post_id: str, account: str) -> list[FragmentRecord]:
        """The post's fragments in order; empty when it was never frozen."""
        rows = self._conn().execute(
            "SELECT * FROM fragments WHERE post_id = ? AND account = ? ORDER BY idx", (post_id, account)
        )
        return [
            FragmentRecord(
                post_id=row["post_id"],
                account=row["account"],
                index=row["idx"],
                total=row["total"],
                text=row["text"],
                at=_parse(row["at"]),
                state=row["state"],
                remote_id=row["remote_id"],
                url=row["url"],
                attempts=row["attempts"],
                last_error=row["last_error"],
                created_at=_parse(row["created_at"]),
                updated_at=_parse(row["updated_at"]),
                sent_at=_parse_opt(row["sent_at"]),
            )
            for row in rows
        ]

    def post(self, post_id: str, account: str) -> PostSummary | None:
        found = self._summaries((post_id, account))
        return found[0] if found else None

    def posts(self) -> list[PostSummary]:
        """Every recorded post, by scheduled time."""
        return self._summaries(None)

    def standalone_from(self, post_id: str, account: str) -> int | None:
        """The index from which the post's fragments are sent without replying, if any."""
        row = (
            self._conn()
            .execute("SELECT standalone_from FROM posts WHERE post_id = ? AND account = ?", (post_id, account))
            .fetchone()
        )
        return None if row is None or row[0] is None else int(row[0])

    def _summaries(self, key: tuple[str, str] | None) -> list[PostSummary]:
        args: tuple[str, ...] = key if key is not None else ()
        post_where = "WHERE p.post_id = ? AND p.account = ?" if key is not None else ""
        fragment_where = "WHERE post_id = ? AND account = ?" if key is not None else ""
        db = self._conn()
        db.execute("BEGIN")  # one snapshot for both queries
        try:
            posts = db.execute(
                "SELECT p.*, h.reason AS hold FROM posts p LEFT JOIN holds h ON h.account = p.account "
                f"{post_where} ORDER BY p.scheduled_at, p.post_id, p.account",
                args,
            ).fetchall()
            fragments = db.execute(
                f"SELECT post_id, account, state, last_error FROM fragments {fragment_where}"
                " ORDER BY post_id, account, idx",
                args,
            ).fetchall()
        finally:
            db.execute("COMMIT")
        counts: dict[tuple[str, str], dict[str, int]] = {}
        errors: dict[tuple[str, str], str] = {}
        for row in fragments:
            key = (row["post_id"], row["account"])
            by_state = counts.setdefault(key, {})
            by_state[row["state"]] = by_state.get(row["state"], 0) + 1
            if row["last_error"] and row["state"] != "sent":
                errors.setdefault(key, row["last_error"])
        result = []
        for row in posts:
            key = (row["post_id"], row["account"])
            by_state = counts.get(key, {})
            total = sum(by_state.values())
            finished = total > 0 and by_state.get("sent", 0) == total
            result.append(
                PostSummary(
                    post_id=row["post_id"],
                    account=row["account"],
                    scheduled_at=_parse(row["scheduled_at"]),
                    total=total,
                    counts=by_state,
                    conflict=row["conflict"],
                    hold=None if finished else row["hold"],
                    standalone_from=row["standalone_from"],
                    next_at=_parse_opt(row["next_at"]),
                    last_outcome=row["last_outcome"],
                    last_message=row["last_message"],
                    last_error=errors.get(key),
                    notes=tuple(json.loads(row["notes"])),
                    updated_at=_parse(row["updated_at"]),
                )
            )
        return result

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
        marks = ", ".join("?" for _ in allowed)
        with self._tx() as db:
            cursor = db.execute(
                f"UPDATE fragments SET {assignments} WHERE post_id = ? AND account = ? AND idx = ?"
                f" AND state IN ({marks})",
                (*values, post_id, account, index, *allowed),
            )
            if cursor.rowcount == 1:
                return
            row = db.execute(
                "SELECT state FROM fragments WHERE post_id = ? AND account = ? AND idx = ?",
                (post_id, account, index),
            ).fetchone()
        found = "no such fragment" if row is None else f"it is {row['state']}"
        raise OutboxError(
            f"post {post_id} account {account} fragment {index}: expected state {'/'.join(allowed)}, {found}"
        )

    def mark_sending(self, post_id: str, account: str, index: int, now: datetime) -> None:
        """pending -> sending, counting one attempt. Committed before the request is made."""
        self._move(
            post_id,
            account,
            index,
            ("pending",),
            "state = 'sending', attempts = attempts + 1, updated_at = ?",
            (_iso(now),),
        )

    def mark_sent(self, post_id: str, account: str, index: int, remote_id: str, url: str, now: datetime) -> None:
        """sending/unknown -> sent with the platform's id. Committed right after the answer."""
        stamp = _iso(now)
        self._move(
            post_id,
            account,
            index,
            ("sending", "unknown"),
            "state = 'sent', remote_id = ?, url = ?, last_error = NULL, sent_at = ?, updated_at = ?",
            (remote_id, url, stamp, stamp),
        )

    def mark_pending(self, post_id: str, account: str, index: int, error: str | None, now: datetime) -> None:
        """sending/unknown -> pending: nothing exists on the platform, it may be sent again."""
        self._move(
            post_id,
            account,
            index,
            ("sending", "unknown"),
            "state = 'pending', last_error = ?, updated_at = ?",
            (error, _iso(now)),
        )

    def mark_failed(self, post_id: str, account: str, index: int, error: str, now: datetime) -> None:
        """-> failed: not published and not retried until a person resumes the post."""
        self._move(
            post_id,
            account,
            index,
            ("pending", "sending", "unknown"),
            "state = 'failed', last_error = ?, updated_at = ?",
            (error, _iso(now)),
        )

    def mark_unknown(self, post_id: str, account: str, index: int, error: str, now: datetime) -> None:
        """sending -> unknown: it may exist; look it up before anything is sent again."""
        self._move(
            post_id,
            account,
            index,
            ("sending", "unknown"),
            "state = 'unknown', last_error = ?, updated_at = ?",
            (error, _iso(now)),
        )

    def mark_missed(self, post_id: str, account: str, reason: str, now: datetime) -> int:
        """Every pending fragment of the post -> missed (its time passed). Returns how many."""
        with self._tx() as db:
            cursor = db.execute(
                "UPDATE fragments SET state = 'missed', last_error = ?, updated_at = ?"
                " WHERE post_id = ? AND account = ? AND state = 'pending'",
                (reason, _iso(now), post_id, account),
            )
            return cursor.rowcount

    def resume(self, post_id: str, account: str, now: datetime) -> int:
        """Failed and missed fragments -> pending with attempts reset. Returns how many."""
        stamp = _iso(now)
        with self._tx() as db:
            cursor = db.execute(
                "UPDATE fragments SET state = 'pending', attempts = 0, last_error = NULL, updated_at = ?"
                " WHERE post_id = ? AND account = ? AND state IN ('failed', 'missed')",
                (stamp, post_id, account),
            )
            db.execute(
                "UPDATE posts SET next_at = NULL, updated_at = ? WHERE post_id = ? AND account = ?",
                (stamp, post_id, account),
            )
            return cursor.rowcount

    # -- post-level facts ------------------------------------------------------------------------

    def set_standalone_from(self, post_id: str, account: str, index: int, note: str, now: datetime) -> None:
        """From fragment `index` on, post without replying to the previous fragment; note why."""
        with self._tx() as db:
            db.execute(
                "UPDATE posts SET standalone_from = COALESCE(MIN(standalone_from, ?), ?), updated_at = ?"
                " WHERE post_id = ? AND account = ?",
                (index, index, _iso(now), post_id, account),
            )
            self._append_note(db, post_id, account, note)

    def add_note(self, post_id: str, account: str, note: str, now: datetime) -> None:
        """Keep a note for `status` (the same note is kept once)."""
        with self._tx() as db:
            self._append_note(db, post_id, account, note)
            db.execute(
                "UPDATE posts SET updated_at = ? WHERE post_id = ? AND account = ?",
                (_iso(now), post_id, account),
            )

    @staticmethod
    def _append_note(db: sqlite3.Connection, post_id: str, account: str, note: str) -> None:
        row = db.execute("SELECT notes FROM posts WHERE post_id = ? AND account = ?", (post_id, account)).fetchone()
        if row is None:
            raise OutboxError(f"post {post_id} for account {account} was never frozen")
        notes: list[str] = json.loads(row["notes"])
        if note not in notes:
            notes.append(note)
            db.execute(
                "UPDATE posts SET notes = ? WHERE post_id = ? AND account = ?",
                (json.dumps(notes, ensure_ascii=False), post_id, account),
            )

    def record_outcome(
        self, post_id: str, account: str, kind: str, message: str, next_at: datetime | None, now: datetime
    ) -> None:
        """Remember the last run's outcome and when the post wants to run again, for `status`."""
        with self._tx() as db:
            db.execute(
                "UPDATE posts SET last_outcome = ?, last_message = ?, next_at = ?, updated_at = ?"
                " WHERE post_id = ? AND account = ?",
                (kind, message, None if next_at is None else _iso(next_at), _iso(now), post_id, account),
            )

    # -- account holds ---------------------------------------------------------------------------

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
