"""The Publisher protocol and the one error taxonomy every adapter maps its failures into.

The runner only ever sees these types: adapters translate each library or transport exception into exactly
one PublishError subclass, never retry and never sleep. Messages must never contain a secret.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Literal, Protocol


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


@dataclass(frozen=True)
class MediaUpload:
    """One image to upload: its exact bytes, what they are, and the alt text the platform shows with it."""

    data: bytes
    mime: str  # image/png, image/jpeg, image/webp, image/gif
    alt: str
    name: str  # the file's name, for multipart uploads and messages

    @property
    def sha256(self) -> str:
        return hashlib.sha256(self.data).hexdigest()


# An id used within this margin of its expiry could expire between the check and the post: upload again.
EXPIRY_MARGIN = timedelta(minutes=10)


@dataclass(frozen=True)
class UploadedMedia:
    """An uploaded image the next publish() can attach. Uploads are invisible until attached to a post."""

    id: str
    expires_at: datetime | None = None  # X ids expire (24 h); None: no known expiry

    def usable(self, now: datetime) -> bool:
        return self.expires_at is None or now + EXPIRY_MARGIN < self.expires_at


class PublishError(Exception):
    """Base of the taxonomy. `str(error)` is safe to log and to show: it never holds a secret."""


class RetryLater(PublishError):
    """Nothing was written; try again at `retry_at` (None: use backoff).

    `hold`: the platform's 24-hour cap is used up until `retry_at`, for every account of the app ("app": X's
    x-app-limit-24hour-remaining 0) or for this account ("user": x-user-limit-24hour-remaining 0): the daemon
    holds them until then rather than let each post meet the same refusal."""

    def __init__(
        self, message: str, retry_at: datetime | None = None, hold: Literal["app", "user"] | None = None
    ) -> None:
        super().__init__(message)
        self.retry_at = retry_at
        self.hold = hold if retry_at is not None else None


class OutcomeUnknown(PublishError):
    """The request was sent but no answer came back: the post may exist. Look it up before resending."""


class Rejected(PublishError):
    """The platform refused this content for good (too long, invalid, not allowed). Never retried."""


class AlreadyExists(Rejected):
    """The platform says this exact text was already posted: find it with find_recent()."""


class ReplyRefused(Rejected):
    """X refused a reply in a thread (the 2026 "summoned replies" rule)."""


class MediaExpired(Rejected):
    """The platform no longer knows (or never knew) an attached media id; nothing was posted.

    Upload the media again and publish with the new ids. A Rejected subclass, so that code unaware of it
    never resends blindly.
    """


class CredentialsError(PublishError):
    """The credentials are missing, invalid, expired or lack a permission: stop this account."""

    def __init__(self, message: str, variable: str | None = None) -> None:
        super().__init__(message)
        self.variable = variable


class Publisher(Protocol):
    """What the runner needs from a platform."""

    platform: str

    def publish(
        self,
        text: str,
        reply_to: str | None = None,
        media: Sequence[MediaUpload] = (),
        media_ids: Sequence[str] = (),
    ) -> Published:
        """Post `text`. With `reply_to`, continue that post (X: a reply in the thread).

        With media: `media` are the images and `media_ids` what upload_media() returned for them. A platform
        that sends a lone image with the post itself (a Facebook photo post) uses `media`; the others attach
        `media_ids`. Raises a PublishError subclass on failure; MediaExpired when an id is no longer valid.
        """
        ...

    def upload_media(self, media: Sequence[MediaUpload], now: datetime) -> tuple[UploadedMedia, ...]:
        """Upload `media` for the next publish(). Not a publication: nothing becomes visible, so it may be
        repeated. Returns the ids to pass as `media_ids`, possibly none (see publish). Raises a PublishError
        subclass (never OutcomeUnknown: a lost upload is simply uploaded again).
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
