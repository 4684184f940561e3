"""Plan -> what a person (text) or a script (JSON) reads before approving the campaign. Changes nothing."""

from __future__ import annotations

import functools
import math
import re
import textwrap
from collections.abc import Callable, Iterable, Mapping
from datetime import UTC
from typing import Any

from bot.approval import ApprovalState, approve_command, entry_digest
from bot.durations import until
from bot.i18n import _, language, ngettext
from bot.localformat import day as local_day
from bot.localformat import moment, money, number, zone_name
from bot.measure import url_spans
from bot.model import Plan, Post
from bot.platforms import PLATFORMS, display_name
from bot.problems import shown
from bot.services.approvalview import approval_states, approval_words, command_for
from bot.xplans import post_price

Approvals = Mapping[tuple[str, str], ApprovalState]

JSON_FORMAT_VERSION = 1


def post_cost(post: Post) -> float | None:
    """Estimated price of publishing the post, in USD; None when the platform does not bill per post."""
    if not PLATFORMS[post.account.platform].billed_per_post:
        return None
    prices = [post_price(post.account.plan, _has_link(f.text)) for f in post.fragments]
    if any(price is None for price in prices):
        return None
    return round(sum(price for price in prices if price is not None), 4)


@functools.lru_cache(maxsize=4096)
def _has_link(text: str) -> bool:  # the same fragments go to every account of an entry: look once
    return bool(url_spans(text))


def campaign_cost(posts: Iterable[Post]) -> float:
    return round(sum(cost for post in posts if (cost := post_cost(post)) is not None), 4)


def platform_name(platform: str) -> str:
    return display_name(platform)


def account_line(post: Post) -> str:
    account = post.account
    where = f"@{account.handle}" if account.handle else _("page {page_id}").format(page_id=account.page_id)
    name = f"{account.display_name}, " if account.display_name else ""
    return shown(f"{account.name} ({platform_name(account.platform)}: {name}{where})")


def entry_approvals(plan: Plan, approvals: Approvals) -> list[tuple[str, str, list[str]]]:
    """Per schedule entry: its entry digest (every account at once) and the accounts it covers."""
    by_entry: dict[str, dict[str, str]] = {}
    for post in plan.posts:
        by_entry.setdefault(post.id, {})[post.account.name] = approvals[post.key].digest
    return [(post_id, entry_digest(digests), sorted(digests)) for post_id, digests in by_entry.items()]


def _approval_lines(plan: Plan, approvals: Approvals) -> list[str]:
    if not plan.approval_required:
        return []
    done = sum(1 for state in approvals.values() if state.approved)
    lines = [
        _("Approval required: {done} of {total} posts approved. Nothing unapproved is published.").format(
            done=number(done), total=number(len(approvals))
        )
    ]
    for post_id, digest, names in entry_approvals(plan, approvals):
        if not all(approvals[(post_id, name)].approved for name in names):
            line = _("to approve {post_id} for {accounts}: {command}").format(
                post_id=post_id, accounts=", ".join(names), command=approve_command(post_id, digest)
            )
            lines.append(f"  {line}")
    return lines


def render_text(plan: Plan, schedule_name: str, approvals: Approvals | None = None) -> str:
    approvals = approval_states(plan, None) if approvals is None else approvals
    zone = plan.timezone
    fragments = sum(len(p.fragments) for p in plan.posts)
    accounts = {p.account.name for p in plan.posts}
    now = f"{plan.now.astimezone(zone):%Y-%m-%d %H:%M %z}" if language() == "en" else moment(plan.now, zone)
    lines = [
        _("Campaign {schedule}: {posts} on {accounts}, {fragments}. Times in {zone}.").format(
            schedule=schedule_name,
            posts=ngettext("{n} post", "{n} posts", len(plan.posts)).format(n=number(len(plan.posts))),
            accounts=ngettext("{n} account", "{n} accounts", len(accounts)).format(n=number(len(accounts))),
            fragments=ngettext("{n} fragment", "{n} fragments", fragments).format(n=number(fragments)),
            zone=zone.key,
        ),
        _("Now: {now}. Nothing is sent by this preview.").format(now=now),
    ]
    cost = campaign_cost(plan.posts)
    if any(PLATFORMS[p.account.platform].billed_per_post for p in plan.posts):
        lines.append(
            _(
                "Estimated X cost of the campaign: {cost} (pay-per-use prices; plans billed monthly are not counted)."
            ).format(cost=money(cost))
        )
    lines += _approval_lines(plan, approvals)
    warnings = sum(len(p.warnings) for p in plan.posts)
    if warnings:
        lines.append(_("Warnings: {n} (marked '!' below).").format(n=number(warnings)))
    day = None
    for post in plan.posts:
        local = post.at.astimezone(zone)
        if local.date() != day:
            day = local.date()
            lines += ["", f"== {local_day(local)} ({zone_name(zone)}) =="]
        lines += ["", *_render_post(post, plan, approvals[post.key])]
    return "\n".join(lines) + "\n"


def _render_post(post: Post, plan: Plan, approval: ApprovalState) -> list[str]:
    zone = plan.timezone
    local = post.at.astimezone(zone)
    own = post.at.astimezone(post.account.timezone)
    when = f"{local:%H:%M %z}"
    if post.account.timezone.key != zone.key:
        when += f" ({own:%Y-%m-%d %H:%M} {post.account.timezone.key})"
    when += f" = {post.at.astimezone(UTC):%Y-%m-%d %H:%M} UTC, {until(plan.now, post.at)}"
    total = len(post.fragments)
    kind = (
        _("thread of {n}").format(n=number(total))
        if PLATFORMS[post.account.platform].threads and total > 1
        else ngettext("{n} post", "{n} posts", total).format(n=number(total))
    )
    cost = post_cost(post)
    price = _(", est. {cost}").format(cost=money(cost, 3)) if cost is not None else ""
    lines = [f"{when}", f"  {post.id} -> {account_line(post)}: {kind}{price}"]
    lines.append(f"  {approval_words(post.id, post.account.name, approval)}")
    if approval.required and not approval.approved:  # the whole digest, where it is copied from
        command = command_for(post.id, post.account.name, approval)
        lines.append("  " + _("to approve this account alone: {command}").format(command=command))
    for warning in post.warnings:
        lines.append(f"  ! {warning.message}")
    spread = len({f.at for f in post.fragments}) > 1
    for fragment in post.fragments:
        header = f"  [{fragment.index}/{fragment.total}] {number(fragment.length)}/{number(fragment.limit)}"
        if spread:
            header += _(" at {time}").format(time=f"{fragment.at.astimezone(zone):%H:%M}")
        lines.append(header)
        for paragraph in shown(fragment.text).split("\n"):  # a control or bidi character escaped, never raw
            wrapped = textwrap.wrap(paragraph, width=96)
            lines += [f"      {part}" for part in wrapped] if wrapped else [""]
        if fragment.index == 1:
            lines += _render_media(post)
    return lines


def _render_media(post: Post) -> list[str]:
    """The images that go with the first fragment: what they are, and the alt text read out for them."""
    lines = []
    for media in post.media:
        pixels = f"{media.width}×{media.height} px"
        image = _("[image] {file}: {format}, {pixels}, {size}").format(
            file=shown(media.file), format=media.format, pixels=pixels, size=_size(media.size)
        )
        lines.append(f"      {image}")
        wrapped = textwrap.wrap(f"alt: {shown(media.alt)}", width=90)
        lines += [f"        {part}" for part in wrapped]
    return lines


def _size(size: int) -> str:
    return f"{size / 1024:,.1f} KB" if size < 1024 * 1024 else f"{size / (1024 * 1024):.1f} MB"


def to_json(plan: Plan, schedule_name: str, approvals: Approvals | None = None) -> dict[str, Any]:
    """The documented JSON shape (README, 'preview --format json')."""
    approvals = approval_states(plan, None) if approvals is None else approvals
    entries = [
        {"id": post_id, "accounts": names, "digest": digest, "command": approve_command(post_id, digest)}
        for post_id, digest, names in entry_approvals(plan, approvals)
    ]
    return {
        "format": JSON_FORMAT_VERSION,
        "schedule": schedule_name,
        "timezone": plan.timezone.key,
        "now": plan.now.isoformat(),
        "approval": {"required": plan.approval_required, "entries": entries},
        "posts": [_post_json(post, approvals[post.key]) for post in plan.posts],
        "summary": {
            "posts": len(plan.posts),
            "fragments": sum(len(p.fragments) for p in plan.posts),
            "warnings": sum(len(p.warnings) for p in plan.posts),
            "cost_usd": campaign_cost(plan.posts),
        },
    }


def _post_json(post: Post, approval: ApprovalState) -> dict[str, Any]:
    account = post.account
    return {
        "id": post.id,
        "account": account.name,
        "platform": account.platform,
        "handle": account.handle,
        "page_id": account.page_id,
        "at": post.at.isoformat(),
        "at_utc": post.at.astimezone(UTC).isoformat(),
        "cost_usd": post_cost(post),
        "fragments": [
            {
                "index": f.index,
                "total": f.total,
                "text": f.text,
                "length": f.length,
                "limit": f.limit,
                "at": f.at.isoformat(),
            }
            for f in post.fragments
        ],
        "warnings": [{"kind": w.kind, "message": w.message} for w in post.warnings],
        "media": [
            {
                "file": m.file,
                "format": m.format,
                "width": m.width,
                "height": m.height,
                "bytes": m.size,
                "alt": m.alt,
                "sha256": m.sha256,
            }
            for m in post.media
        ],
        "approval": approval.as_json(),
    }


def render_json(plan: Plan, schedule_name: str, approvals: Approvals | None = None) -> str:
    text = indented_json(to_json(plan, schedule_name, approvals)) + "\n"
    # C0 controls are escaped by json already; C1 and bidi characters would be written raw: escape them too (the
    # values a script reads are the same, a terminal showing the JSON shows them as escapes)
    return _JSON_HIDDEN.sub(lambda m: f"\\u{ord(m.group()):04x}", text)


_JSON_HIDDEN = re.compile("[\x7f-\x9f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]")


def indented_json(value: object) -> str:
    """`json.dumps(value, ensure_ascii=False, indent=2)`, the same text in half the time: with `indent`, the
    standard library encodes in Python through nested generators (0.4 s for 5,000 posts); this appends the
    pieces to one list, each string still escaped by json's C function."""
    import json  # only this format needs it

    out: list[str] = []
    done: list[str] = []  # `out` joined every so many pieces: millions of small strings weigh more than the text
    write = out.append
    string: Callable[[str], str] = json.encoder.encode_basestring

    def encode(item: object, indent: str) -> None:
        if isinstance(item, str):
            write(string(item))
        elif item is None or isinstance(item, bool):
            write("null" if item is None else "true" if item else "false")
        elif isinstance(item, int):
            write(int.__repr__(item))
        elif isinstance(item, float) and math.isfinite(item):
            write(float.__repr__(item))
        elif isinstance(item, dict) and item:
            inner, opening = indent + "  ", "{"
            for key, inside in item.items():
                write(opening)
                write(inner)
                write(string(key))
                write(": ")
                encode(inside, inner)
                opening = ","
            write(indent)
            write("}")
        elif isinstance(item, list) and item:
            inner, opening = indent + "  ", "["
            for inside in item:
                write(opening)
                write(inner)
                encode(inside, inner)
                opening = ","
                if len(out) > 100_000:
                    done.append("".join(out))
                    out.clear()
            write(indent)
            write("]")
        else:  # empty lists and mappings, NaN: as json writes them
            write(json.dumps(item))

    encode(value, "\n")
    return "".join([*done, *out])
