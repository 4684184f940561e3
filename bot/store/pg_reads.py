"""Rows of the PostgreSQL outbox turned into the store's records (the reading half of pg_outbox.py)."""

from __future__ import annotations

from typing import Any

from bot.store.records import FragmentRecord, PostSummary, summaries_from_rows

Key = tuple[str, str]


def record(row: dict[str, Any]) -> FragmentRecord:
    return FragmentRecord(
        post_id=row["post_id"],
        account=row["account"],
        index=row["idx"],
        total=row["total"],
        text=row["text"],
        at=row["at"],
        state=row["state"],
        remote_id=row["remote_id"],
        url=row["url"],
        attempts=row["attempts"],
        last_error=row["last_error"],
        created_at=row["created_at"],
        updated_at=row["updated_at"],
        sent_at=row["sent_at"],
        doubt_since=row["doubt_since"],
        duplicate_refused=bool(row["duplicate_refused"]),
    )


def summaries(posts: list[dict[str, Any]], fragments: list[dict[str, Any]]) -> list[PostSummary]:
    """One summary per post row, its fragments counted by state (both lists read in one snapshot)."""
    return summaries_from_rows(posts, fragments, _same, _same)


def _same(moment: Any) -> Any:
    return moment  # psycopg already returns timezone-aware datetimes


ONE_POST = (  # the post's row, the account's hold and its fragments' states in one statement (its own snapshot)
    "SELECT p.*, h.reason AS hold, f.state AS fragment_state, f.last_error AS fragment_error FROM posts p"
    " LEFT JOIN holds h ON h.account = p.account"
    " LEFT JOIN fragments f ON f.post_id = p.post_id AND f.account = p.account"
    " WHERE p.post_id = %s AND p.account = %s ORDER BY f.idx"
)


def one_summary(rows: list[dict[str, Any]]) -> PostSummary | None:
    """The summary of one post from ONE_POST's rows (None: no such post)."""
    if not rows:
        return None
    fragments = [
        {"post_id": row["post_id"], "account": row["account"], "state": row["fragment_state"],
         "last_error": row["fragment_error"]}
        for row in rows
        if row["fragment_state"] is not None
    ]  # fmt: skip
    return summaries(rows[:1], fragments)[0]
