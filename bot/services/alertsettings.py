"""ALERT_URLS and ALERT_LEVEL read from the environment or `.env`, checked as Problems with their position.

Light: no apprise (validate uses it). `run` refuses errors here before it starts; validate also warns when
ALERT_URLS is unset while posts are ahead (nobody would be told if one fails).
"""

from __future__ import annotations

from datetime import datetime

from bot.alerts.model import parse_alert_level
from bot.alerts.urls import check_alert_urls, locate_in_env
from bot.credentials import Environment
from bot.i18n import _, ngettext
from bot.model import Plan, Position
from bot.problems import Problem

ALERT_URLS = "ALERT_URLS"
ALERT_LEVEL = "ALERT_LEVEL"


def _env_text(env: Environment) -> str | None:
    if env.env_file is None or env.position_of(ALERT_URLS) is None:
        return None
    try:
        return env.env_file.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError):
        return None


def _where(env: Environment, name: str) -> Position:
    return env.position_of(name) or Position(f"{name} (environment)")


def alert_problems(env: Environment, plan: Plan | None = None, now: datetime | None = None) -> list[Problem]:
    """Unparseable URLs and a wrong ALERT_LEVEL (errors), unknown schemes (warnings), and, given a plan,
    the warning that nobody is told when posts are ahead and ALERT_URLS is unset."""
    problems: list[Problem] = []
    value = env.get(ALERT_URLS)
    text = _env_text(env)
    for found in check_alert_urls(value):
        spot = locate_in_env(text, ALERT_URLS, found.url.offset) if text is not None else None
        where = Position(str(env.env_file), *spot) if spot else _where(env, ALERT_URLS)
        hint = (
            "" if found.severity == "warning" else _("see the README, section 'Being told when something goes wrong'")
        )
        problems.append(Problem(where, f"{ALERT_URLS} {found.url.label} {found.message}", hint, found.severity))
    try:
        parse_alert_level(env.get(ALERT_LEVEL))
    except ValueError as error:
        problems.append(Problem(_where(env, ALERT_LEVEL), str(error)))
    if plan is not None and now is not None and not value:
        ahead = sum(1 for post in plan.posts if post.at > now)
        if ahead:
            problems.append(
                Problem(
                    Position(str(env.env_file) if env.env_file is not None else ".env"),
                    ngettext(
                        "{ALERT_URLS} is not set: nobody is told if the {ahead} post ahead fails",
                        "{ALERT_URLS} is not set: nobody is told if one of the {ahead} posts ahead fails",
                        ahead,
                    ).format(ALERT_URLS=ALERT_URLS, ahead=ahead),
                    _(
                        "set ALERT_URLS to an e-mail, Slack, Teams or webhook URL (README, section 'Being told when "
                        "something goes wrong'), then `python main.py alerts test`"
                    ),
                    "warning",
                )
            )
    return problems
