"""The SQLite outbox: one row per fragment of each post, and its state.

This module and its sqlite_* helpers are the only ones that import sqlite3. The database lives in a state
folder (owner-only permissions), in WAL mode so that readers such as `status` work while the daemon writes.
Each thread gets its own connection; every method is one short transaction, committed before it returns, so
`mark_sending` is on disk before the request leaves and `mark_sent` right after the answer.

Fragment transitions: see bot/store/interface.py. A fragment found in `sending` or `unknown` has an unknown
outcome; the runner looks it up on the platform before it sends anything again. Time is always passed in
(aware datetimes); it is stored as ISO 8601 UTC.
"""

from __future__ import annotations

import logging
import os
import sqlite3
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path

from bot.i18n import _
from bot.model import Fragment, Post
from bot.states import FragmentState
from bot.store import sqlite_texts
from bot.store.records import (
    Begun,
    FragmentRecord,
    FreezeResult,
    OutboxError,
    PostSummary,
    mark_sent_moving,
)
from bot.store.sqlite_approvals import SqliteApprovalMethods
from bot.store.sqlite_holds import SqliteHoldMethods
from bot.store.sqlite_postfacts import SqlitePostFactMethods
from bot.store.sqlite_reads import fragment_record, summaries
from bot.store.sqlite_reads import iso as _iso
from bot.store.sqlite_schema import BUSY_TIMEOUT_MS, DB_NAME, MIGRATIONS, SCHEMA_VERSION
from bot.store.sqlite_sync import GroupSync
from bot.store.sqlite_web import SqliteWebMethods

logger = logging.getLogger("bot.outbox")  # the name its log lines have always had


class SqliteOutbox(SqliteApprovalMethods, SqliteWebMethods, SqliteHoldMethods, SqlitePostFactMethods):
    """The SQLite state database (and its approvals). Safe to share between threads; open with SqliteOutbox.open()."""

    def __init__(self, path: Path, fsync: Callable[[int], None] = os.fsync) -> None:
        self.path = path
        self._local = threading.local()
        self._lock = threading.Lock()
        # Writers of this process take turns here rather than in SQLite's busy handler, which polls with sleeps
        # of up to 100 ms: with many accounts publishing at once, some writers waited seconds for a free lock.
        self._write_lock = threading.Lock()
        self._connections: list[sqlite3.Connection] = []
        self._closed = False
        self._sync = GroupSync(path.with_name(path.name + "-wal"), fsync)

    @classmethod
    def open(cls, state_dir: Path, *, create: bool = True, fsync: Callable[[int], None] = os.fsync) -> SqliteOutbox:
        """Open (and with `create`, make) the state folder and its database, migrating the schema.

        Raises FileNotFoundError when `create` is false and there is no database yet; OutboxError when the
        database was written by a newer version of the bot, or is not a database.
        """
        path = state_dir / DB_NAME
        if not create and not path.exists():
            raise FileNotFoundError(
                _("no state database at {path}: nothing has been published from here").format(path=path)
            )
        if not state_dir.exists():
            state_dir.mkdir(mode=0o700, parents=True)
            state_dir.chmod(0o700)  # mkdir's mode is filtered by the umask
        elif state_dir.stat().st_mode & 0o077:
            logger.warning(
                _("state folder {state_dir} is readable by other users; chmod 700 it").format(state_dir=state_dir)
            )
        if not path.exists():
            os.close(os.open(path, os.O_CREAT | os.O_WRONLY, 0o600))
            path.chmod(0o600)
        outbox = cls(path, fsync)
        try:
            outbox._migrate()
        except sqlite3.DatabaseError as error:  # not a database at all, or damaged: never a traceback
            outbox.close()
            raise OutboxError(
                _(
                    "{path} cannot be read as the bot's state database ({error}): restore it from a backup, or "
                    "move it aside to start again (the bot then no longer knows what it already published)"
                ).format(path=path, error=error)
            ) from None
        return outbox

    def close(self) -> None:
        """Close every connection this outbox opened (from any thread)."""
        with self._lock:
            self._closed = True
            for connection in self._connections:
                connection.close()
            self._connections.clear()

    def assert_may_send(self) -> None:
        """One daemon per state folder (its lock): nothing else may take the post over."""

    # -- connections and transactions ------------------------------------------------------------

    def _conn(self) -> sqlite3.Connection:
        if self._closed:
            raise OutboxError(_("the outbox {path} is closed").format(path=self.path))
        connection: sqlite3.Connection | None = getattr(self._local, "connection", None)
        if connection is not None:
            return connection
        with self._lock:
            if self._closed:
                raise OutboxError(_("the outbox {path} is closed").format(path=self.path))
            # Autocommit mode: transactions are explicit (BEGIN IMMEDIATE) in _tx(). Each connection is
            # used by one thread only; check_same_thread=False lets close() run from another thread.
            connection = sqlite3.connect(
                self.path, timeout=BUSY_TIMEOUT_MS / 1000, isolation_level=None, check_same_thread=False
            )
            connection.row_factory = sqlite3.Row
            connection.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
            connection.execute("PRAGMA journal_mode = WAL")
            # A commit survives a power cut, not just a crash: _tx flushes the WAL before returning (group commit).
            connection.execute("PRAGMA synchronous = NORMAL")
            connection.execute("PRAGMA foreign_keys = ON")
            self._connections.append(connection)
        self._local.connection = connection
        return connection

    @contextmanager
    def _tx(self, *, synced: bool = True) -> Iterator[sqlite3.Connection]:
        """One write transaction, on disk when it returns (group commit: sqlite_sync.py). `synced=False`: not
        waited for; the next synced commit flushes it too (the WAL is one file, written in order), for a
        write that nothing is sent on before then."""
        connection = self._conn()
        self._sync.check()  # after a failed flush nothing more is written (sqlite_sync.py)
        with self._write_lock:  # never nested: each method is one transaction
            connection.execute("BEGIN IMMEDIATE")
            try:
                yield connection
            except BaseException:
                connection.execute("ROLLBACK")
                raise
            connection.execute("COMMIT")
            number = self._sync.committed()
        if synced:
            self._sync.wait(number)  # outside the write lock: other writers commit meanwhile, one flush for all

    def _migrate(self) -> None:
        with self._tx() as db:
            version = int(db.execute("PRAGMA user_version").fetchone()[0])
            if version > SCHEMA_VERSION:
                raise OutboxError(
                    _(
                        "{path} has schema version {version}, newer than this bot's {SCHEMA_VERSION}: upgrade the "
                        "bot or use another state folder"
                    ).format(path=self.path, version=version, SCHEMA_VERSION=SCHEMA_VERSION)
                )
            for target in range(version + 1, SCHEMA_VERSION + 1):
                for statement in MIGRATIONS[target]:
                    db.execute(statement)
                db.execute(f"PRAGMA user_version = {target}")
                logger.info(
                    _("state database {path} migrated to schema version {target}").format(path=self.path, target=target)
                )

    def schema_version(self) -> int:
        return int(self._conn().execute("PRAGMA user_version").fetchone()[0])

    # -- freezing texts --------------------------------------------------------------------------

    def freeze(self, post: Post, now: datetime) -> FreezeResult:
        """Record the post's fragment texts before anything is sent (see sqlite_texts.freeze).

        Not fsynced by itself: a request follows only a `sending` mark, whose synced commit makes this one
        durable too; lost in a power cut before that, nothing was sent on it and the next run freezes again.
        """
        with self._tx(synced=False) as db:
            return sqlite_texts.freeze(db, post, _iso(now))

    def begin(self, post: Post, now: datetime, max_attempts: int) -> Begun:
        """Freeze, read and mark the first fragment `sending` in one transaction (see Outbox.begin), on disk when
        it returns: one write lock and one group commit before the first request, not one of each per step."""
        with self._tx() as db:
            return sqlite_texts.begin(db, post, now, max_attempts)

    def accept_edit(self, post: Post, now: datetime) -> int:
        """Adopt the post's current texts for every fragment not yet sent (see sqlite_texts.accept_edit)."""
        with self._tx() as db:
            return sqlite_texts.accept_edit(db, post, _iso(now))

    # -- reading ---------------------------------------------------------------------------------

    def fragments_of(self, post_id: str, account: str) -> list[FragmentRecord]:
        """The post's fragments in order; empty when it was never frozen."""
        rows = self._conn().execute(
            "SELECT * FROM fragments WHERE post_id = ? AND account = ? ORDER BY idx", (post_id, account)
        )
        return [fragment_record(row) for row in rows]

    def post(self, post_id: str, account: str) -> PostSummary | None:
        found = summaries(self._conn(), (post_id, account))
        return found[0] if found else None

    def posts(self) -> list[PostSummary]:
        """Every recorded post, by scheduled time."""
        return summaries(self._conn(), None)

    def standalone_from(self, post_id: str, account: str) -> int | None:
        """The index from which the post's fragments are sent without replying, if any."""
        row = (
            self._conn()
            .execute("SELECT standalone_from FROM posts WHERE post_id = ? AND account = ?", (post_id, account))
            .fetchone()
        )
        return None if row is None or row[0] is None else int(row[0])

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
        found = _("no such fragment") if row is None else _("it is {row}").format(row=row["state"])
        raise OutboxError(
            _("post {post_id} account {account} fragment {index}: expected state {allowed}, {found}").format(
                post_id=post_id, account=account, index=index, allowed="/".join(allowed), found=found
            )
        )

    def mark_sending(self, post_id: str, account: str, index: int, now: datetime) -> None:
        """pending -> sending, counting one attempt. Committed before the request is made."""
        self._move(
            post_id,
            account,
            index,
            (FragmentState.PENDING,),
            "state = 'sending', attempts = attempts + 1, updated_at = ?",
            (_iso(now),),
        )

    def mark_sent(self, post_id: str, account: str, index: int, remote_id: str, url: str, now: datetime) -> None:
        """sending/unknown -> sent with the platform's id. Committed right after the answer.

        Also pending -> sent (logged): the platform's id is in hand, so the post exists whatever became of its
        `sending` record; refusing it would make the next run send it again (issue 18).
        """
        stamp = _iso(now)
        assignments = (
            "state = 'sent', remote_id = ?, url = ?, last_error = NULL, sent_at = ?, updated_at = ?,"
            " doubt_since = NULL, duplicate_refused = 0"
        )
        values = (remote_id, url, stamp, stamp)
        mark_sent_moving(
            lambda states: self._move(post_id, account, index, states, assignments, values),
            logger.warning, post_id, account, index, remote_id,
        )  # fmt: skip

    def mark_pending(
        self, post_id: str, account: str, index: int, error: str | None, now: datetime, retext: Fragment | None = None
    ) -> None:
        """sending/unknown -> pending: nothing exists on the platform, it may be sent again (with `retext`'s text and
        total when given: see Outbox.mark_pending)."""
        text, total = (retext.text, retext.total) if retext is not None else (None, None)
        self._move(
            post_id,
            account,
            index,
            (FragmentState.SENDING, FragmentState.UNKNOWN),
            "state = 'pending', last_error = ?, updated_at = ?, text = COALESCE(?, text), total = COALESCE(?, total),"
            " doubt_since = NULL, duplicate_refused = 0",
            (error, _iso(now), text, total),
        )

    def mark_failed(self, post_id: str, account: str, index: int, error: str, now: datetime) -> None:
        """-> failed: not published and not retried until a person resumes the post."""
        self._move(
            post_id,
            account,
            index,
            (FragmentState.PENDING, FragmentState.SENDING, FragmentState.UNKNOWN),
            "state = 'failed', last_error = ?, updated_at = ?",
            (error, _iso(now)),
        )

    def mark_unknown(
        self, post_id: str, account: str, index: int, error: str, now: datetime, *, duplicate: bool = False
    ) -> None:
        """sending -> unknown: it may exist; look it up before anything is sent again.

        The doubt's start (`doubt_since`) is `now` the first time and kept after; `duplicate` records that a
        resend was refused as a duplicate (kept until the fragment is sent or pending again).
        """
        stamp = _iso(now)
        self._move(
            post_id,
            account,
            index,
            (FragmentState.SENDING, FragmentState.UNKNOWN),
            "state = 'unknown', last_error = ?, updated_at = ?, doubt_since = COALESCE(doubt_since, ?),"
            " duplicate_refused = MAX(duplicate_refused, ?)",
            (error, stamp, stamp, int(duplicate)),
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
                "UPDATE fragments SET state = 'pending', attempts = 0, last_error = NULL, updated_at = ?,"
                " doubt_since = NULL, duplicate_refused = 0"
                " WHERE post_id = ? AND account = ? AND state IN ('failed', 'missed')",
                (stamp, post_id, account),
            )
            db.execute(
                "UPDATE posts SET next_at = NULL, updated_at = ? WHERE post_id = ? AND account = ?",
                (stamp, post_id, account),
            )
            return cursor.rowcount
