"""Post-level facts in the SQLite outbox: standalone posting, uploaded media ids, notes and the last outcome.
A mixin of SqliteOutbox (over its `_tx` / `_conn`), moved out to keep sqlite.py about the fragments' states."""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Sequence
from contextlib import AbstractContextManager
from datetime import datetime

from bot.i18n import _
from bot.states import Outcome
from bot.store import sqlite_media
from bot.store.records import MediaRecord, OutboxError
from bot.store.sqlite_reads import iso as _iso


class SqlitePostFactMethods:
    """set_standalone_from, record_media, media_of, add_note, record_outcome."""

    def _tx(self) -> AbstractContextManager[sqlite3.Connection]:
        raise NotImplementedError

    def _conn(self) -> sqlite3.Connection:
        raise NotImplementedError

    def set_standalone_from(self, post_id: str, account: str, index: int, note: str, now: datetime) -> None:
        """From fragment `index` on, post without replying to the previous fragment; note why."""
        with self._tx() as db:
            db.execute(
                "UPDATE posts SET standalone_from = COALESCE(MIN(standalone_from, ?), ?), updated_at = ?"
                " WHERE post_id = ? AND account = ?",
                (index, index, _iso(now), post_id, account),
            )
            self._append_note(db, post_id, account, note)

    def record_media(self, post_id: str, account: str, media: Sequence[MediaRecord], now: datetime) -> None:
        """Remember the ids of the post's uploaded images, replacing older ones (a new upload makes them useless)."""
        with self._tx() as db:
            sqlite_media.record(db, post_id, account, media)

    def media_of(self, post_id: str, account: str) -> list[MediaRecord]:
        return sqlite_media.read(self._conn(), post_id, account)

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
            raise OutboxError(
                _("post {post_id} for account {account} was never frozen").format(post_id=post_id, account=account)
            )
        notes: list[str] = json.loads(row["notes"])
        if note not in notes:
            notes.append(note)
            db.execute(
                "UPDATE posts SET notes = ? WHERE post_id = ? AND account = ?",
                (json.dumps(notes, ensure_ascii=False), post_id, account),
            )

    def record_outcome(
        self, post_id: str, account: str, kind: Outcome, message: str, next_at: datetime | None, now: datetime
    ) -> None:
        """Remember the last run's outcome and when the post wants to run again, for `status`."""
        with self._tx() as db:
            db.execute(
                "UPDATE posts SET last_outcome = ?, last_message = ?, next_at = ?, updated_at = ?"
                " WHERE post_id = ? AND account = ?",
                (kind, message, None if next_at is None else _iso(next_at), _iso(now), post_id, account),
            )
