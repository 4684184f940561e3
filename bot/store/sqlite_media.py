"""The SQLite outbox's record of uploaded media (schema version 2): which ids a post's images got, until when."""

from __future__ import annotations

import sqlite3
from collections.abc import Sequence

from bot.store.records import MediaRecord
from bot.store.sqlite_reads import iso, parse, parse_opt


def record(db: sqlite3.Connection, post_id: str, account: str, media: Sequence[MediaRecord]) -> None:
    """Replace the post's uploads by `media` (a new upload makes the old ids useless)."""
    db.execute("DELETE FROM media_uploads WHERE post_id = ? AND account = ?", (post_id, account))
    db.executemany(
        "INSERT INTO media_uploads (post_id, account, position, sha256, media_id, expires_at, uploaded_at)"
        " VALUES (?, ?, ?, ?, ?, ?, ?)",
        [
            (
                post_id,
                account,
                m.position,
                m.sha256,
                m.media_id,
                None if m.expires_at is None else iso(m.expires_at),
                iso(m.uploaded_at),
            )
            for m in media
        ],
    )


def read(db: sqlite3.Connection, post_id: str, account: str) -> list[MediaRecord]:
    rows = db.execute(
        "SELECT position, sha256, media_id, expires_at, uploaded_at FROM media_uploads"
        " WHERE post_id = ? AND account = ? ORDER BY position",
        (post_id, account),
    ).fetchall()
    return [
        MediaRecord(
            int(row["position"]),
            row["sha256"],
            row["media_id"],
            parse_opt(row["expires_at"]),
            parse(row["uploaded_at"]),
        )
        for row in rows
    ]
