"""Pure planner: Schedule + message texts + now -> Plan (every post, for every account, with its fragments).

No files, clock or environment here: the caller passes everything in.
"""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Mapping
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

from bot.durations import format_duration
from bot.i18n import _
from bot.model import Account, Fragment, Message, Plan, Post, PostEntry, Schedule, Warning_
from bot.platforms import PLATFORMS
from bot.problems import Problem
from bot.split import Piece, TokenTooLong, split_message
from bot.xplans import X_PLANS

_SplitKey = tuple[Path, str, int, str | None]
_Lengths = dict[tuple[_SplitKey, str], tuple[int, ...]]  # (split, platform) -> each fragment's measured length
_LAST_WORDS = 6  # shown in a mid-phrase warning


def build(schedule: Schedule, messages: Mapping[Path, Message], now: datetime) -> tuple[Plan, list[Problem]]:
    """Plan every (post entry, account) pair. Problems are messages that cannot be split for an account."""
    problems: list[Problem] = []
    splits: dict[_SplitKey, tuple[Piece, ...] | None] = {}  # the same message for many accounts splits once
    lengths: _Lengths = {}  # and is measured once
    posts: list[Post] = []
    for entry in schedule.posts:
        message = messages.get(entry.message)
        if message is None:
            continue  # its loading problem is already reported
        for name in entry.to:
            account = schedule.accounts[name]
            found = _fragments_for(message, account, splits, problems)
            if found is not None:
                key, pieces = found
                measured = lengths.get((key, account.platform))
                if measured is None:
                    measure = PLATFORMS[account.platform].measure
                    measured = lengths[key, account.platform] = tuple(measure(piece.text) for piece in pieces)
                posts.append(_post(entry, account, message, pieces, measured, now))
    posts.sort(key=lambda p: (p.at, p.id, p.account.name))
    plan = Plan(
        schedule.timezone, now, tuple(_with_limit_warnings(posts)), approval_required=schedule.approval_required
    )
    return plan, problems


def _fragments_for(
    message: Message,
    account: Account,
    cache: dict[_SplitKey, tuple[Piece, ...] | None],
    problems: list[Problem],
) -> tuple[_SplitKey, tuple[Piece, ...]] | None:
    whole_post = PLATFORMS[account.platform].single_mode and account.mode == "single"
    numbering = None if whole_post else account.numbering
    key = (message.path, account.platform if not whole_post else "facebook-single", account.limit, numbering)
    if key in cache:
        cached = cache[key]
        return None if cached is None else (key, cached)
    measure = PLATFORMS[account.platform].measure
    texts: tuple[Piece, ...] | None = None
    body = message.text.strip()
    start = len(message.text) - len(message.text.lstrip())
    if whole_post:
        length = measure(body)
        if length > account.limit:
            problems.append(
                Problem(
                    message.position_of(start),
                    _(
                        "the message is {length:,} characters; one Facebook post holds at most {limit:,} (account "
                        "'{name}')"
                    ).format(length=length, limit=account.limit, name=account.name),
                    _("shorten the message, or set mode: series on the account to split it into several posts"),
                )
            )
        else:
            texts = (Piece(body, body, start, start + len(body)),)
    else:
        try:
            texts = split_message(message.text, account.limit, measure, numbering)
        except TokenTooLong as error:
            shown = error.token if len(error.token) <= 40 else error.token[:37] + "..."
            problems.append(
                Problem(
                    message.position_of(error.offset),
                    _("'{shown}' cannot fit in one post of account '{name}' (limit {limit}{value})").format(
                        shown=shown,
                        name=account.name,
                        limit=account.limit,
                        value=", with numbering" if numbering else "",
                    ),
                    _("shorten or break up this word or link, or raise the account's limit"),
                )
            )
    cache[key] = texts
    return None if texts is None else (key, texts)


def local_time(naive: datetime, account: Account) -> tuple[datetime, list[Warning_]]:
    """Read a naive schedule time in the account's zone, warning about DST gaps and repeated hours."""
    zone = account.timezone
    # The UTC round trip turns a time that does not exist (a DST gap) into the real instant after it.
    at = naive.replace(tzinfo=zone).astimezone(UTC).astimezone(zone)
    warnings: list[Warning_] = []
    if at.replace(tzinfo=None) != naive:
        warnings.append(
            Warning_(
                "nonexistent-time",
                _(
                    "{naive:%Y-%m-%d %H:%M} does not exist in {key} (clocks move forward); it is taken as {at:%H:%M %Z}"
                ).format(naive=naive, key=zone.key, at=at),
            )
        )
    elif at.utcoffset() != naive.replace(tzinfo=zone, fold=1).utcoffset():
        warnings.append(
            Warning_(
                "ambiguous-time",
                _("{naive:%Y-%m-%d %H:%M} happens twice in {key} (clocks move back); the first is used").format(
                    naive=naive, key=zone.key
                ),
            )
        )
    return at, warnings


def _post(
    entry: PostEntry,
    account: Account,
    message: Message,
    pieces: tuple[Piece, ...],
    lengths: tuple[int, ...],
    now: datetime,
) -> Post:
    warnings: list[Warning_] = []
    if entry.at.tzinfo is None:
        at, warnings = local_time(entry.at, account)
    else:
        at = entry.at
    step = entry.every or timedelta(0)
    fragments = tuple(
        Fragment(
            index=i,
            total=len(pieces),
            text=piece.text,
            length=length,
            limit=account.limit,
            at=at + step * (i - 1),
        )
        for i, (piece, length) in enumerate(zip(pieces, lengths, strict=True), start=1)
    )
    warnings += [_mid_phrase(i, len(pieces), piece) for i, piece in enumerate(pieces, start=1) if piece.mid_phrase]
    if at < now:
        warnings.append(
            Warning_(
                "past",
                _("the time {at:%Y-%m-%d %H:%M %z} has passed ({now} ago)").format(
                    at=at, now=format_duration(now - at, "coarse")
                ),
            )
        )
    return Post(entry.id, account, at, message.path, fragments, tuple(warnings), entry.position, entry.media)


def _mid_phrase(index: int, total: int, piece: Piece) -> Warning_:
    words = piece.body.split()
    shown = " ".join(words[-_LAST_WORDS:])
    return Warning_(
        "mid-phrase",
        _(
            "fragment {index}/{total} ends mid-phrase, at a plain space: '{value}{shown}'; rephrase so "
            "that the sentence has a comma, colon or full stop within this post"
        ).format(index=index, total=total, value="..." if len(words) > _LAST_WORDS else "", shown=shown),
    )


def _with_limit_warnings(posts: list[Post]) -> list[Post]:
    """Warn on the post whose fragments push an X account over its plan's per-user posting limits."""
    by_account: dict[str, list[datetime]] = {}
    for post in posts:
        if PLATFORMS[post.account.platform].posting_limits:
            by_account.setdefault(post.account.name, []).extend(f.at for f in post.fragments)
    for times in by_account.values():
        times.sort()  # once per account, not once per post
    result = []
    for post in posts:
        times = by_account.get(post.account.name, [])
        extra = []
        if times:
            for limit in X_PLANS[post.account.plan].user_limits:
                if len(times) <= limit.posts:
                    continue  # all the account's posts fit in the limit: no window can hold more
                worst = max(
                    bisect_right(times, f.at + limit.window - timedelta(microseconds=1))
                    - bisect_right(times, f.at - timedelta(microseconds=1))
                    for f in post.fragments
                )
                if worst > limit.posts:
                    extra.append(
                        Warning_(
                            "plan-limit",
                            _(
                                "{worst} posts within {window} for {name}: the {plan} plan allows {limit}; X will "
                                "refuse the rest until the window resets (space them with 'every' or change 'plan')"
                            ).format(
                                worst=worst,
                                window=_window(limit.window),
                                name=post.account.name,
                                plan=post.account.plan,
                                limit=limit.describe(),
                            ),
                        )
                    )
        result.append(replace(post, warnings=post.warnings + tuple(extra)) if extra else post)
    return result


def _window(window: timedelta) -> str:
    return _("15 minutes") if window == timedelta(minutes=15) else _("24 hours")
