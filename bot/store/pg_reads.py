"""Rows of the PostgreSQL outbox turned into the store's records (the reading half of pg_outbox.py)."""

from __future__ import annotations

import json
from typing import Any

from bot.states import FragmentState
from bot.store.records import FragmentRecord, PostSummary

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
    )


def summaries(posts: list[dict[str, Any]], fragments: list[dict[str, Any]]) -> list[PostSummary]:
    """One summary per post row, its fragments counted by state (both lists read in one snapshot)."""
    counts: dict[Key, dict[FragmentState, int]] = {}
    errors: dict[Key, str] = {}
    for row in fragments:
        k = (row["post_id"], row["account"])
        by_state = counts.setdefault(k, {})
        state = FragmentState(row["state"])
        by_state[state] = by_state.get(state, 0) + 1
        if row["last_error"] and state != FragmentState.SENT:
            errors.setdefault(k, row["last_error"])
    result = []
    for row in posts:
        k = (row["post_id"], row["account"])
        by_state = counts.get(k, {})
        total = sum(by_state.values())
        finished = total > 0 and by_state.get(FragmentState.SENT, 0) == total
        result.append(
            PostSummary(
                post_id=row["post_id"],
                account=row["account"],
                scheduled_at=row["scheduled_at"],
                total=total,
                counts=by_state,
                conflict=row["conflict"],
                hold=None if finished else row["hold"],
                standalone_from=row["standalone_from"],
                next_at=row["next_at"],
                last_outcome=row["last_outcome"],
                last_message=row["last_message"],
                last_error=errors.get(k),
                notes=tuple(json.loads(row["notes"])),
                updated_at=row["updated_at"],
            )
        )
    return result
