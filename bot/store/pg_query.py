"""The small surface the PostgreSQL outbox's SQL code needs from a connection (psycopg stays in postgres.py)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol

from bot.store.records import FragmentRecord


@dataclass(frozen=True)
class Result:
    rows: list[dict[str, Any]]
    rowcount: int

    def one(self) -> dict[str, Any] | None:
        return self.rows[0] if self.rows else None


class Query(Protocol):
    """Runs one statement inside the current transaction (`%s` placeholders)."""

    def __call__(self, sql: str, params: Sequence[object] = ()) -> Result: ...


def aware(moment: datetime) -> datetime:
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise ValueError(f"naive datetime {moment!r}: the outbox needs timezone-aware times")
    return moment


def fragment_record(row: dict[str, Any]) -> FragmentRecord:
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
    )
