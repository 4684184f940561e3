"""ALERT_URLS: splitting, a light syntax check (no apprise import), masking, and positions in `.env`.

An Apprise URL carries its secrets in the user, password, host or path (a Telegram bot token is the "host" of
`tgram://TOKEN/CHAT`), so nothing here ever shows more than the scheme and a host that is plainly a host name.
"""

from __future__ import annotations

import itertools
import re
from dataclasses import dataclass
from typing import Literal
from urllib.parse import urlsplit

from bot.i18n import _

# Separators are spaces and commas, but a comma may also sit inside one URL (mailto://...?to=a@x,b@y): split
# only where the next part starts a new scheme://.
_NEXT = re.compile(r",(?=[A-Za-z][A-Za-z0-9+.-]*://)")
_SCHEME = re.compile(r"[A-Za-z][A-Za-z0-9+.-]*")

# Common Apprise schemes (a subset: Apprise knows ~100). An unknown one is a warning, not an error: Apprise
# may know it, and `alerts test` tells for sure.
KNOWN_SCHEMES = frozenset(
    {
        "json",
        "jsons",
        "xml",
        "xmls",
        "form",
        "forms",
        "mailto",
        "mailtos",
        "slack",
        "workflow",
        "workflows",
        "tgram",
        "ntfy",
        "ntfys",
        "discord",
        "gotify",
        "gotifys",
        "matrix",
        "matrixs",
        "mmost",
        "mmosts",
        "rocket",
        "rockets",
        "pover",
        "signal",
        "signals",
        "apprise",
        "apprises",
        "twilio",
        "sns",
        "ses",
        "zulip",
        "gchat",
        "ifttt",
        "join",
        "kumulos",
        "line",
        "mastodon",
        "toot",
        "toots",
        "nctalk",
        "nctalks",
        "ncloud",
        "nclouds",
        "opsgenie",
        "pagerduty",
        "pbul",
        "pjet",
        "pjets",
        "pushed",
        "pushme",
        "rsyslog",
        "syslog",
        "simplepush",
        "smtp2go",
        "sparkpost",
        "spush",
        "whatsapp",
        "wxteams",
        "bark",
        "barks",
        "dingtalk",
        "feishu",
        "lark",
        "wecombot",
        "flock",
        "guilded",
        "hassio",
        "hassios",
    }
)
_WEB = frozenset({"http", "https"})

Severity = Literal["error", "warning"]


@dataclass(frozen=True)
class AlertURL:
    """One URL of ALERT_URLS: its text and where it starts in the variable's value (0-based)."""

    index: int  # 1-based, in the order written
    text: str
    offset: int

    @property
    def label(self) -> str:
        """Safe to print and log: `#2 json://127.0.0.1:8080`."""
        return f"#{self.index} {describe_url(self.text)}"


@dataclass(frozen=True)
class UrlProblem:
    url: AlertURL
    severity: Severity
    message: str  # never holds the URL's secrets


def split_alert_urls(value: str | None) -> list[AlertURL]:
    """The URLs of ALERT_URLS, in order; [] when unset or blank."""
    urls: list[AlertURL] = []
    for word in re.finditer(r"\S+", value or ""):
        cuts = [0, *(m.start() + 1 for m in _NEXT.finditer(word.group())), len(word.group())]
        for begin, end in itertools.pairwise(cuts):
            piece = word.group()[begin:end]
            text = piece.strip(",")
            if text:
                offset = word.start() + begin + (len(piece) - len(piece.lstrip(",")))
                urls.append(AlertURL(len(urls) + 1, text, offset))
    return urls


def describe_url(url: str) -> str:
    """`scheme://host` when the host is plainly a host name or address, else `scheme://…`. Never a secret."""
    if "://" not in url:
        return _("(not a URL)")
    scheme = url.split("://", 1)[0].lower()
    if not _SCHEME.fullmatch(scheme):
        return _("(not a URL)")
    try:
        parts = urlsplit(url)
        host = parts.hostname or ""
        port = parts.port
    except ValueError:  # a port that is not a number: the "host" is probably a token
        return f"{scheme}://…"
    if host and ("." in host or host == "localhost") and re.fullmatch(r"[A-Za-z0-9.:\-\[\]]+", host):
        return f"{scheme}://{host}{f':{port}' if port else ''}"
    return f"{scheme}://…"


def check_alert_urls(value: str | None) -> list[UrlProblem]:
    """Problems a person can fix without asking Apprise: no scheme://, a web URL, nothing after ://."""
    problems: list[UrlProblem] = []
    for url in split_alert_urls(value):
        if "://" not in url.text:
            problems.append(
                UrlProblem(url, "error", _("is not an Apprise URL: write it as scheme://..., e.g. json://host/path"))
            )
            continue
        scheme, rest = url.text.split("://", 1)
        scheme = scheme.lower()
        if not _SCHEME.fullmatch(scheme):
            problems.append(UrlProblem(url, "error", _("has no valid scheme before '://'")))
        elif scheme in _WEB:
            problems.append(
                UrlProblem(
                    url,
                    "error",
                    _(
                        "{scheme}:// is a web address, not an Apprise URL: for a webhook write json://{value} with "
                        "the same host and path"
                    ).format(scheme=scheme, value="" if scheme == "http" else " (jsons:// for https)"),
                )
            )
        elif not rest.strip("/"):
            problems.append(
                UrlProblem(
                    url,
                    "error",
                    _("{scheme}:// has nothing after it (no host, token or address)").format(scheme=scheme),
                )
            )
        elif scheme not in KNOWN_SCHEMES:
            problems.append(
                UrlProblem(
                    url,
                    "warning",
                    _("{scheme}:// is not a scheme this bot knows; `python main.py alerts test` asks Apprise").format(
                        scheme=scheme
                    ),
                )
            )
    return problems


_ASSIGNMENT = re.compile(
    r"^[ \t]*(?:export[ \t]+)?(?P<name>[A-Za-z_][A-Za-z0-9_]*)[ \t]*=[ \t]*(?P<quote>['\"]?)", re.MULTILINE
)


def locate_in_env(env_text: str, variable: str, offset: int) -> tuple[int, int] | None:
    """The 1-based (line, column) in a .env text of `offset` within `variable`'s value (the last assignment,
    as python-dotenv keeps the last). None when the variable is not assigned there (it came from the
    environment). Escapes inside double quotes are not unfolded: rare in URLs."""
    found = [match for match in _ASSIGNMENT.finditer(env_text) if match.group("name") == variable]
    if not found:
        return None
    position = found[-1].end() + offset
    line = env_text.count("\n", 0, position) + 1
    column = position - (env_text.rfind("\n", 0, position) + 1) + 1
    return line, column
