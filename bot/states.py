"""The one vocabulary of states: a fragment's, a post's, and what a run of a post ended with.

StrEnums, so their values are the words the outbox stores and `status` prints (JSON and text unchanged).
"""

from __future__ import annotations

from enum import StrEnum


class FragmentState(StrEnum):
    """Where one fragment stands in the outbox (see bot/store/sqlite.py for the transitions)."""

    PENDING = "pending"
    SENDING = "sending"
    SENT = "sent"
    FAILED = "failed"
    UNKNOWN = "unknown"
    MISSED = "missed"


IN_DOUBT = frozenset({FragmentState.SENDING, FragmentState.UNKNOWN})  # may exist: look it up before resending
STARTED = frozenset({FragmentState.SENDING, FragmentState.SENT, FragmentState.UNKNOWN})  # text frozen for good


class PostState(StrEnum):
    """One word for a post, as `status`, its JSON and the HTML page show it."""

    SCHEDULED = "scheduled"
    PUBLISHING = "publishing"
    SENT = "sent"
    FAILED = "failed"
    UNKNOWN = "unknown"
    MISSED = "missed"
    CONFLICT = "conflict"
    HELD = "held"
    REMOVED = "removed"
    AWAITING = "awaiting approval"  # `approval: required` and its current digest is not approved


class Outcome(StrEnum):
    """What one run of a post ended with (the runner's, recorded as the post's last outcome), and the daemon's
    own results of a job: busy, later, removed, error."""

    SENT = "sent"
    WAITING = "waiting"  # the next fragment's time is later
    RETRY = "retry"  # the platform asked to come back later
    SETTLING = "settling"  # a fragment in doubt was not found yet: looked up again at the run's time (issue 18)
    HELD = "held"
    FAILED = "failed"
    UNKNOWN = "unknown"
    CONFLICT = "conflict"
    STOPPED = "stopped"
    RESUMED = "resumed"  # a person ran `resume`
    MISSED = "missed"
    BUSY = "busy"  # another post of the account is publishing
    LATER = "later"  # not due yet
    REMOVED = "removed"  # no longer in the schedule
    ERROR = "error"  # the job raised too often
    AWAITING = "awaiting approval"  # due, but its current digest is not approved: re-checked when one arrives


# The post needs nothing more from this run of the daemon (--exit-when-done).
FINAL = frozenset(
    {Outcome.SENT, Outcome.FAILED, Outcome.MISSED, Outcome.UNKNOWN, Outcome.CONFLICT, Outcome.HELD, Outcome.ERROR}
)
# Come back at the time the run named.
RESCHEDULE = frozenset(
    {Outcome.WAITING, Outcome.RETRY, Outcome.BUSY, Outcome.LATER, Outcome.AWAITING, Outcome.SETTLING}
)
