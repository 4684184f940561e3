"""The Publisher protocol and the one error taxonomy every adapter maps its failures into.

The runner only ever sees these types: adapters translate each library or transport exception into exactly
one PublishError subclass, never retry and never sleep. Messages must never contain a secret.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Protocol


@dataclass(frozen=True)
class Published:
    """A post that exists on the platform."""

    remote_id: str
    url: str


@dataclass(frozen=True)
class Identity:
    """Who the credentials post as."""

    id: str
    name: str  # display name
    handle: str | None = None  # X @handle without "@"; None on Facebook


class PublishError(Exception):
    """Base of the taxonomy. `str(error)` is safe to log and to show: it never holds a secret."""


class RetryLater(PublishError):
    """Nothing was written; try again at `retry_at` (None: use backoff)."""

    def __init__(self, message: str, retry_at: datetime | None = None) -> None:
        super().__init__(message)
        self.retry_at = retry_at


class OutcomeUnknown(PublishError):
    """The request was sent but no answer came back: the post may exist. Look it up before resending."""


class Rejected(PublishError):
    """The platform refused this content for good (too long, invalid, not allowed). Never retried."""


class AlreadyExists(Rejected):
    """The platform says this exact text was already posted: find it with find_recent()."""


class ReplyRefused(Rejected):
    """X refused a reply in a thread (the 2026 "summoned replies" rule)."""


class CredentialsError(PublishError):
    """The credentials are missing, invalid, expired or lack a permission: stop this account."""

    def __init__(self, message: str, variable: str | None = None) -> None:
        super().__init__(message)
        self.variable = variable


class Publisher(Protocol):
    """What the runner needs from a platform."""

    platform: str

    def publish(self, text: str, reply_to: str | None = None) -> Published:
        """Post `text`. With `reply_to`, continue that post (X: a reply in the thread).

        Raises a PublishError subclass on failure.
        """
        ...

    def find_recent(self, text: str) -> Published | None:
        """Look for a recent post of this account whose text is exactly `text` (after NFC).

        Returns None when no such post exists; raises PublishError when the lookup itself failed.
        """
        ...

    def whoami(self) -> Identity:
        """Check the credentials against the platform. Raises CredentialsError when they do not work."""
        ...
