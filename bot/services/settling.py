"""Settling a fragment whose outcome is unknown (issue 18): look it up over a window before any resend.

A write that got a 5xx, a transient Graph error, an error page, a timeout or a reset may have landed, and the
platforms' read paths lag their write paths by seconds: one lookup that finds nothing proves nothing. So a
fragment in doubt is looked up at once, then again after `first_pause`, then after pauses that double, until
`window` has passed since the doubt began (`doubt_since` in the outbox, so a restarted daemon, or another one
taking the post over, continues the same window). Only a whole window without finding it lets the fragment be
sent again. A resend refused as a duplicate after a doubt is evidence that the first one landed: such a
fragment is only ever looked up again, never sent.

The trade-off is deliberate: a write that truly failed costs one window of delay in the thread; a duplicate
is a public error. Pure: the runner passes the record and the time in and does what the Verdict says.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from bot.i18n import _
from bot.states import FragmentState
from bot.store import FragmentRecord

DEFAULT_WINDOW = timedelta(seconds=60)
FIRST_PAUSE = timedelta(seconds=2)


@dataclass(frozen=True)
class Verdict:
    """What to do with a fragment in doubt that the latest lookup did not find.

    `resend`: the whole window passed without finding it: it may be sent again. Otherwise keep it `unknown`
    and look again at `next_at`; None: the window is over but the lookup itself failed (the retry policy's
    backoff takes over, as for any failed lookup).
    """

    resend: bool
    next_at: datetime | None
    ends_at: datetime


@dataclass(frozen=True)
class Settling:
    """The settling window (SETTLE_SECONDS, 60 s by default) and the pauses between its lookups."""

    window: timedelta = DEFAULT_WINDOW
    first_pause: timedelta = FIRST_PAUSE
    factor: float = 2.0

    def next_lookup(self, since: datetime, now: datetime) -> datetime:
        """The first lookup time after `now`: since + 2 s, + 4 s more, + 8 s more..., the window's end last."""
        end = since + self.window
        at, pause = since, self.first_pause
        while True:
            at += pause
            if at >= end:
                return max(end, now)
            if at > now:
                return at
            pause *= self.factor

    def verdict(self, record: FragmentRecord, now: datetime, lookup_failed: bool, duplicate: bool = False) -> Verdict:
        """`duplicate`: this very attempt was refused as a duplicate (not yet in `record`)."""
        since = record.doubt_since or now
        end = since + self.window
        if now < end:
            return Verdict(False, self.next_lookup(since, now), end)
        if duplicate or record.duplicate_refused:  # evidence it exists: keep looking, once a window, never resend
            return Verdict(False, now + max(self.window, self.first_pause), end)
        if lookup_failed:
            return Verdict(False, None, end)
        return Verdict(True, None, end)


def settling_cause(
    record: FragmentRecord, why: str, lookup_error: str | None, ends_at: datetime, duplicate: bool
) -> str:
    """What the fragment's record (and `status`) says while it settles: the first cause of the doubt, written
    once and kept over the later lookups (`status` shows the time of the next lookup itself)."""
    if record.state == FragmentState.UNKNOWN and record.doubt_since is not None and record.last_error and not duplicate:
        return record.last_error
    return _("fragment {index}/{total}: {why}; {lookup}; settling until {end}, never sent again before").format(
        index=record.index,
        total=record.total,
        why=why,
        lookup=lookup_error or _("not found yet"),
        end=ends_at.isoformat(timespec="seconds"),
    )
