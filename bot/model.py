"""Domain values shared by every module: the validated schedule and the plan built from it.

They are frozen: validation happens once, in config.py; everything after trusts these values.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Literal
from zoneinfo import ZoneInfo

Platform = Literal["x", "facebook"]
MediaFormat = Literal["JPEG", "PNG", "WEBP", "GIF"]
XPlan = Literal["pay-per-use", "free", "basic", "pro"]
FacebookMode = Literal["single", "series"]
ReplyRefusedPolicy = Literal["series", "stop"]

X_DEFAULT_LIMIT = 280
X_LONG_POST_LIMIT = 25_000
FACEBOOK_LIMIT = 63_206
DEFAULT_NUMBERING = "{i}/{n}"


@dataclass(frozen=True)
class Position:
    """Where a value was written: 1-based line and column in a file."""

    path: str
    line: int = 0
    col: int = 0

    def __str__(self) -> str:
        if self.line <= 0:
            return self.path
        return f"{self.path}:{self.line}:{self.col}"


@dataclass(frozen=True)
class MediaItem:
    """One `media:` item as written in schedule.yaml, before any check (bot/media.py checks it)."""

    file: str  # as written, relative to the schedule's folder
    alt: str | None  # None: the item has no `alt` key
    position: Position  # of the `file` value (or of the item)
    alt_position: Position | None = None  # of the `alt` value; None: use `position`


@dataclass(frozen=True)
class Media:
    """A checked image: what it really is, and the digest of the exact bytes that were checked.

    bot/media.py makes it (inspect_media) and reads its bytes again when publishing (read_media).
    """

    file: str  # as written in schedule.yaml
    path: Path  # resolved, inside the project folder
    format: MediaFormat
    mime: str
    width: int
    height: int
    size: int  # bytes on disk
    sha256: str  # hex digest of the file's bytes
    alt: str  # NFC, stripped
    position: Position = field(compare=False)


@dataclass(frozen=True)
class Account:
    """One account the bot posts as (an X account or a Facebook Page)."""

    name: str
    platform: Platform
    credentials: str  # prefix of the environment variables holding this account's secrets
    limit: int
    numbering: str | None  # e.g. "{i}/{n}"; None turns numbering off
    timezone: ZoneInfo  # the account's own zone, or the schedule's
    handle: str | None = None  # X: the @handle without "@"
    page_id: str | None = None  # Facebook: the numeric Page id
    display_name: str | None = None  # how previews show the account
    plan: XPlan = "pay-per-use"  # X only
    mode: FacebookMode = "single"  # Facebook only
    on_reply_refused: ReplyRefusedPolicy = "series"  # X only
    position: Position = field(default=Position(""), compare=False)

    @property
    def label(self) -> str:
        """Human name: display name, @handle or page id."""
        if self.display_name:
            return self.display_name
        if self.handle:
            return f"@{self.handle}"
        return f"page {self.page_id}"


@dataclass(frozen=True)
class PostEntry:
    """One entry of `posts:` in schedule.yaml: a message, when, and to which accounts."""

    id: str
    message: Path  # resolved path of the message file
    at: datetime  # naive: read in each target account's zone; aware: an absolute instant
    to: tuple[str, ...]
    every: timedelta | None = None  # spacing between the fragments of a thread
    media: tuple[Media, ...] = ()  # checked images, attached to the first fragment of each post
    position: Position = field(default=Position(""), compare=False)  # of its id
    message_position: Position = field(default=Position(""), compare=False)  # of its message path


@dataclass(frozen=True)
class Schedule:
    """A validated schedule.yaml."""

    path: Path
    timezone: ZoneInfo
    accounts: dict[str, Account]
    posts: tuple[PostEntry, ...]
    approval_required: bool = False  # `approval: required`: a post goes out only once its digest is approved


@dataclass(frozen=True)
class Warning_:
    """A problem that does not stop a run: a past time, a plan limit, a cost."""

    kind: str
    message: str


@dataclass(frozen=True)
class Fragment:
    """One post-sized piece of a message, with its numbering already applied."""

    index: int  # 1-based
    total: int
    text: str
    length: int  # as the platform counts it
    limit: int
    at: datetime  # aware


@dataclass(frozen=True)
class Post:
    """A schedule entry for one account: the unit the runner publishes. Identity: (id, account)."""

    id: str
    account: Account
    at: datetime  # aware: the time of the first fragment
    message: Path
    fragments: tuple[Fragment, ...]
    warnings: tuple[Warning_, ...] = ()
    source: Position = field(default=Position(""), compare=False)  # the schedule entry
    media: tuple[Media, ...] = ()  # go with the first fragment (X: first of the thread; Facebook: first post)

    @property
    def key(self) -> tuple[str, str]:
        return (self.id, self.account.name)


@dataclass(frozen=True)
class Plan:
    """Every post of the schedule, sorted by time, as of `now`."""

    timezone: ZoneInfo
    now: datetime
    posts: tuple[Post, ...]
    approval_required: bool = False  # the schedule's `approval: required`


@dataclass(frozen=True)
class Message:
    """A message file as read: its text (what gets published), where it starts, and its front matter."""

    path: Path
    display: str  # the path as messages should show it
    text: str  # what gets published
    first_line: int = 1  # the file line on which `text` starts
    meta: dict[str, str] = field(default_factory=dict)

    def position_of(self, offset: int) -> Position:
        """File position of a character offset in `text`."""
        before = self.text[:offset]
        line = self.first_line + before.count("\n")
        col = offset - (before.rfind("\n") + 1) + 1
        return Position(self.display, line, col)
