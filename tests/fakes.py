"""In-memory fakes for unit tests: a Publisher that keeps its posts in a list, a clock, and post builders.

FakePublisher implements bot.publishers.base.Publisher. Failures are scripted per call: `fail_next()`
queues exceptions for the next publish() calls (a `CommitThen(error)` item stores the post first and then
raises, like a request that reached the platform but whose answer was lost), `fail_lookup()` queues
exceptions for find_recent(), `fail_upload()` for upload_media(). Uploaded media ids expire after
`media_ttl` (from the `now` given to upload_media) or when `expire_media()` is called; publishing with an
expired or unknown id raises MediaExpired, like the platforms. For randomised tests, `publish_fault` /
`lookup_fault` are called on every call and may return a fault to inject.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from bot.model import Account, Fragment, Post, ReplyRefusedPolicy
from bot.publishers.base import (
    AlreadyExists,
    Identity,
    MediaExpired,
    MediaUpload,
    Published,
    Rejected,
    ReplyRefused,
    UploadedMedia,
)

T0 = datetime(2026, 7, 28, 13, 0, tzinfo=UTC)  # 08:00 in Lima
LIMA = ZoneInfo("America/Lima")


@dataclass(frozen=True)
class CommitThen:
    """A scripted publish fault: the post is stored on the platform, then `error` is raised."""

    error: BaseException


Fault = BaseException | CommitThen


@dataclass(frozen=True)
class StoredPost:
    remote_id: str
    text: str
    reply_to: str | None
    media: tuple[MediaUpload, ...] = ()  # the images the post carries


class FakePublisher:
    """A Publisher that posts into a list. Set `refuse_replies` to refuse every reply like X may."""

    def __init__(
        self,
        platform: str = "x",
        *,
        reject_duplicates: bool = False,
        refuse_replies: bool = False,
        on_publish: Callable[[str, str | None], None] | None = None,
    ) -> None:
        self.platform = platform
        self.reject_duplicates = reject_duplicates
        self.refuse_replies = refuse_replies
        self.on_publish = on_publish
        self.posts: list[StoredPost] = []
        self.publish_calls: list[tuple[str, str | None]] = []
        self.lookup_calls: list[str] = []
        self.publish_fault: Callable[[str, str | None], Fault | None] | None = None
        self.lookup_fault: Callable[[str], BaseException | None] | None = None
        self._publish_script: list[Fault | None] = []
        self._lookup_script: list[BaseException] = []
        self._next_id = 1000
        self.media_ttl: timedelta | None = timedelta(hours=24)
        self.uploads: list[tuple[UploadedMedia, MediaUpload]] = []
        self.upload_calls: list[tuple[MediaUpload, ...]] = []
        self._expired: set[str] = set()
        self._upload_script: list[BaseException] = []
        self.blind_lookups = 0  # issue 18: the next N lookups miss every post (the read path lags the write path)

    # -- scripting ---------------------------------------------------------------------------------

    def fail_next(self, *faults: Fault | None) -> None:
        """The next publish() calls fail with these, in order; None lets that call succeed."""
        self._publish_script.extend(faults)

    def fail_lookup(self, *errors: BaseException) -> None:
        """The next find_recent() calls raise these, in order."""
        self._lookup_script.extend(errors)

    def fail_upload(self, *errors: BaseException) -> None:
        """The next upload_media() calls raise these, in order."""
        self._upload_script.extend(errors)

    def expire_media(self) -> None:
        """Every id uploaded so far becomes unknown to the platform (X drops them after 24 hours)."""
        self._expired.update(uploaded.id for uploaded, _ in self.uploads)

    def store(self, text: str, reply_to: str | None = None, media: tuple[MediaUpload, ...] = ()) -> StoredPost:
        """Put a post on the platform directly (as if an earlier, unrecorded request had created it)."""
        self._next_id += 1
        stored = StoredPost(str(self._next_id), text, reply_to, media)
        self.posts.append(stored)
        return stored

    def texts(self) -> list[str]:
        return [p.text for p in self.posts]

    # -- the Publisher protocol ----------------------------------------------------------------------

    def publish(
        self,
        text: str,
        reply_to: str | None = None,
        media: Sequence[MediaUpload] = (),
        media_ids: Sequence[str] = (),
    ) -> Published:
        self.publish_calls.append((text, reply_to))
        if self.on_publish is not None:
            self.on_publish(text, reply_to)
        fault: Fault | None = self._publish_script.pop(0) if self._publish_script else None
        if fault is None and self.publish_fault is not None:
            fault = self.publish_fault(text, reply_to)
        if isinstance(fault, BaseException):
            raise fault
        if reply_to is not None and self.refuse_replies:
            raise ReplyRefused("Reply to this conversation is not allowed")
        if reply_to is not None and reply_to not in {p.remote_id for p in self.posts}:
            raise Rejected(f"reply target {reply_to} does not exist")
        if self.reject_duplicates and self._find(text) is not None:
            raise AlreadyExists("You are not allowed to create a Tweet with duplicate content.")
        attached = self._attached(media, media_ids)
        stored = self.store(text, reply_to, attached)
        if fault is not None:
            raise fault.error
        return self._published(stored)

    def find_recent(self, text: str) -> Published | None:
        self.lookup_calls.append(text)
        error: BaseException | None = self._lookup_script.pop(0) if self._lookup_script else None
        if error is None and self.lookup_fault is not None:
            error = self.lookup_fault(text)
        if error is not None:
            raise error
        if self.blind_lookups > 0:
            self.blind_lookups -= 1
            return None
        found = self._find(text)
        return None if found is None else self._published(found)

    def upload_media(self, media: Sequence[MediaUpload], now: datetime) -> tuple[UploadedMedia, ...]:
        self.upload_calls.append(tuple(media))
        if self._upload_script:
            raise self._upload_script.pop(0)
        uploaded = []
        for item in media:
            self._next_id += 1
            expires = None if self.media_ttl is None else now + self.media_ttl
            uploaded.append(UploadedMedia(f"media-{self._next_id}", expires))
            self.uploads.append((uploaded[-1], item))
        return tuple(uploaded)

    def whoami(self) -> Identity:
        return Identity(id="42", name="Cancillería del Perú", handle="CancilleriaPeru")

    # -- helpers ------------------------------------------------------------------------------------

    def _attached(self, media: Sequence[MediaUpload], media_ids: Sequence[str]) -> tuple[MediaUpload, ...]:
        """The images a post carries: the uploaded ones named by `media_ids`, else a lone image sent with it."""
        if not media_ids:
            return tuple(media[:1]) if len(media) == 1 else ()
        known = {uploaded.id: item for uploaded, item in self.uploads}
        for media_id in media_ids:
            if media_id not in known or media_id in self._expired:
                raise MediaExpired(f"media id {media_id} is unknown or expired")
        return tuple(known[media_id] for media_id in media_ids)

    def _find(self, text: str) -> StoredPost | None:
        wanted = _normalise(text)
        for stored in reversed(self.posts):
            if _normalise(stored.text) == wanted:
                return stored
        return None

    @staticmethod
    def _published(stored: StoredPost) -> Published:
        return Published(stored.remote_id, f"https://fake.example/{stored.remote_id}")


def _normalise(text: str) -> str:
    """What the real publishers compare: NFC text with every line end as \n."""
    return unicodedata.normalize("NFC", text.replace("\r\n", "\n").replace("\r", "\n"))


class FakeClock:
    """A clock for `now` arguments: call it to read it, advance() or set() it to move time."""

    def __init__(self, start: datetime = T0) -> None:
        self.moment = start

    def __call__(self) -> datetime:
        return self.moment

    def advance(self, delta: timedelta) -> datetime:
        self.moment += delta
        return self.moment

    def set(self, moment: datetime) -> None:
        self.moment = moment


def make_account(
    name: str = "x_cancilleria", platform: str = "x", on_reply_refused: ReplyRefusedPolicy = "series"
) -> Account:
    return Account(
        name=name,
        platform="x" if platform == "x" else "facebook",
        credentials=name.upper(),
        limit=280,
        numbering="{i}/{n}",
        timezone=LIMA,
        handle="CancilleriaPeru" if platform == "x" else None,
        page_id=None if platform == "x" else "1234567890",
        on_reply_refused=on_reply_refused,
    )


def make_post(
    n: int = 3,
    *,
    post_id: str = "mensaje",
    account: Account | None = None,
    at: datetime = T0,
    every: timedelta | None = None,
    texts: list[str] | None = None,
    words: str = "¡Felices Fiestas Patrias, peruanos!",
) -> Post:
    """A post with `n` numbered fragments, the i-th at `at + (i-1)*every`."""
    bodies = texts if texts is not None else [f"{words} parte {i}" for i in range(1, n + 1)]
    total = len(bodies)
    step = every or timedelta(0)
    fragments = tuple(
        Fragment(
            index=i,
            total=total,
            text=f"{body} {i}/{total}",
            length=len(body) + 6,
            limit=280,
            at=at + step * (i - 1),
        )
        for i, body in enumerate(bodies, start=1)
    )
    return Post(
        id=post_id,
        account=account or make_account(),
        at=at,
        message=Path("messages/mensaje.txt"),
        fragments=fragments,
    )
