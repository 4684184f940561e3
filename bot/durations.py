"""Durations: reading them from the schedule and the command line, and the one way they are written."""

from __future__ import annotations

import re
from datetime import datetime, timedelta
from typing import Literal

from bot import schema
from bot.i18n import _, ngettext

Style = Literal["long", "coarse", "compact"]


def parse_duration(text: str) -> timedelta | None:
    """'1h30m' -> 90 minutes; None when it is not a duration."""
    match = re.match(schema.DURATION_PATTERN, text)
    if not match or not any(match.groups()) or len(text) > 40:  # 40: no real duration has that many digits
        return None
    days, hours, minutes, seconds = (int(re.sub(r"\D", "", g)) if g else 0 for g in match.groups())
    try:
        return timedelta(days=days, hours=hours, minutes=minutes, seconds=seconds)
    except OverflowError:
        return None


def format_duration(delta: timedelta, style: Style = "long") -> str:
    """A non-negative duration in words.

    long: '243 days 8 h', '3 h 5 min', '7 min' (the preview); coarse: '3 days', '5 h', '12 min' (a warning
    that a time has passed); compact: '1h05m', '2m30s', '9s' (the daemon's log lines).
    """
    if style == "compact":
        seconds = int(delta.total_seconds())
        if seconds >= 3600:
            return f"{seconds // 3600}h{seconds % 3600 // 60:02d}m"
        if seconds >= 60:
            return f"{seconds // 60}m{seconds % 60:02d}s"
        return f"{seconds}s"
    if style == "coarse":
        if delta >= timedelta(days=2):
            return ngettext("{n} day", "{n} days", delta.days).format(n=delta.days)
        hours = int(delta.total_seconds() // 3600)
        return f"{hours} h" if hours >= 1 else f"{int(delta.total_seconds() // 60)} min"
    days, seconds = delta.days, delta.seconds
    hours, minutes = seconds // 3600, (seconds % 3600) // 60
    if days:
        days_text = ngettext("{n} day", "{n} days", days).format(n=days)
        return f"{days_text} {hours} h" if hours else days_text
    if hours:
        return f"{hours} h {minutes} min" if minutes else f"{hours} h"
    return f"{minutes} min"


def until(now: datetime, at: datetime) -> str:
    """'in 243 days 8 h', '3 h ago'."""
    delta = at - now
    amount = format_duration(abs(delta))
    return _("in {amount}").format(amount=amount) if delta >= timedelta(0) else _("{amount} ago").format(amount=amount)
