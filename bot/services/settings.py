"""Every setting `run` reads from the environment or `.env`, with the one rule that refuses its value.

`validate` and `run` (and `check`, for the connection settings) call `setting_problems`: the same rule, the
same words, each problem at the `.env` line that sets the variable (or naming the variable when it comes
from the real environment). Nothing here connects anywhere or imports a driver: `validate` stays light.

A new setting is one row of SETTINGS: its name and a function from its text to None (fine) or a Refusal
(what is wrong, what to write). The credentials are checked per account by bot/services/environment.py;
ALERT_URLS by bot/services/alertsettings.py, which points into the line at the URL that is wrong.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from urllib.parse import urlsplit

from bot import credentials
from bot.alerts.model import parse_alert_level
from bot.credentials import Environment, Refusal
from bot.heartbeat import check_heartbeat_url, parse_heartbeat_seconds
from bot.i18n import _
from bot.model import Position
from bot.problems import Problem
from bot.services.alertsettings import ALERT_LEVEL, ALERT_URLS, alert_problems

LEASE_SECONDS = "LEASE_SECONDS"
DATABASE_URL = "DATABASE_URL"
HEARTBEAT_URL = "HEARTBEAT_URL"
HEARTBEAT_SECONDS = "HEARTBEAT_SECONDS"
LEASE_RANGE = (0.5, 3600.0)

Check = Callable[[str], Refusal | None]


@dataclass(frozen=True)
class Setting:
    name: str
    check: Check


def check_lease_seconds(text: str) -> Refusal | None:
    """LEASE_SECONDS (or run --lease): seconds between 0.5 and 3600."""
    try:
        seconds = float(text)
    except ValueError:
        seconds = math.nan
    if LEASE_RANGE[0] <= seconds <= LEASE_RANGE[1]:  # also refuses nan
        return None
    return (
        _("{name} / --lease must be a number of seconds between 0.5 and 3600").format(name=LEASE_SECONDS),
        _("write e.g. {name}=20, or remove it (the default is 20)").format(name=LEASE_SECONDS),
    )


# libpq's two forms: a URI, or space-separated key=value pairs (values may be quoted with '...').
_CONNINFO = re.compile(r"\s*([A-Za-z_]+\s*=\s*('([^'\\]|\\.)*'|[^\s']+)\s*)+")


def check_database_url(url: str) -> Refusal | None:
    """DATABASE_URL (or run --database-url): a PostgreSQL connection URL, judged without connecting. The value
    is never shown: it holds the password. Empty is unset (SQLite), as `run` reads it."""
    if not url:
        return None
    scheme = urlsplit(url.strip()).scheme if "://" in url else ""
    if scheme in ("postgresql", "postgres") or (not scheme and _CONNINFO.fullmatch(url)):
        return None
    return (
        _("{name} is not a PostgreSQL connection URL").format(name=DATABASE_URL),
        _("write it as {name}=postgresql://user:password@host:port/dbname, or remove it to use SQLite").format(
            name=DATABASE_URL
        ),
    )


def _raising(parse: Callable[[str], object]) -> Check:
    """A parser that raises ValueError (with the whole sentence) as a Check."""

    def check(text: str) -> Refusal | None:
        try:
            parse(text)
        except ValueError as error:
            return str(error), ""
        return None

    return check


def _heartbeat_url(text: str) -> Refusal | None:
    problem = check_heartbeat_url(text) if text else None  # empty: no heartbeat, as `run` reads it
    return (problem, "") if problem else None


SETTINGS: tuple[Setting, ...] = (
    *(Setting(name, check) for name, check in credentials.CONNECTION_CHECKS),
    Setting(DATABASE_URL, check_database_url),
    Setting(LEASE_SECONDS, check_lease_seconds),
    Setting(HEARTBEAT_URL, _heartbeat_url),
    Setting(HEARTBEAT_SECONDS, _raising(parse_heartbeat_seconds)),
    Setting(ALERT_LEVEL, _raising(parse_alert_level)),
)
NAMES = (*(s.name for s in SETTINGS), ALERT_URLS)  # every setting checked here
CONNECTION_NAMES = tuple(name for name, _check in credentials.CONNECTION_CHECKS)


def where(env: Environment, name: str) -> Position:
    """The `.env` line that sets `name`, or the variable's name when it comes from the environment."""
    return env.position_of(name) or Position(_("{name} (environment)").format(name=name))


def setting_problems(
    env: Environment,
    *,
    options: dict[str, str | None] | None = None,
    only: Iterable[str] | None = None,
) -> list[Problem]:
    """Every setting whose value `run` would refuse (errors only), in SETTINGS order.

    `options` are command-line values that win over a variable (run's --lease, --database-url): such a value
    is checked instead, and reported at the option. `only` limits the check to these names."""
    chosen = set(NAMES if only is None else only)
    problems: list[Problem] = []
    for setting in SETTINGS:
        if setting.name not in chosen:
            continue
        option = (options or {}).get(setting.name)
        value = option if option is not None else env.get(setting.name)
        refusal = setting.check(value) if value is not None else None
        if refusal is None:
            continue
        at = Position(_OPTIONS.get(setting.name, setting.name)) if option is not None else where(env, setting.name)
        problems.append(Problem(at, *refusal))
    if ALERT_URLS in chosen:
        problems += [p for p in alert_problems(env) if p.severity == "error" and p.message.startswith(ALERT_URLS)]
    return problems


_OPTIONS = {LEASE_SECONDS: "--lease", DATABASE_URL: "--database-url"}
