"""What several daemons sharing one outbox need to know about each other: leases, fencing, the plan registry.

Store-agnostic records and errors (no database library here). A lease gives one daemon the right to publish
one (post, account) until `expires_at` on the database's clock; its `token` (a fencing token, strictly
increasing across every lease ever granted) guards every state change the holder makes, so a holder that
was paused past its expiry cannot record anything more. See docs/high-availability.md for the argument.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from bot.store.records import Begun, OutboxError

# Defaults argued in docs/high-availability.md: takeover starts at most max(lease, HTTP timeout + grace) after a
# holder's death, i.e. 32 s with the 30 s HTTP timeout.
DEFAULT_LEASE = timedelta(seconds=20)
DEFAULT_RENEW_EVERY = timedelta(seconds=5)
DEFAULT_SEND_GRACE = timedelta(seconds=2)


def takeover_wait(http_timeout_seconds: float, send_grace: timedelta = DEFAULT_SEND_GRACE) -> timedelta:
    """How long after an unreleased lease's last renewal its holder's last request may still land: a request
    starts within the send grace after a guarded write (a renewal) and is cut off at its total HTTP deadline
    (bot/publishers/deadline.py). Each holder stores its own in the lease row; a taker waits for that one."""
    return timedelta(seconds=http_timeout_seconds) + send_grace


class LeaseLost(OutboxError):
    """The caller's lease is no longer the current one (expired, or taken over): send nothing more for the post."""


class LeaseHeld(OutboxError):
    """A change without a lease to a post that a daemon is publishing right now (holding an unexpired lease)."""


class TakeoverPending(OutboxError):
    """The lease was taken over from a holder that did not release it: its last request may still land."""

    def __init__(self, message: str, usable_at: datetime) -> None:
        super().__init__(message)
        self.usable_at = usable_at


class StoreUnavailable(OutboxError):
    """The database cannot be reached or is busy. Retryable: call again later.

    `in_doubt` is true when a write's COMMIT was sent but its answer was lost: the change may or may not be
    recorded. The outbox protocol resolves that like a crash (a `sending` fragment is looked up before
    anything is sent again), so the store never retries such a write itself.
    """

    def __init__(self, message: str, *, in_doubt: bool = False) -> None:
        super().__init__(message)
        self.in_doubt = in_doubt


class PlanMismatch(OutboxError):
    """Another live daemon on the same database runs a different plan (a different schedule)."""


@dataclass(frozen=True)
class Lease:
    """A granted lease, as its holder knows it. Times are the database's; `local_deadline` is this process's.

    `usable_at`: when taken over from a holder that did not release it, nothing may be looked up or sent
    before this instant (the old holder's last renewal + the takeover wait); otherwise the grant instant.
    `local_deadline`: a time.monotonic() value before which the lease is certainly still valid (measured from
    before the grant or renewal was requested, so it is never later than the database's expiry).
    `holder_wait`: this holder's own takeover wait (its total HTTP deadline + send grace), stored in the row
    at every grant and renewal: whoever takes the lease over from this holder waits that long after its
    last renewal, whatever its own setting.
    """

    post_id: str
    account: str
    owner: str
    token: int
    ttl: timedelta
    acquired_at: datetime
    renewed_at: datetime
    expires_at: datetime
    usable_at: datetime
    previous_owner: str | None
    previous_renewed_at: datetime | None
    db_now: datetime
    local_deadline: float
    holder_wait: timedelta = timedelta(0)

    @property
    def wait(self) -> timedelta:
        """How long after the grant the holder must wait before looking anything up (zero when none)."""
        return max(self.usable_at - self.db_now, timedelta(0))


@dataclass(frozen=True)
class LeaseInfo:
    """A lease as `status` shows it: who holds which post, since when, until when (database clock)."""

    post_id: str
    account: str
    owner: str
    token: int
    acquired_at: datetime
    renewed_at: datetime
    expires_at: datetime
    usable_at: datetime
    expired: bool


@dataclass(frozen=True)
class DaemonInfo:
    """A daemon registered on the database, with the digest of its plan and when it was last seen."""

    owner: str
    plan_digest: str
    started_at: datetime
    seen_at: datetime
    live: bool


@dataclass(frozen=True)
class FirePlan:
    """What a post's run may do in the lease's own round trip (issue 22): besides taking the lease, freeze a post
    never frozen and mark its first fragment `sending` when the daemon would send it now. `now`: the caller's clock
    (the frozen rows' stamps, and due only when the post's and its first fragment's times have come); `latest`:
    the post's time + --catch-up (later, it is missed, not sent); `max_attempts` 0: mark nothing."""

    now: datetime
    latest: datetime
    max_attempts: int


@dataclass(frozen=True)
class Fired:
    """What a fire() did, in one transaction: `lease` is None when another daemon holds an unexpired one (`held`:
    that lease). `begun`: the post frozen and its first fragment marked `sending` (durable, guarded by the lease,
    which is usable: its request may leave), as begin() would report it; None when nothing was frozen or marked
    (the run then decides as usual). `since`: the monotonic time before the call (the send grace runs from it)."""

    lease: Lease | None
    held: LeaseInfo | None
    begun: Begun | None
    since: float
