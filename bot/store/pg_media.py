"""Uploaded media in PostgreSQL (schema version 2), guarded by the post's lease like every write about a post."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime
from typing import TypeVar

from bot.store.pg_outbox import Key, aware
from bot.store.pg_query import Query
from bot.store.records import MediaRecord

T = TypeVar("T")


class PgMediaMethods:
    """record_media and media_of over `_write`/`_read`, which the concrete store provides."""

    def _write(self, key: Key | None, body: Callable[[Query], T]) -> T:
        raise NotImplementedError

    def _read(self, body: Callable[[Query], T]) -> T:
        raise NotImplementedError

    def record_media(self, post_id: str, account: str, media: Sequence[MediaRecord], now: datetime) -> None:
        """Replace the post's uploads by `media` (a new upload makes the old ids useless)."""
        aware(now)
        rows = [
            (
                post_id,
                account,
                m.position,
                m.sha256,
                m.media_id,
                None if m.expires_at is None else aware(m.expires_at),
                aware(m.uploaded_at),
            )
            for m in media
        ]

        def body(q: Query) -> None:
            q("DELETE FROM media_uploads WHERE post_id = %s AND account = %s", (post_id, account))
            for row in rows:
                q(
                    "INSERT INTO media_uploads (post_id, account, position, sha256, media_id, expires_at, uploaded_at)"
                    " VALUES (%s, %s, %s, %s, %s, %s, %s)",
                    row,
                )

        self._write((post_id, account), body)

    def media_of(self, post_id: str, account: str) -> list[MediaRecord]:
        rows = self._read(
            lambda q: (
                q(
                    "SELECT position, sha256, media_id, expires_at, uploaded_at FROM media_uploads"
                    " WHERE post_id = %s AND account = %s ORDER BY position",
                    (post_id, account),
                ).rows
            )
        )
        return [
            MediaRecord(row["position"], row["sha256"], row["media_id"], row["expires_at"], row["uploaded_at"])
            for row in rows
        ]
