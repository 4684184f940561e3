"""Reading the SQLite outbox: rows into records, and the per-post summaries `status` and the daemon use."""

from __future__ import annotations

import sqlite3
from datetime import UTC, datetime

from bot.states import FragmentState
from bot.store.records import FragmentRecord, PostSummary, summaries_from_rows


def iso(moment: datetime) -> str:
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise ValueError(f"naive datetime {moment!r}: the outbox needs timezone-aware times")
    return moment.astimezone(UTC).isoformat()


def parse(text: str) -> datetime:
    return datetime.fromisoformat(text)


def parse_opt(text: str | None) -> datetime | None:
    return None if text is None else datetime.fromisoformat(text)


def fragment_record(row: sqlite3.Row) -> FragmentRecord:
    return FragmentRecord(
        post_id=row["post_id"],
        account=row["account"],
        index=row["idx"],
        total=row["total"],
        text=row["text"],
        at=parse(row["at"]),
        state=FragmentState(row["state"]),
        remote_id=row["remote_id"],
        url=row["url"],
        attempts=row["attempts"],
        last_error=row["last_error"],
        created_at=parse(row["created_at"]),
        updated_at=parse(row["updated_at"]),
        sent_at=parse_opt(row["sent_at"]),
        doubt_since=parse_opt(row["doubt_since"]),
        duplicate_refused=bool(row["duplicate_refused"]),
    )


def summaries(db: sqlite3.Connection, key: tuple[str, str] | None) -> list[PostSummary]:
    """Posts (one, or all by scheduled time) with their fragment counts, read in one snapshot."""
    args: tuple[str, ...] = key if key is not None else ()
    post_where = "WHERE p.post_id = ? AND p.account = ?" if key is not None else ""
    fragment_where = "WHERE post_id = ? AND account = ?" if key is not None else ""
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
    return summaries_from_rows(posts, fragments, parse, parse_opt)
