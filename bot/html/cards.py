"""One <article> per post: an X thread as its readers see it, or a Facebook Page post with its fold."""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from bot.durations import until
from bot.html.state import OutboxView
from bot.html.text import (
    FACEBOOK_FOLD_CHARS,
    FACEBOOK_FOLD_CHARS_PHONE,
    escape,
    facebook_html,
    fold_offset,
    rich,
    web_link,
)
from bot.model import Fragment, Plan, Post, Warning_
from bot.preview import post_cost
from bot.store import FragmentRecord

DEFAULT_LANG = "es"  # the campaign's messages are in Spanish unless their front matter says `lang:`

FOLD_MARKER = (
    '<span class="fold-marker" lang="en"><span class="see-more">… See more</span> '
    "<span class=\"fold-label\">Facebook folds here ('See more'): readers first see only the text above. "
    f"Approximate: about {FACEBOOK_FOLD_CHARS} characters on a computer, about {FACEBOOK_FOLD_CHARS_PHONE} "
    "on a phone.</span></span>"
)

_FRAGMENT_STATE = {
    "pending": "pending",
    "sending": "sending (in flight)",
    "sent": "sent",
    "failed": "failed",
    "unknown": "outcome unknown",
    "missed": "missed",
}
_WARNING_KIND = {
    "past": "Time passed",
    "nonexistent-time": "Time does not exist",
    "ambiguous-time": "Ambiguous time",
    "plan-limit": "X plan limit",
}


@dataclass(frozen=True)
class Context:
    """What every part of the page needs besides the post itself."""

    plan: Plan
    outbox: OutboxView | None = None
    langs: Mapping[Path, str] = field(default_factory=dict)  # message file -> its front matter `lang`

    def lang(self, post: Post) -> str:
        return self.langs.get(post.message) or DEFAULT_LANG

    def records(self, post: Post) -> dict[int, FragmentRecord] | None:
        """The post's recorded fragments by index; None when the page shows a plan only."""
        if self.outbox is None or not self.outbox.found:
            return None
        return {record.index: record for record in self.outbox.fragments.get(post.key, ())}


def time_element(at: datetime, ctx: Context, fmt: str = "%H:%M") -> str:
    """Local time of the schedule's zone; UTC on hover."""
    local = at.astimezone(ctx.plan.timezone)
    utc = at.astimezone(UTC)
    return (
        f'<time datetime="{escape(local.isoformat())}" title="{utc:%Y-%m-%d %H:%M} UTC">'
        f"{escape(local.strftime(fmt))}</time>"
    )


def warnings_list(warnings: Sequence[Warning_]) -> str:
    if not warnings:
        return ""
    items = "".join(
        f'<li class="warning warning-{escape(w.kind)}"><strong>{escape(_WARNING_KIND.get(w.kind, w.kind))}:</strong> '
        f"{escape(w.message)}</li>"
        for w in warnings
    )
    return f'<ul class="warnings" aria-label="Warnings">{items}</ul>'


def initials(name: str) -> str:
    """'Cancillería del Perú' -> 'CP': the avatar is drawn with CSS, no image is loaded."""
    words = re.findall(r"[^\W\d_]+", name)
    capitals = [w[0] for w in words if w[0].isupper()] or [w[0].upper() for w in words]
    return "".join(capitals[:2]) or "?"


def article(post: Post, ctx: Context, anchor: str) -> str:
    platform = post.account.platform
    body = _thread(post, ctx) if platform == "x" else _facebook(post, ctx)
    return (
        f'<article class="post post-{escape(platform)}" id="{anchor}" data-post="{escape(post.id)}" '
        f'data-account="{escape(post.account.name)}" aria-labelledby="{anchor}-title">'
        f"{_post_head(post, ctx, anchor)}{warnings_list(post.warnings)}{body}</article>"
    )


def _kind(post: Post) -> str:
    total = len(post.fragments)
    if post.account.platform == "x":
        return f"X thread of {total} posts" if total > 1 else "X post"
    return f"Facebook Page series of {total} posts" if total > 1 else "Facebook Page post"


def _post_head(post: Post, ctx: Context, anchor: str) -> str:
    meta = [f'<span class="post-id">{escape(post.id)}</span>']
    cost = post_cost(post)
    if cost is not None:
        meta.append(f"est. US${cost:.3f}")
    own_zone = post.account.timezone
    if own_zone.key != ctx.plan.timezone.key:
        meta.append(f"{post.at.astimezone(own_zone):%Y-%m-%d %H:%M} in {escape(own_zone.key)}")
    return (
        f'<header class="post-head"><h4 id="{anchor}-title">{escape(_kind(post))} '
        f'<span class="account-name">{escape(post.account.name)}</span></h4>'
        f'<p class="post-meta">{" · ".join(meta)}</p>{_post_state(post, ctx)}</header>'
    )


def _post_state(post: Post, ctx: Context) -> str:
    if ctx.outbox is None or not ctx.outbox.found:
        return ""
    row = ctx.outbox.posts.get(post.key)
    if row is None:
        return ""
    word = {"publishing": f"publishing {row.sent}/{row.total}", "sent": f"sent {row.sent}/{row.total}"}
    parts = [f'<span class="state state-{escape(row.state)}">{escape(word.get(row.state, row.state))}</span>']
    if row.detail:
        parts.append(f'<span class="detail">{escape(row.detail)}</span>')
    if row.action:
        parts.append(f'<span class="action">What to do: {escape(row.action)}</span>')
    return f'<p class="post-state">{" ".join(parts)}</p>'


def _fragment_state(fragment: Fragment, records: dict[int, FragmentRecord] | None, ctx: Context) -> str:
    if records is None:
        return ""
    record = records.get(fragment.index)
    if record is None:
        return '<span class="state state-scheduled">scheduled</span>'
    label = escape(_FRAGMENT_STATE.get(record.state, record.state))
    if record.state == "sent":
        when = f" {time_element(record.sent_at, ctx, '%Y-%m-%d %H:%M')}" if record.sent_at else ""
        link = web_link(record.url, "sent-link") if record.url else "(no link recorded)"
        label = f"{label}{when} · {link}"
    elif record.last_error:
        label = f"{label}: {escape(record.last_error)}"
    note = ""
    if record.text != fragment.text:
        note = '<span class="state-note">the outbox holds another text (edited after it started)</span>'
    return f'<span class="state state-{escape(record.state)}">{label}</span>{note}'


def _thread(post: Post, ctx: Context) -> str:
    account = post.account
    name = escape(account.display_name or account.handle or account.name)
    handle = escape(f"@{account.handle}") if account.handle else ""
    avatar = escape(initials(account.display_name or account.handle or account.name))
    records = ctx.records(post)
    day = post.at.astimezone(ctx.plan.timezone).date()
    items = []
    previous: Fragment | None = None
    for fragment in post.fragments:
        gap = ""
        if previous is not None and fragment.at != previous.at:
            after = until(previous.at, fragment.at).removeprefix("in ")
            gap = f'<p class="gap">{time_element(fragment.at, ctx)} · {after} after the previous post</p>'
        same_day = fragment.at.astimezone(ctx.plan.timezone).date() == day
        when = time_element(fragment.at, ctx, "%H:%M" if same_day else "%a %d %b %H:%M")
        over = " over" if fragment.length > fragment.limit else ""
        items.append(
            f'<li class="fragment" data-index="{fragment.index}">{gap}<div class="tweet">'
            f'<div class="avatar" aria-hidden="true">{avatar}</div><div class="tweet-body">'
            f'<p class="who"><span class="name">{name}</span> <span class="handle">{handle}</span> · {when}</p>'
            f'<p class="text" lang="{escape(ctx.lang(post))}">{rich(fragment.text)}</p>'
            f'<p class="meta"><span class="length{over}" title="weighted length / limit">'
            f"{fragment.length}/{fragment.limit}</span>{_fragment_state(fragment, records, ctx)}</p>"
            "</div></div></li>"
        )
        previous = fragment
    return f'<ol class="thread">{"".join(items)}</ol>'


def _facebook(post: Post, ctx: Context) -> str:
    account = post.account
    page = account.display_name or account.name
    records = ctx.records(post)
    cards = []
    for fragment in post.fragments:
        text = facebook_html(fragment.text, FOLD_MARKER, fold_offset(fragment.text))
        over = " over" if fragment.length > fragment.limit else ""
        cards.append(
            f'<div class="fb-card" data-index="{fragment.index}"><div class="fb-head">'
            f'<div class="avatar" aria-hidden="true">{escape(initials(page))}</div><div>'
            f'<p class="name">{escape(page)}</p>'
            f'<p class="sub">{time_element(fragment.at, ctx)} · Page {escape(account.page_id or "")}</p></div></div>'
            f'<div class="fb-text" lang="{escape(ctx.lang(post))}">{text}</div>'
            f'<p class="meta"><span class="char-count{over}">{fragment.length:,}/{fragment.limit:,} characters</span>'
            f"{_fragment_state(fragment, records, ctx)}</p></div>"
        )
    return f'<div class="fb-posts">{"".join(cards)}</div>'
