"""`validate`'s check of X's per-app cap: accounts that share one API key share the app's 10,000 posts a day.

Only the credentials say which accounts share an app (the same `*_API_KEY` value), so preview cannot check
this; validate, which reads them, warns `app-limit` when the posts (every fragment of a thread is one post)
of the accounts sharing a key exceed the cap in any 24-hour window. The key is named by its last 4
characters only.
"""

from __future__ import annotations

from bisect import bisect_left
from collections import defaultdict
from datetime import datetime

from bot import config
from bot.credentials import Environment
from bot.i18n import _
from bot.model import Account, Plan, Position, Schedule
from bot.problems import Problem
from bot.services.capholds import api_key, key_tail
from bot.xplans import APP_LIMIT


def busiest_window(times: list[datetime]) -> tuple[int, datetime | None]:
    """The most posts in any window of APP_LIMIT.window (start included, end excluded) and where it starts."""
    ordered = sorted(times)
    best, start = 0, None
    for first, moment in enumerate(ordered):
        count = bisect_left(ordered, moment + APP_LIMIT.window) - first
        if count > best:
            best, start = count, moment
    return best, start


def app_limit_problems(schedule: Schedule, plan: Plan, env: Environment) -> list[Problem]:
    """One warning per X API key whose accounts' posts exceed the app's cap in some 24 hours."""
    times: dict[str, list[datetime]] = defaultdict(list)
    accounts: dict[str, set[str]] = defaultdict(set)
    for post in plan.posts:
        key = api_key(post.account, env)
        if key is not None:
            times[key].extend(fragment.at for fragment in post.fragments)
            accounts[key].add(post.account.name)
    problems = []
    for key, found in times.items():
        if len(found) <= APP_LIMIT.posts:
            continue
        worst, start = busiest_window(found)
        if worst <= APP_LIMIT.posts or start is None:
            continue
        names = sorted(accounts[key])
        problems.append(
            Problem(
                _position(schedule, names[0]),
                _(
                    "app-limit: {n} posts within 24 hours from {start} for the accounts sharing the X API key "
                    "ending in {tail} ({accounts}); X allows one app {limit} posts per 24 hours and refuses the "
                    "rest until the window resets"
                ).format(
                    n=f"{worst:,}",
                    start=start.astimezone(schedule.timezone).isoformat(timespec="minutes"),
                    tail=key_tail(key),
                    accounts=", ".join(names),
                    limit=f"{APP_LIMIT.posts:,}",
                ),
                _(
                    "give some of these accounts an X app of their own (another API key), "
                    "or spread the posts over more days"
                ),
                severity="warning",
            )
        )
    return problems


def _position(schedule: Schedule, name: str) -> Position:
    account: Account | None = schedule.accounts.get(name)
    if account is not None and account.position.path:
        return account.position
    return Position(config.display_path(schedule.path))
