"""Status rows: every post of the plan with its state, as a pure function of the plan and the outbox.

Used by the `status` command (text and JSON) and by the HTML preview, so both say the same thing.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace
from datetime import datetime

from bot import advice
from bot.approval import ApprovalState
from bot.i18n import _
from bot.model import Plan, Post
from bot.services.approvalview import approval_states, approval_words, command_for
from bot.states import FragmentState, Outcome, PostState
from bot.statewords import post_state
from bot.store import Outbox, PostSummary


@dataclass(frozen=True)
class PostStatus:
    """One post as `status` shows it."""

    id: str
    account: str
    platform: str
    state: PostState
    at: datetime  # the scheduled time (a retry time when one is planned)
    sent: int
    total: int
    urls: tuple[str, ...]
    detail: str  # why, in words
    action: str  # what a person should do; empty when nothing
    approval: dict[str, object] | None = None  # ApprovalState.as_json() of a planned post


@dataclass(frozen=True)
class AccountStatus:
    name: str
    platform: str
    hold: str | None


def _from_summary(post_id: str, account: str, platform: str, at: datetime, s: PostSummary) -> PostStatus:
    state = s.state
    urls: tuple[str, ...] = ()
    action = ""
    detail = s.last_message or ""
    if state == PostState.SENT:
        detail = _("all {total} fragments sent").format(total=s.total)
    elif state == PostState.CONFLICT:
        detail = s.conflict or ""
        action = advice.conflict(post_id, account)
    elif state == PostState.HELD:
        detail = s.hold or ""
        action = advice.held(post_id, account)
    elif state in (PostState.FAILED, PostState.MISSED):
        detail = s.last_error or detail
        action = advice.failed(post_id, account) if state == PostState.FAILED else advice.try_again(post_id, account)
    elif state == PostState.UNKNOWN:
        detail = s.last_error or detail
        action = advice.unknown(post_id, account)
        if s.last_outcome == Outcome.SETTLING and s.next_at is not None:
            at = s.next_at  # issue 18: looked up again then, within the settling window
    elif state == PostState.PUBLISHING:
        if s.next_at is not None:
            at = s.next_at
    elif s.last_outcome in (Outcome.RETRY, Outcome.RESUMED, Outcome.WAITING) and s.next_at is not None:
        at = s.next_at  # scheduled: frozen, nothing sent yet, a retry time or a resume moved it
    # Notes say how the post went out when it differs from the plan (X refused replies: the rest standalone).
    detail = "; ".join(part for part in (detail, *s.notes) if part)
    return PostStatus(post_id, account, platform, state, at, s.sent, s.total, urls, detail, action)


def collect(
    plan: Plan, outbox: Outbox | None, now: datetime, preflight: Mapping[tuple[str, str], str] | None = None
) -> tuple[list[AccountStatus], list[PostStatus]]:
    """Every account and post of the plan with its state, then the outbox's posts no longer planned.

    `preflight`: the running daemon's pre-flight failures (bot/services/preflight.py), shown on posts not started.
    """
    holds = outbox.holds() if outbox is not None else {}
    summaries = {(s.post_id, s.account): s for s in outbox.posts()} if outbox is not None else {}
    accounts: dict[str, AccountStatus] = {}
    rows: list[PostStatus] = []
    approvals = approval_states(plan, outbox)
    for post in plan.posts:
        name = post.account.name
        accounts.setdefault(name, AccountStatus(name, post.account.platform, holds.get(name)))
        row = _row(post, summaries.pop(post.key, None), holds.get(name), outbox, now)
        failure = (preflight or {}).get(post.key)
        if failure and row.state == PostState.SCHEDULED:
            row = replace(row, detail="; ".join(p for p in (row.detail, failure) if p), action=advice.preflight())
        rows.append(_with_approval(row, approvals[post.key]))
    for (post_id, name), summary in summaries.items():
        was = _from_summary(post_id, name, "", summary.scheduled_at, summary)
        rows.append(
            PostStatus(
                post_id,
                name,
                "",
                PostState.REMOVED,
                summary.scheduled_at,
                summary.sent,
                summary.total,
                _urls(outbox, post_id, name),
                _("no longer in the schedule; was {state} ({sent}/{total} sent)").format(
                    state=post_state(was.state), sent=summary.sent, total=summary.total
                ),
                "",
            )
        )
    return list(accounts.values()), rows


def _with_approval(row: PostStatus, state: ApprovalState) -> PostStatus:
    """A post not yet started that may not go out (`approval: required`, its digest not approved) is `awaiting
    approval`, with the command that approves it; the digest and approval ride along in every row."""
    row = replace(row, approval=state.as_json())
    if row.state != PostState.SCHEDULED or row.sent or state.may_publish:
        return row
    words = approval_words(row.id, row.account, state)
    action = _("read it in the preview, then `{command}`").format(command=command_for(row.id, row.account, state))
    detail = "; ".join(part for part in (words, row.detail) if part)
    return replace(row, state=PostState.AWAITING, detail=detail, action=action)


def _urls(outbox: Outbox | None, post_id: str, account: str) -> tuple[str, ...]:
    if outbox is None:
        return ()
    return tuple(f.url for f in outbox.fragments_of(post_id, account) if f.state == FragmentState.SENT and f.url)


def _row(post: Post, summary: PostSummary | None, hold: str | None, outbox: Outbox | None, now: datetime) -> PostStatus:
    name, platform = post.account.name, post.account.platform
    total = len(post.fragments)
    if summary is None:
        if hold is not None:
            action = advice.held(post.id, name)
            return PostStatus(post.id, name, platform, PostState.HELD, post.at, 0, total, (), hold, action)
        detail = ""
        if post.at < now:
            detail = _("its time has passed: the daemon publishes it if started within --catch-up (default 6h)")
        return PostStatus(post.id, name, platform, PostState.SCHEDULED, post.at, 0, total, (), detail, "")
    row = _from_summary(post.id, name, platform, post.at, summary)
    urls = _urls(outbox, post.id, name)
    return PostStatus(row.id, name, platform, row.state, row.at, row.sent, row.total, urls, row.detail, row.action)
