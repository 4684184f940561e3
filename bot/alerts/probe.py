"""`alerts test`: send one test alert to each URL of ALERT_URLS and say, per URL, OK or why not.

The command (wired later) prints `format_probe(report)` and exits with `report.exit_code`:
0 every URL delivered, 1 any failed, 2 ALERT_URLS unset or a URL that cannot be parsed.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from bot.alerts.sender import AppriseTarget, Target, call_with_timeout
from bot.alerts.texts import test_alert
from bot.alerts.urls import AlertURL, check_alert_urls, locate_in_env, split_alert_urls
from bot.i18n import _, ngettext

EXIT_OK, EXIT_FAILED, EXIT_INVALID = 0, 1, 2


@dataclass(frozen=True)
class ProbeLine:
    label: str  # `#1 json://127.0.0.1:8080`
    ok: bool
    reason: str  # empty when OK


@dataclass(frozen=True)
class ProbeReport:
    exit_code: int
    lines: tuple[ProbeLine, ...]
    problems: tuple[str, ...]  # why nothing was sent (exit 2), with .env positions


def probe_alert_urls(
    value: str | None,
    now: datetime,
    *,
    env_text: str | None = None,
    env_name: str = ".env",
    timeout: float = 10.0,
    make_target: Callable[[AlertURL], Target] = lambda url: AppriseTarget(url.text, url.label),
) -> ProbeReport:
    """Check ALERT_URLS, then deliver a test alert to each URL in turn, each bounded by `timeout`."""
    urls = split_alert_urls(value)
    if not urls:
        return ProbeReport(
            EXIT_INVALID,
            (),
            (
                _(
                    "ALERT_URLS is not set: add one or more Apprise URLs to .env, e.g. "
                    "ALERT_URLS=mailto://user:pass@host"
                ),
            ),
        )
    problems = [
        f"{_where(p.url, env_text, env_name)}: ALERT_URLS {p.url.label} {p.message}"
        for p in check_alert_urls(value)
        if p.severity == "error"
    ]
    targets = [(url, make_target(url)) for url in urls]
    if not problems:
        problems = [
            _(
                "{where}: ALERT_URLS {label}: Apprise cannot parse this URL; "
                "check it against the Apprise documentation of its service"
            ).format(where=_where(url, env_text, env_name), label=url.label)
            for url, target in targets
            if isinstance(target, AppriseTarget) and not target.parses()
        ]
    if problems:
        return ProbeReport(EXIT_INVALID, (), tuple(problems))
    alert = test_alert(now)
    lines = []
    for url, target in targets:
        error = call_with_timeout(lambda target=target: target.deliver(alert), timeout)  # type: ignore[misc]
        lines.append(ProbeLine(url.label, error is None, error or ""))
    code = EXIT_OK if all(line.ok for line in lines) else EXIT_FAILED
    return ProbeReport(code, tuple(lines), ())


def _where(url: AlertURL, env_text: str | None, env_name: str) -> str:
    position = locate_in_env(env_text, "ALERT_URLS", url.offset) if env_text is not None else None
    return f"{env_name}:{position[0]}:{position[1]}" if position else _("ALERT_URLS (environment)")


def format_probe(report: ProbeReport) -> str:
    """The command's output: problems (exit 2) or one `OK`/`FAILED` line per URL, then a summary."""
    if report.problems:
        errors = (_("error: {error}").format(error=p) for p in report.problems)
        return "\n".join(errors) + "\n" + _("nothing was sent.") + "\n"
    out = [
        f"OK     {line.label}"
        if line.ok
        else _("FAILED {label}: {reason}").format(label=line.label, reason=line.reason)
        for line in report.lines
    ]
    good = sum(line.ok for line in report.lines)
    total = len(report.lines)
    out.append(
        ngettext(
            "{good} of {total} alert URL delivered the test alert",
            "{good} of {total} alert URLs delivered the test alert",
            total,
        ).format(good=good, total=total)
    )
    return "\n".join(out) + "\n"
