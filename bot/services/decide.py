"""The catch-up rule: what the daemon does with a post now, as a pure function of the plan, the outbox and now."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

from bot.durations import format_duration
from bot.i18n import _
from bot.model import Post
from bot.services.capholds import held_until
from bot.states import FragmentState, Outcome
from bot.store import PostSummary


class Step(StrEnum):
    """A decision that is not a final state: run the post at a time, or record it as missed."""

    RUN = "run"
    MARK_MISSED = "mark missed"


@dataclass(frozen=True)
class Decision:
    """Run the post at `at`, mark it missed, or nothing (a final state: sent, held, failed, missed)."""

    kind: Step | Outcome
    at: datetime | None = None
    reason: str = ""


def decide(post: Post, summary: PostSummary | None, hold: str | None, now: datetime, catch_up: timedelta) -> Decision:
    """A post that has started (a fragment sent, or in doubt) always continues. One that has not is run at its
    time, or at once if it is at most `catch_up` late, else it is missed. A retry time or a person's
    `resume` (both recorded as next_at), or the end of a timed hold, moves the time the lateness is measured
    from.
    """
    counts = summary.counts if summary is not None else {}
    if summary is not None and summary.total and summary.sent == summary.total:
        return Decision(Outcome.SENT)
    until = held_until(hold)  # an X 24-hour cap: the hold ends by itself at its reset
    if hold is not None and until is None:
        return Decision(Outcome.HELD, reason=hold)
    if until is not None and until > now:
        return Decision(Step.RUN, until, hold or "")
    if summary is not None and summary.in_doubt:
        return Decision(Step.RUN, now, _("outcome of an earlier attempt unknown: look it up first"))
    last_error = (summary.last_error if summary is not None else None) or ""
    if counts.get(FragmentState.FAILED):
        return Decision(Outcome.FAILED, reason=last_error)
    if counts.get(FragmentState.MISSED):
        return Decision(Outcome.MISSED, reason=last_error)
    planned_retry = None
    if summary is not None and summary.last_outcome in (Outcome.RETRY, Outcome.RESUMED):
        planned_retry = summary.next_at
    if counts.get(FragmentState.SENT) or (summary is not None and summary.conflict):
        return Decision(Step.RUN, max(now, planned_retry) if planned_retry else now, _("continue the thread"))
    due = max(post.at, planned_retry) if planned_retry else post.at
    due = max(due, until) if until is not None else due  # held past its time: late from the reset, not before
    if due > now:
        return Decision(Step.RUN, due, "scheduled")
    late = now - due
    short, allowed = format_duration(late, "compact"), format_duration(catch_up, "compact")
    if late <= catch_up:
        return Decision(
            Step.RUN, now, _("{short} late, within --catch-up {allowed}").format(short=short, allowed=allowed)
        )
    return Decision(
        Step.MARK_MISSED, None, _("{late} late, more than --catch-up {allowed}").format(late=short, allowed=allowed)
    )
