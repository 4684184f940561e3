"""What X's rate-limit headers on a 429 say: when to come back, and which 24-hour cap is used up (issue 22).

X sends `x-rate-limit-*` for the 15-minute window and, on daily caps, `x-user-limit-24hour-*` and
`x-app-limit-24hour-*` (PLATFORMS.md: not always present). Pure functions of the headers.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Literal


def _header_time(headers: Mapping[str, str], name: str) -> datetime | None:
    value = headers.get(name)
    if value is None:
        return None
    try:
        return datetime.fromtimestamp(int(value), UTC)
    except (ValueError, OverflowError, OSError):
        return None


def retry_at_from(headers: Mapping[str, str]) -> datetime | None:
    """The latest reset among the limits that are exhausted: 15-minute window and the 24-hour caps."""
    candidates = [_header_time(headers, "x-rate-limit-reset")]
    for scope in ("user", "app"):
        if headers.get(f"x-{scope}-limit-24hour-remaining", "").strip() == "0":
            candidates.append(_header_time(headers, f"x-{scope}-limit-24hour-reset"))
    known = [moment for moment in candidates if moment is not None]
    return max(known) if known else None


def exhausted_cap(headers: Mapping[str, str]) -> Literal["app", "user"] | None:
    """Which 24-hour cap a 429 says is used up: the app's (every account of the app waits) before the user's."""
    for scope in ("app", "user"):
        if headers.get(f"x-{scope}-limit-24hour-remaining", "").strip() == "0":
            return "app" if scope == "app" else "user"
    return None
