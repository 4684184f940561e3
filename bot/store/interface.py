"""The store interface the runner, the daemon, `status` and `resume` use: one Protocol, several stores.

SQLite (bot/store/sqlite.py) implements it; another store (PostgreSQL) is a new module with the same
methods and passes the same tests. Every method is one transaction, committed before it returns; times are
timezone-aware and passed in. Fragment transitions (FragmentState)::

    pending --mark_sending/begin--> sending --mark_sent--> sent
                                 |  \\--mark_pending--> pending   (nothing was written: retry later)
                                 |   \\-mark_failed---> failed    (rejected, or gave up)
                                 \\----mark_unknown---> unknown   (may exist: look it up before resending)
    pending --mark_missed--> missed
    pending --mark_sent--> sent        (the platform's id in hand: its `sending` record was lost; logged)
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Protocol

from bot.model import Fragment, Post
from bot.states import Outcome
from bot.store.records import Begun, FragmentRecord, FreezeResult, MediaRecord, PostSummary


class Outbox(Protocol):
    """The durable record of what was published. A refused transition raises OutboxError."""

    def schema_version(self) -> int: ...

    def close(self) -> None: ...

    def assert_may_send(self) -> None:
        """Called right before a request leaves: raises OutboxError (LeaseLost) when this process may no longer
        send for the post (a shared store's lease may have expired). A no-op for a store used by one daemon."""
        ...

    # texts
    def freeze(self, post: Post, now: datetime) -> FreezeResult: ...

    def accept_edit(self, post: Post, now: datetime) -> int: ...

    def begin(self, post: Post, now: datetime, max_attempts: int) -> Begun:
        """The hot path at a post's time, in one transaction: freeze(post), read the account's hold and the post's
        fragments, and, unless held, a conflict, or a fragment failed, missed or in doubt, mark the first pending
        fragment `sending` when it is due by `now` and has had fewer than `max_attempts` attempts (0: mark nothing),
        exactly as mark_sending would (guarded by the lease, durable when it returns)."""
        ...

    # reading
    def fragments_of(self, post_id: str, account: str) -> list[FragmentRecord]: ...

    def post(self, post_id: str, account: str) -> PostSummary | None: ...

    def posts(self) -> list[PostSummary]: ...

    def standalone_from(self, post_id: str, account: str) -> int | None: ...

    # fragment transitions
    def mark_sending(self, post_id: str, account: str, index: int, now: datetime) -> None: ...

    def mark_sent(self, post_id: str, account: str, index: int, remote_id: str, url: str, now: datetime) -> None: ...

    def mark_pending(
        self, post_id: str, account: str, index: int, error: str | None, now: datetime, retext: Fragment | None = None
    ) -> None:
        """sending/unknown -> pending; with `retext`, the fragment takes that text and total (an accepted edit of a
        fragment that was in doubt and turned out not to exist: the superseded text is never sent)."""
        ...

    def mark_failed(self, post_id: str, account: str, index: int, error: str, now: datetime) -> None: ...

    def mark_unknown(
        self, post_id: str, account: str, index: int, error: str, now: datetime, *, duplicate: bool = False
    ) -> None:
        """-> unknown; `doubt_since` is set to `now` only if not set yet (the settling window runs from the first
        doubt, across restarts); `duplicate`: a resend was refused as a duplicate. Both are cleared by
        mark_pending, mark_sent and resume."""
        ...

    def mark_missed(self, post_id: str, account: str, reason: str, now: datetime) -> int: ...

    def resume(self, post_id: str, account: str, now: datetime) -> int: ...

    # post-level facts
    def set_standalone_from(self, post_id: str, account: str, index: int, note: str, now: datetime) -> None: ...

    def add_note(self, post_id: str, account: str, note: str, now: datetime) -> None: ...

    def record_outcome(
        self, post_id: str, account: str, kind: Outcome, message: str, next_at: datetime | None, now: datetime
    ) -> None: ...

    # uploaded media (not publications: replaced whenever the images are uploaded again)
    def record_media(self, post_id: str, account: str, media: Sequence[MediaRecord], now: datetime) -> None: ...

    def media_of(self, post_id: str, account: str) -> list[MediaRecord]: ...

    # account holds
    def hold(self, account: str, reason: str, now: datetime) -> None: ...

    def release(self, account: str) -> bool: ...

    def hold_reason(self, account: str) -> str | None: ...

    def holds(self) -> dict[str, str]: ...
