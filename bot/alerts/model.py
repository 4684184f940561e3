"""The Alert value and the ALERT_LEVEL filter. Pure: no I/O, no apprise."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

AlertKind = Literal["failure", "warning", "success", "info"]

ALERT_LEVELS = ("failure", "warning", "info")  # what ALERT_LEVEL accepts, most to least severe
DEFAULT_ALERT_LEVEL = "warning"

# success and info are the same severity: ALERT_LEVEL=info sends them, warning and failure do not.
_SEVERITY: dict[str, int] = {"failure": 3, "warning": 2, "success": 1, "info": 1}


@dataclass(frozen=True)
class Alert:
    """One thing a person should know. `title` is short; `body` says what happened, where, and what to do."""

    kind: AlertKind
    title: str
    body: str
    post_id: str | None = None
    account: str | None = None

    @property
    def dedupe_key(self) -> tuple[str, str, str | None, str | None]:
        """The same alert (kind and title) for the same post and account is sent at most once per window."""
        return (self.kind, self.title, self.post_id, self.account)


@dataclass(frozen=True)
class AlertLevel:
    """The least severe kind that is sent (ALERT_LEVEL)."""

    name: str = DEFAULT_ALERT_LEVEL

    def admits(self, kind: AlertKind) -> bool:
        return _SEVERITY[kind] >= _SEVERITY[self.name]


def parse_alert_level(value: str | None) -> AlertLevel:
    """ALERT_LEVEL from the environment; unset or blank means the default (warning).

    Raises ValueError with a message a person can act on.
    """
    if value is None or not value.strip():
        return AlertLevel()
    name = value.strip().lower()
    if name not in ALERT_LEVELS:
        raise ValueError(
            f"ALERT_LEVEL={value.strip()!r} is not a level: write one of {', '.join(ALERT_LEVELS)} "
            f"(default {DEFAULT_ALERT_LEVEL}: failures and warnings, not the successes)"
        )
    return AlertLevel(name)
