"""The outbox's record types, shared by every store (no database library here)."""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal

from bot.i18n import _
from bot.states import IN_DOUBT, FragmentState, PostState

FreezeKind = Literal["new", "same", "replaced", "conflict"]


def mark_sent_moving(
    move: Callable[[tuple[FragmentState, ...]], None],
    log: Callable[[str], None],
    post_id: str,
    account: str,
    index: int,
    remote_id: str,
) -> None:
    """sending/unknown -> sent through `move` (a store's guarded transition); also pending -> sent, logged: the
    platform's id in hand proves the post exists whatever became of its `sending` record, and refusing it would
    make the next run send it again (issue 18). A lost lease or a database error is raised as it came."""
    try:
        move((FragmentState.SENDING, FragmentState.UNKNOWN))
    except OutboxError as error:
        if type(error) is not OutboxError:  # the lease, the database: not a refused transition
            raise
        try:
            move((FragmentState.PENDING,))
        except OutboxError:
            raise error from None
        log(
            _(
                "post {post} account {account} fragment {index}: recorded sent as {remote_id} from pending (its "
                "sending record was lost; the platform's id is kept, nothing is sent again)"
            ).format(post=post_id, account=account, index=index, remote_id=remote_id)
        )


class OutboxError(Exception):
    """The state database cannot be used, or a state change was not allowed (a bug in the caller)."""


@dataclass(frozen=True)
class FragmentRecord:
    """One fragment as recorded: its frozen text and where it stands."""

    post_id: str
    account: str
    index: int
    total: int
    text: str
    at: datetime
    state: FragmentState
    remote_id: str | None
    url: str | None
    attempts: int
    last_error: str | None
    created_at: datetime
    updated_at: datetime
    sent_at: datetime | None
    # Issue 18: when this fragment's outcome became unknown (the settling window runs from here; kept across
    # restarts and takeovers), and whether a resend was then refused as a duplicate (evidence it exists).
    doubt_since: datetime | None = None
    duplicate_refused: bool = False


@dataclass(frozen=True)
class MediaRecord:
    """An image uploaded for a post's first fragment: the platform's id for those exact bytes."""

    position: int  # 1-based order of the image on the post
    sha256: str  # attach.upload_key: of the bytes uploaded and their alt text (another image or alt: a new upload)
    media_id: str
    expires_at: datetime | None  # X ids expire after 24 h; None: no known expiry
    uploaded_at: datetime


@dataclass(frozen=True)
class FreezeResult:
    """What freeze() did. `conflict` explains a refused change (kind "conflict")."""

    kind: FreezeKind
    conflict: str | None = None


@dataclass(frozen=True)
class Begun:
    """What begin() found and did, in one transaction: the freeze, the account's hold, the post's fragments as they
    were before any mark, where standalone posting starts, and the index of the fragment it marked `sending`
    (committed, durable: its request may leave now), or None when it marked nothing (held, in doubt, not due...)."""

    frozen: FreezeResult
    hold: str | None
    records: list[FragmentRecord]
    standalone_from: int | None
    sending: int | None


def first_to_send(records: Sequence[FragmentRecord], now: datetime, max_attempts: int) -> FragmentRecord | None:
    """The fragment begin() may mark `sending` at once: the first pending one, due by `now`, under `max_attempts`,
    when nothing before the send is to be decided (no fragment failed, missed or in doubt)."""
    if any(r.state in IN_DOUBT or r.state in (FragmentState.FAILED, FragmentState.MISSED) for r in records):
        return None
    pending = [r for r in records if r.state == FragmentState.PENDING]
    if not pending or pending[0].at > now or pending[0].attempts >= max_attempts:
        return None
    return pending[0]


@dataclass(frozen=True)
class PostSummary:
    """A post as `status` shows it: post-level facts plus fragment counts."""

    post_id: str
    account: str
    scheduled_at: datetime
    total: int
    counts: dict[FragmentState, int]  # fragment state -> how many
    conflict: str | None
    hold: str | None  # the account's hold reason, when the post is not finished
    standalone_from: int | None
    next_at: datetime | None
    last_outcome: str | None
    last_message: str | None
    last_error: str | None  # of the first fragment that has one
    notes: tuple[str, ...]
    updated_at: datetime

    @property
    def sent(self) -> int:
        return self.counts.get(FragmentState.SENT, 0)

    @property
    def in_doubt(self) -> bool:
        """A fragment may exist on the platform without its id recorded: look it up before anything else."""
        return any(self.counts.get(state) for state in IN_DOUBT)

    @property
    def state(self) -> PostState:
        """One word for the post, from its facts and fragment counts."""
        if self.total and self.sent == self.total:
            return PostState.SENT
        if self.conflict:
            return PostState.CONFLICT
        if self.hold:
            return PostState.HELD
        for fragments, post in _BY_FRAGMENTS:
            if self.counts.get(fragments):
                return post
        return PostState.PUBLISHING if self.sent else PostState.SCHEDULED


# The first fragment state found (in this order) names the post's state.
_BY_FRAGMENTS = (
    (FragmentState.UNKNOWN, PostState.UNKNOWN),
    (FragmentState.FAILED, PostState.FAILED),
    (FragmentState.MISSED, PostState.MISSED),
    (FragmentState.SENDING, PostState.PUBLISHING),
)


def texts_digest(texts: tuple[str, ...] | list[str]) -> str:
    """A stable digest of a post's fragment texts, in order."""
    import hashlib  # here: it loads OpenSSL, ~4 MB that preview and validate do not need

    encoded = json.dumps(list(texts), ensure_ascii=False, separators=(",", ":")).encode("utf-8")
    return hashlib.sha256(encoded).hexdigest()


CONTENT_PREFIX = "content-v1:"  # a stored digest of the whole approved content; older rows hold texts_digest


def content_digest(post: Any) -> str:
    """What freeze() keeps and compares: the approval digest of everything the post sends from its account (texts,
    images and their alt texts, platform and target), so a started post whose images, alt texts, handle or Page
    changed is a conflict, not just one whose texts did. `post` is a bot.model.Post."""
    from bot.approval import post_digest

    return CONTENT_PREFIX + post_digest(post)


def same_content(stored: str, post: Any) -> bool:
    """Whether the stored digest stands for `post` as it is now. A row frozen before the digest covered more than the
    texts (no CONTENT_PREFIX) matches on its texts: nothing else was recorded for it."""
    if stored.startswith(CONTENT_PREFIX):
        return stored == content_digest(post)
    return stored == texts_digest([f.text for f in post.fragments])


def content_conflict(index: int, state: str, frozen_texts: Sequence[str], post: Any) -> str:
    """Why a started post may not take its new content, in a person's words: the texts, or what else changed."""
    from bot.i18n import _

    if list(frozen_texts) == [f.text for f in post.fragments]:
        return _(
            "the images, their alt texts or the target (handle or Page) changed after publishing started (fragment "
            "{index} is {state}); the frozen content was kept"
        ).format(index=index, state=state)
    return _(
        "the message changed after publishing started (fragment {index} is {state}); the frozen content was kept"
    ).format(index=index, state=state)


Row = Mapping[str, Any]


def summaries_from_rows(
    posts: Sequence[Row],
    fragments: Sequence[Row],
    moment: Callable[[Any], datetime],
    moment_opt: Callable[[Any], datetime | None],
) -> list[PostSummary]:
    """Per-post summaries from a store's post rows and fragment rows (read in one snapshot).

    `moment`/`moment_opt` turn the store's stored times into datetimes (ISO text in SQLite, native in PostgreSQL).
    """
    counts: dict[tuple[str, str], dict[FragmentState, int]] = {}
    errors: dict[tuple[str, str], str] = {}
    for row in fragments:
        key = (row["post_id"], row["account"])
        by_state = counts.setdefault(key, {})
        state = FragmentState(row["state"])
        by_state[state] = by_state.get(state, 0) + 1
        if row["last_error"] and state != FragmentState.SENT:
            errors.setdefault(key, row["last_error"])
    result = []
    for row in posts:
        key = (row["post_id"], row["account"])
        by_state = counts.get(key, {})
        total = sum(by_state.values())
        finished = total > 0 and by_state.get(FragmentState.SENT, 0) == total
        result.append(
            PostSummary(
                post_id=row["post_id"],
                account=row["account"],
                scheduled_at=moment(row["scheduled_at"]),
                total=total,
                counts=by_state,
                conflict=row["conflict"],
                hold=None if finished else row["hold"],
                standalone_from=row["standalone_from"],
                next_at=moment_opt(row["next_at"]),
                last_outcome=row["last_outcome"],
                last_message=row["last_message"],
                last_error=errors.get(key),
                notes=tuple(json.loads(row["notes"])),
                updated_at=moment(row["updated_at"]),
            )
        )
    return result
