"""Holds that end by themselves: X's 24-hour caps (issue 22).

A 429 whose `x-app-limit-24hour-remaining` is 0 means the app's 10,000 posts per 24 hours are used up: every
account whose `*_API_KEY` is that app's key is held until `x-app-limit-24hour-reset`, not only the one that
met the 429. With `x-user-limit-24hour-remaining` 0 only that account is held, until its own reset.

These are account holds in the outbox (so `status` shows them, on every store), told apart from the holds that
need a person (credentials) by the time written at the end of their reason: ` [until <ISO time>]`. A post of
a held account is run again at that time (bot/services/decide.py); the first run after it lifts the hold.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterable
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Literal

from bot.credentials import Environment
from bot.i18n import _
from bot.model import Account
from bot.platforms import PLATFORMS
from bot.xplans import APP_LIMIT

if TYPE_CHECKING:  # validate imports this module: not the store
    from bot.store import Outbox

logger = logging.getLogger("bot.daemon")

_UNTIL = re.compile(r" \[until (\S+)\]$")


def held_until(reason: str | None) -> datetime | None:
    """The time a hold ends by itself, or None for a hold that waits for a person (or no hold)."""
    found = _UNTIL.search(reason or "")
    if found is None:
        return None
    try:
        return datetime.fromisoformat(found.group(1))
    except ValueError:
        return None


def api_key(account: Account, env: Environment) -> str | None:
    """The X app an account posts through: its `<PREFIX>_API_KEY` value (None: a platform without app keys,
    or not set)."""
    if "API_KEY" not in PLATFORMS[account.platform].credential_suffixes:
        return None
    return env.get(f"{account.credentials}_API_KEY") or None


def key_tail(key: str) -> str:
    """How a key is named to people: its last 4 characters only."""
    return "…" + key[-4:]


def sharing_app(account: Account, accounts: Iterable[Account], env: Environment) -> list[str]:
    """The names of the accounts (this one included) that post through the same X app as `account`."""
    key = api_key(account, env)
    if key is None:
        return [account.name]
    return sorted({other.name for other in accounts if api_key(other, env) == key} | {account.name})


def live_hold(outbox: Outbox, account: str, now: datetime) -> str | None:
    """The account's hold as it stands at `now`: a timed hold that has ended is lifted (and None returned)."""
    reason = outbox.hold_reason(account)
    until = held_until(reason)
    if until is not None and until <= now:
        outbox.release(account)
        logger.info(
            _("account {account}: hold ended at {until}, released").format(account=account, until=until.isoformat())
        )
        return None
    return reason


def hold_for_cap(
    outbox: Outbox,
    scope: Literal["app", "user"],
    account: Account,
    peers: list[str],
    key: str | None,
    until: datetime,
    now: datetime,
) -> None:
    """Hold the account (scope "user") or every account of its app (scope "app", `peers`) until `until`.
    A hold that needs a person (credentials) is left as it is."""
    stamp = until.astimezone(UTC).isoformat()
    if scope == "app":
        tail = key_tail(key) if key else "?"
        reason = _(
            "X app limit reached: the {limit} posts per 24 hours of the X app with API key {tail} are used up "
            "(x-app-limit-24hour-remaining 0); every account of that app waits for the reset"
        ).format(limit=f"{APP_LIMIT.posts:,}", tail=tail)
        names = peers
    else:
        reason = _("X daily limit of this account reached (x-user-limit-24hour-remaining 0); it waits for the reset")
        names = [account.name]
    for name in names:
        if (current := outbox.hold_reason(name)) is not None and held_until(current) is None:
            continue  # held for its credentials: that needs a person, not a reset
        outbox.hold(name, f"{reason} [until {stamp}]", now)
    logger.warning(
        _("{accounts} held until {until}: {reason}").format(accounts=", ".join(names), until=stamp, reason=reason)
    )
