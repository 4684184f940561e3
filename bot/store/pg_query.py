"""The small surface the PostgreSQL outbox's SQL code needs from a connection (psycopg stays in postgres.py)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Protocol


@dataclass(frozen=True)
class Result:
    rows: list[dict[str, Any]]
    rowcount: int

    def one(self) -> dict[str, Any] | None:
        return self.rows[0] if self.rows else None


class Query(Protocol):
    """Runs one statement inside the current transaction (`%s` placeholders)."""

    def __call__(self, sql: str, params: Sequence[object] = ()) -> Result: ...
