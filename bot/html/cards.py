"""One <article> per post: an X thread as its readers see it, or a Facebook Page post with its fold."""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from markupsafe import Markup, escape

from bot.approval import ApprovalState, approve_command, short
from bot.durations import until
from bot.html.forms import WebParts, approval_forms
from bot.html.media import Thumbnails
from bot.html.state import OutboxView
from bot.html.text import FACEBOOK_FOLD_CHARS, FACEBOOK_FOLD_CHARS_PHONE, facebook_html, fold_offset, rich, web_link
from bot.i18n import N_, _
from bot.localformat import money, number, strftime
from bot.model import Fragment, Plan, Post, Warning_
from bot.platforms import PLATFORMS
from bot.preview import post_cost
from bot.states import FragmentState, PostState
from bot.statewords import post_state
from bot.store import FragmentRecord

DEFAULT_LANG = "es"  # the campaign's messages are in Spanish unless their front matter says `lang:`

_FOLD_MARKER = N_(
    '<span class="fold-marker" lang="en"><span class="see-more">… See more</span> '
    "<span class=\"fold-label\">Facebook folds here ('See more'): readers first see only the text above. "
    "Approximate: about {} characters on a computer, about {} on a phone.</span></span>"
)


def fold_marker() -> Markup:
    return Markup(_(_FOLD_MARKER)).format(FACEBOOK_FOLD_CHARS, FACEBOOK_FOLD_CHARS_PHONE)


_FRAGMENT_STATE = {
    **{state: state.value for state in FragmentState},
    FragmentState.SENDING: N_("sending (in flight)"),
    FragmentState.UNKNOWN: N_("outcome unknown"),
}
_WARNING_KIND = {
    "past": N_("Time passed"),
    "nonexistent-time": N_("Time does not exist"),
    "ambiguous-time": N_("Ambiguous time"),
    "plan-limit": N_("X plan limit"),
    "mid-phrase": N_("Ends mid-phrase"),
}


@dataclass(frozen=True)
class Context:
    """What every part of the page needs besides the post itself."""

    plan: Plan
    outbox: OutboxView | None = None
    langs: Mapping[Path, str] = field(default_factory=dict)  # message file -> its front matter `lang`
    thumbnails: Thumbnails = field(default_factory=Thumbnails, compare=False)
    approvals: Mapping[tuple[str, str], ApprovalState] = field(default_factory=dict)  # post key -> its approval
    entry_digests: Mapping[str, str] = field(default_factory=dict)  # post id -> digest of all its accounts
    web: WebParts | None = None  # served by `serve` to a signed-in person: the approve and revoke forms

    def lang(self, post: Post) -> str:
        return self.langs.get(post.message) or DEFAULT_LANG

    def records(self, post: Post) -> dict[int, FragmentRecord] | None:
        """The post's recorded fragments by index; None when the page shows a plan only."""
        if self.outbox is None or not self.outbox.found:
            return None
        return {record.index: record for record in self.outbox.fragments.get(post.key, ())}


_TIME = Markup('<time datetime="{}" title="{:%Y-%m-%d %H:%M} UTC">{}</time>')


def time_element(at: datetime, ctx: Context, fmt: str = "%H:%M") -> Markup:
    """Local time of the schedule's zone; UTC on hover."""
    local = at.astimezone(ctx.plan.timezone)
    return _TIME.format(local.isoformat(), at.astimezone(UTC), strftime(local, fmt))


def warnings_list(warnings: Sequence[Warning_]) -> Markup:
    if not warnings:
        return Markup("")
    items = Markup("").join(
        Markup('<li class="warning warning-{}"><strong>{}:</strong> {}</li>').format(
            w.kind, _(_WARNING_KIND.get(w.kind, w.kind)), w.message
        )
        for w in warnings
    )
    return Markup('<ul class="warnings" aria-label="Warnings">{}</ul>').format(items)


def initials(name: str) -> str:
    """'Cancillería del Perú' -> 'CP': the avatar is drawn with CSS, no image is loaded."""
    words = re.findall(r"[^\W\d_]+", name)
    capitals = [w[0] for w in words if w[0].isupper()] or [w[0].upper() for w in words]
    return "".join(capitals[:2]) or "?"


def article(post: Post, ctx: Context, anchor: str) -> Markup:
    platform = post.account.platform
    body = _thread(post, ctx) if PLATFORMS[platform].threads else _facebook(post, ctx)
    return Markup(
        '<article class="post post-{platform}" id="{anchor}" data-post="{id}" data-account="{account}" '
        'aria-labelledby="{anchor}-title">{head}{warnings}{body}</article>'
    ).format(
        platform=platform,
        anchor=anchor,
        id=post.id,
        account=post.account.name,
        head=_post_head(post, ctx, anchor),
        warnings=warnings_list(post.warnings),
        body=body,
    )


def _kind(post: Post) -> str:
    total = len(post.fragments)
    row = PLATFORMS[post.account.platform]
    return (
        _("{series_kind} of {total} posts").format(series_kind=_(row.series_kind), total=total)
        if total > 1
        else _(row.post_kind)
    )


def _post_head(post: Post, ctx: Context, anchor: str) -> Markup:
    meta = [Markup('<span class="post-id">{}</span>').format(post.id)]
    cost = post_cost(post)
    if cost is not None:
        meta.append(Markup(_("est. {cost}")).format(cost=money(cost, 3)))
    own_zone = post.account.timezone
    if own_zone.key != ctx.plan.timezone.key:
        meta.append(Markup("{:%Y-%m-%d %H:%M} in {}").format(post.at.astimezone(own_zone), own_zone.key))
    return Markup(
        '<header class="post-head"><h4 id="{anchor}-title">{kind} <span class="account-name">{account}</span></h4>'
        '<p class="post-meta">{meta}</p>{approval}{state}</header>'
    ).format(
        approval=_approval(post, ctx),
        anchor=anchor,
        kind=_kind(post),
        account=post.account.name,
        meta=Markup(" · ").join(meta),
        state=_post_state(post, ctx),
    )


def _approval(post: Post, ctx: Context) -> Markup:
    """ "approved by NAME at TIME", or "awaiting approval" with the exact commands to copy (the approver's part)."""
    state = ctx.approvals.get(post.key)
    if state is None:
        return Markup("")
    return _approval_words(post, state, ctx) + approval_forms(post, state, ctx.entry_digests.get(post.id), ctx.web)


def _approval_words(post: Post, state: ApprovalState, ctx: Context) -> Markup:
    digest = Markup('<code class="digest" title="{}">{}</code>').format(state.digest, short(state.digest))
    if state.approval is not None:
        return Markup(_('<p class="approval approval-approved">Approved by {} at {} · digest {}</p>')).format(
            state.approval.by, time_element(state.approval.at, ctx, "%Y-%m-%d %H:%M"), digest
        )
    if not state.required:
        return Markup(_('<p class="approval approval-none">Digest {} (approval not required)</p>')).format(digest)
    commands = [
        Markup(_('this account: <code class="approve-command">{}</code>')).format(
            approve_command(post.id, state.digest, post.account.name)
        )
    ]
    entry = ctx.entry_digests.get(post.id)
    if entry is not None:
        commands.append(
            Markup(_('every account of {}: <code class="approve-command">{}</code>')).format(
                post.id, approve_command(post.id, entry)
            )
        )
    changed = ""
    if state.outdated is not None:
        changed = Markup(_(" (the text changed after {} approved {})")).format(
            state.outdated.by, short(state.outdated.digest)
        )
    return Markup(
        _(
            '<p class="approval approval-awaiting"><strong>Awaiting approval</strong> of digest {}{}. To approve what '
            "this page shows, run {}</p>"
        )
    ).format(digest, changed, Markup(_("; or ")).join(commands))


def _post_state(post: Post, ctx: Context) -> Markup:
    if ctx.outbox is None or not ctx.outbox.found:
        return Markup("")
    row = ctx.outbox.posts.get(post.key)
    if row is None:
        return Markup("")
    word = {
        PostState.PUBLISHING: f"{post_state(PostState.PUBLISHING)} {row.sent}/{row.total}",
        PostState.SENT: f"{post_state(PostState.SENT)} {row.sent}/{row.total}",
    }
    shown = word.get(row.state, post_state(row.state))
    parts = [Markup('<span class="state state-{}">{}</span>').format(row.state, shown)]
    if row.detail:
        parts.append(Markup('<span class="detail">{}</span>').format(row.detail))
    if row.action:
        parts.append(Markup(_('<span class="action">What to do: {}</span>')).format(row.action))
    return Markup('<p class="post-state">{}</p>').format(Markup(" ").join(parts))


def _fragment_state(fragment: Fragment, records: dict[int, FragmentRecord] | None, ctx: Context) -> Markup:
    if records is None:
        return Markup("")
    record = records.get(fragment.index)
    if record is None:
        return Markup('<span class="state state-{0}">{1}</span>').format(
            PostState.SCHEDULED, post_state(PostState.SCHEDULED)
        )
    label = escape(_(_FRAGMENT_STATE[record.state]))
    if record.state == FragmentState.SENT:
        when = Markup(" {}").format(time_element(record.sent_at, ctx, "%Y-%m-%d %H:%M")) if record.sent_at else ""
        link = web_link(record.url, "sent-link") if record.url else "(no link recorded)"
        label = Markup("{}{} · {}").format(label, when, link)
    elif record.last_error:
        label = Markup("{}: {}").format(label, record.last_error)
    note = Markup("")
    if record.text != fragment.text:
        note = Markup(_('<span class="state-note">the outbox holds another text (edited after it started)</span>'))
    return Markup('<span class="state state-{}">{}</span>{}').format(record.state, label, note)


_TWEET = N_(
    '<li class="fragment" data-index="{index}">{gap}<div class="tweet">'
    '<div class="avatar" aria-hidden="true">{avatar}</div><div class="tweet-body">'
    '<p class="who"><span class="name">{name}</span> <span class="handle">{handle}</span> · {when}</p>'
    '<p class="text" lang="{lang}">{text}</p>{media}'
    '<p class="meta"><span class="length{over}" title="weighted length / limit">{length}/{limit}</span>{state}</p>'
    "</div></div></li>"
)


def _thread(post: Post, ctx: Context) -> Markup:
    account = post.account
    name = account.display_name or account.handle or account.name
    handle = f"@{account.handle}" if account.handle else ""
    records = ctx.records(post)
    day = post.at.astimezone(ctx.plan.timezone).date()
    items = []
    previous: Fragment | None = None
    for fragment in post.fragments:
        gap = Markup("")
        if previous is not None and fragment.at != previous.at:
            after = until(previous.at, fragment.at).removeprefix("in ")
            gap = Markup(_('<p class="gap">{} · {} after the previous post</p>')).format(
                time_element(fragment.at, ctx), after
            )
        same_day = fragment.at.astimezone(ctx.plan.timezone).date() == day
        items.append(
            Markup(_(_TWEET)).format(
                index=fragment.index,
                gap=gap,
                avatar=initials(name),
                name=name,
                handle=handle,
                when=time_element(fragment.at, ctx, "%H:%M" if same_day else "%a %d %b %H:%M"),
                lang=ctx.lang(post),
                text=rich(fragment.text),
                media=ctx.thumbnails.block(post.media if fragment.index == 1 else ()),
                over=" over" if fragment.length > fragment.limit else "",
                length=number(fragment.length),
                limit=number(fragment.limit),
                state=_fragment_state(fragment, records, ctx),
            )
        )
        previous = fragment
    return Markup('<ol class="thread">{}</ol>').format(Markup("").join(items))


_FB_CARD = N_(
    '<div class="fb-card" data-index="{index}"><div class="fb-head">'
    '<div class="avatar" aria-hidden="true">{avatar}</div><div><p class="name">{page}</p>'
    '<p class="sub">{when} · Page {page_id}</p></div></div><div class="fb-text" lang="{lang}">{text}</div>{media}'
    '<p class="meta"><span class="char-count{over}">{length}/{limit} characters</span>{state}</p></div>'
)


def _facebook(post: Post, ctx: Context) -> Markup:
    account = post.account
    page = account.display_name or account.name
    records = ctx.records(post)
    cards = [
        Markup(_(_FB_CARD)).format(
            index=fragment.index,
            avatar=initials(page),
            page=page,
            when=time_element(fragment.at, ctx),
            page_id=account.page_id or "",
            lang=ctx.lang(post),
            text=facebook_html(fragment.text, fold_marker(), fold_offset(fragment.text)),
            media=ctx.thumbnails.block(post.media if fragment.index == 1 else ()),
            over=" over" if fragment.length > fragment.limit else "",
            length=number(fragment.length),
            limit=number(fragment.limit),
            state=_fragment_state(fragment, records, ctx),
        )
        for fragment in post.fragments
    ]
    return Markup('<div class="fb-posts">{}</div>').format(Markup("").join(cards))
