"""Approvals: who approved which exact digest of a post, the store interface that keeps them, and the `approve` /
`revoke` services and the per-post approval state that preview, status and the daemon show and enforce.

An approval counts only while its digest equals the post's current digest: any edit makes a new digest, and the
old approval no longer applies (it is kept, as history, and shown as outdated). Time is passed in.
"""

from __future__ import annotations

import difflib
import getpass
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol, runtime_checkable

from bot.approval import (
    Approval,
    ApprovalError,
    ApprovalState,
    Candidate,
    KnownText,
    MediaRef,
    Revocation,
    approve_command,
    entry_digest,
    fragment_diff,
    parse_hex,
    post_digest,
    resolve,
    short,
)
from bot.i18n import N_, _
from bot.model import Post
from bot.problems import printable

__all__ = [  # the records are defined in the pure core (the stores below this layer keep them)
    "Approval",
    "ApprovalState",
    "ApprovalStore",
    "KnownText",
    "Revocation",
    "approval_state",
    "approve",
    "awaiting",
    "revoke",
]

MAX_BY = 100
MAX_NOTE = 1000


@runtime_checkable
class ApprovalStore(Protocol):
    """Where approvals live (the outbox: SQLite, PostgreSQL). Records are appended, never changed.

    "Latest" means last recorded, not largest `at`: clocks of several machines may disagree.
    """

    def record_approval(self, approval: Approval) -> None: ...

    def record_approvals(self, approvals: Sequence[Approval]) -> None:
        """Record them all in one transaction, or none (an approval of every account of a post)."""
        ...

    def revoke(self, revocation: Revocation) -> None: ...

    def latest_approval(self, post_id: str, account: str) -> Approval | None:
        """The last approval of (post, account) recorded after its last revocation; None if there is none."""
        ...

    def approvals(self) -> list[Approval | Revocation]:
        """Every record, oldest first (the audit trail)."""
        ...

    def approval_count(self) -> int:
        """How many records there are: the log only grows, so the daemon polls this to notice a new one."""
        ...

    def remember_texts(self, known: KnownText) -> None:
        """Keep the texts of a digest (idempotent): called on approval and by whoever plans (the daemon)."""
        ...

    def texts_for(self, prefix: str) -> list[KnownText]:
        """The remembered texts whose digest starts with `prefix`."""
        ...


def approval_state(
    post: Post, store: ApprovalStore, required: bool, media: Sequence[MediaRef] | None = None
) -> ApprovalState:
    digest = post_digest(post, media)
    latest = store.latest_approval(post.id, post.account.name)
    if latest is not None and latest.digest == digest:
        return ApprovalState(required, digest, latest)
    return ApprovalState(required, digest, None, latest)


def awaiting(post: Post, state: ApprovalState, store: ApprovalStore) -> list[str]:
    """Why `post` may not go out, for the log (at ERROR), status and alerts: the first line says it all, the next
    ones show what changed since the outdated approval (when its text is known) and the command to approve."""
    if state.may_publish:
        return []
    where = f"post '{post.id}' for {post.account.name}"
    command = approve_command(post.id, state.digest, post.account.name)
    old = state.outdated
    if old is None:
        return [
            _("{where} is awaiting approval of digest {digest}").format(where=where, digest=short(state.digest)),
            _("to approve it: {command}").format(command=command),
        ]
    lines = [
        _(
            "{where} is awaiting approval: its text changed after {by} approved {digest} at {at}; the "
            "digest is now {digest2}"
        ).format(
            where=where,
            by=old.by,
            digest=short(old.digest),
            at=old.at.isoformat(timespec="seconds"),
            digest2=short(state.digest),
        )
    ]
    known = [k for k in store.texts_for(old.digest) if (k.post_id, k.account) == post.key]
    if known:
        lines += fragment_diff(known[0].texts, [f.text for f in post.fragments]) or [_("(only media changed)")]
    lines.append(_("to approve the new text: {command}").format(command=command))
    return lines


class UnknownPost(ApprovalError):
    exit_code = 1


class UnknownAccount(ApprovalError):
    exit_code = 1


class StaleDigest(ApprovalError):
    """The digest given is not the post's current one: nothing was recorded."""

    exit_code = 1

    def __init__(self, message: str, hint: str, details: Sequence[str], given: str, current: dict[str, str]) -> None:
        super().__init__(message, hint, details)
        self.given = given
        self.current = current  # account name (or "all accounts") -> current digest


class BadArgument(ApprovalError):
    exit_code = 2


@dataclass(frozen=True)
class ApproveResult:
    approved: tuple[Approval, ...]
    waiting: tuple[str, ...]  # accounts of the post still without an approval of their current digest


@dataclass(frozen=True)
class RevokeResult:
    revoked: tuple[Revocation, ...]
    not_approved: tuple[str, ...]  # accounts that had no approval to withdraw


ALL_ACCOUNTS = N_("all accounts")


def default_approver() -> str | None:
    """The login name, or None when the system cannot tell (no user entry in a container, no LOGNAME)."""
    try:
        name = getpass.getuser()
    except (OSError, KeyError, ImportError):
        return None
    return name.strip() or None


def approve(
    posts: Iterable[Post],
    store: ApprovalStore,
    post_id: str,
    digest_hex: str,
    *,
    now: datetime,
    account: str | None = None,
    by: str | None = None,
    note: str | None = None,
) -> ApproveResult:
    """Record an approval of `post_id` (one account, or all of them) if `digest_hex` names its current text.

    Without `account`, the digest may be the entry digest (every account at once) or one account's digest (that
    account). Raises an ApprovalError subclass, having recorded nothing, when anything does not match.
    """
    given = parse_hex(digest_hex)
    who = _who(by)
    text_note = _note(note)
    every = _posts_of(posts, post_id, None)
    mine = _posts_of(every, post_id, account)
    digests = {p.account.name: post_digest(p) for p in mine}
    candidates = [Candidate(d, f"account {name}") for name, d in digests.items()]
    whole = entry_digest(digests)
    if account is None:
        candidates.append(Candidate(whole, ALL_ACCOUNTS))
    match = resolve(given, candidates)
    if match is None:
        raise _stale(store, post_id, given, digests, whole if account is None else None, mine)
    chosen = [p for p in mine if match.label == ALL_ACCOUNTS or digests[p.account.name] == match.digest]
    records = []
    for post in chosen:
        digest = digests[post.account.name]
        records.append(Approval(post.id, post.account.name, digest, who, now, text_note))
        store.remember_texts(KnownText(digest, post.id, post.account.name, tuple(f.text for f in post.fragments)))
    if account is None:  # the entry digest stands for every account's texts: a later refusal can show a diff
        for post in mine:
            store.remember_texts(KnownText(whole, post.id, post.account.name, tuple(f.text for f in post.fragments)))
    store.record_approvals(records)  # one transaction: every account of the post, or none
    done = {r.account for r in records}
    waiting = tuple(
        p.account.name for p in every if p.account.name not in done and not _current(store, p, post_digest(p))
    )
    return ApproveResult(tuple(records), waiting)


def revoke(
    posts: Iterable[Post],
    store: ApprovalStore,
    post_id: str,
    *,
    now: datetime,
    account: str | None = None,
    by: str | None = None,
    note: str | None = None,
) -> RevokeResult:
    """Withdraw the approvals of `post_id` (one account, or all). Accounts with nothing approved are reported."""
    who = _who(by)
    text_note = _note(note)
    revoked, idle = [], []
    for post in _posts_of(posts, post_id, account):
        if store.latest_approval(post.id, post.account.name) is None:
            idle.append(post.account.name)
            continue
        record = Revocation(post.id, post.account.name, who, now, text_note)
        store.revoke(record)
        revoked.append(record)
    return RevokeResult(tuple(revoked), tuple(idle))


def _current(store: ApprovalStore, post: Post, digest: str) -> bool:
    latest = store.latest_approval(post.id, post.account.name)
    return latest is not None and latest.digest == digest


def _posts_of(posts: Iterable[Post], post_id: str, account: str | None) -> list[Post]:
    every = list(posts)
    mine = [p for p in every if p.id == post_id]
    if not mine:
        ids = sorted({p.id for p in every})
        close = difflib.get_close_matches(post_id, ids, n=1, cutoff=0.6)
        raise UnknownPost(
            _("no post '{post_id}' in the schedule").format(post_id=post_id),
            _("did you mean '{close}'?").format(close=close[0])
            if close
            else _("the ids are: ") + (", ".join(ids) or "(none)"),
        )
    if account is None:
        return mine
    named = [p for p in mine if p.account.name == account]
    if not named:
        names = ", ".join(sorted(p.account.name for p in mine))
        raise UnknownAccount(
            _("post '{post_id}' does not go to account '{account}'").format(post_id=post_id, account=account),
            _("its accounts are: {names} (or leave out --account to approve them all)").format(names=names),
        )
    return named


def _stale(
    store: ApprovalStore,
    post_id: str,
    given: str,
    digests: dict[str, str],
    whole: str | None,
    mine: list[Post],
) -> StaleDigest:
    current = dict(digests)
    if whole is not None:
        current[ALL_ACCOUNTS] = whole
    details = [
        _("current digests: {digests}").format(digests=", ".join(f"{_(n)} {short(d)}" for n, d in current.items()))
    ]
    texts = {p.account.name: tuple(f.text for f in p.fragments) for p in mine}
    known = [k for k in store.texts_for(given) if k.post_id == post_id and k.account in texts]
    for k in known:
        details.append(
            _("what changed for {account} since {digest}:").format(account=k.account, digest=short(k.digest))
        )
        diff = fragment_diff(k.texts, texts[k.account]) or [_("(only media changed)")]
        details.extend("  " + line for line in diff)
    if not known:
        details.append(
            _("the text of {digest} was not recorded here, so what changed cannot be shown").format(digest=given[:12])
        )
    return StaleDigest(
        _(
            "approve refused: '{given}' is not the current digest of post '{post_id}': its text changed since that "
            "digest was shown (or the digest is of another post); nothing was recorded"
        ).format(given=given, post_id=post_id),
        _("read the post again in the preview, then approve it with the digest shown now"),
        details,
        given,
        current,
    )


def _who(by: str | None) -> str:
    name = (by if by is not None else default_approver() or "").strip()
    if not name:
        raise BadArgument(
            _("cannot tell who approves: ")
            + (_("--by is empty") if by is not None else _("the login name is unknown")),
            _("pass --by NAME"),
        )
    if printable(name) != name or len(name) > MAX_BY:
        raise BadArgument(
            _("--by '{name}' must be at most {MAX_BY} characters without control characters").format(
                name=printable(name[:MAX_BY]), MAX_BY=MAX_BY
            ),
            _("pass a plain name, e.g. --by 'Oficina del Ministro'"),
        )
    return name


def _note(note: str | None) -> str | None:
    if note is None:
        return None
    if len(note) > MAX_NOTE or printable(note) != note:
        raise BadArgument(
            _("--note must be at most {MAX_NOTE} characters on one line, without control characters").format(
                MAX_NOTE=MAX_NOTE
            ),
            _("shorten the note"),
        )
    return note.strip() or None
