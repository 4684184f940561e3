"""The web page's pages: the campaign (the one rendering of bot/html, live from the files and the outbox, with
the forms), the sign-in page, and a short page for a refusal or an error. Everything is escaped as formatted."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from markupsafe import Markup

from bot import config
from bot.html import read_outbox, render_html
from bot.html.command import message_langs
from bot.html.forms import WebParts
from bot.html.style import CSS
from bot.i18n import _, language
from bot.model import Plan
from bot.services import campaign
from bot.services.approvalview import approval_states
from bot.services.preflight import read_failures
from bot.services.publishing import LeaseStore
from bot.services.status import collect
from bot.services.statusjson import render_json, sharing, with_sharing_json
from bot.store import Outbox
from bot.web.guard import PAGE_CSP


@dataclass(frozen=True)
class Campaign:
    """What `serve` reads for every request: the current files (and the outbox it keeps open)."""

    schedule: Path
    state_dir: Path
    outbox: Outbox
    where: str
    leases: LeaseStore | None = None  # a shared database: /api/status also says who holds what, as `status` does

    def plan(self, now: datetime) -> tuple[Plan | None, list[str]]:
        """The plan, or None and the problems (the files are being edited and are broken right now)."""
        _schedule, plan, problems = campaign.load_campaign(self.schedule, now)
        return plan, [p.format() for p in problems if p.severity == "error"]

    def page(self, now: datetime, web: WebParts) -> str | None:
        schedule, plan, _problems = campaign.load_campaign(self.schedule, now)
        if schedule is None or plan is None:
            return None
        view = read_outbox(plan, self.outbox, self.where, now)
        approvals = approval_states(plan, self.outbox)
        name = config.display_path(self.schedule)
        return render_html(plan, name, view, message_langs(schedule), approvals, web)

    def status_json(self, plan: Plan, now: datetime) -> str:
        """The document of `status --format json`."""
        accounts, rows = collect(plan, self.outbox, now, read_failures(self.state_dir))
        document = render_json(config.display_path(self.schedule), self.state_dir, accounts, rows, now)
        return document if self.leases is None else with_sharing_json(document, sharing(self.leases), self.where)


_SHELL = Markup(
    '<!DOCTYPE html>\n<html lang="{lang}">\n<head>\n<meta charset="utf-8">\n'
    '<meta http-equiv="Content-Security-Policy" content="{csp}">\n'
    '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
    '<meta name="referrer" content="no-referrer">\n<title>{title}</title>\n<style>{css}{extra}</style>\n</head>\n'
    '<body>\n<main>\n<section class="summary {kind}"><h1>{title}</h1>{body}</section>\n</main>\n</body>\n</html>\n'
)
_EXTRA = Markup(
    ".login label { display: block; margin-top: 12px; font-weight: 600; }"
    ".login input { display: block; width: 100%; font: inherit; padding: 8px; margin-top: 4px; }"
    ".login button { margin-top: 16px; font: inherit; padding: 8px 18px; }"
    ".refusal pre { white-space: pre-wrap; overflow-wrap: anywhere; background: #f3f4f6; padding: 10px; }"
    ".error-message { color: #a3211b; margin-top: 10px; }"
)


def shell(title: str, body: Markup, kind: str) -> str:
    page = _SHELL.format(
        lang=language(), csp=Markup(PAGE_CSP), title=title, css=Markup(CSS), extra=_EXTRA, kind=kind, body=body
    )
    return str(page)


def login_page(csrf: str, error: str | None = None, name: str = "") -> str:
    message = Markup('<p class="error-message" role="alert">{}</p>').format(error) if error else ""
    body = Markup(
        '{message}<form class="login" method="post" action="/login">'
        '<input type="hidden" name="csrf" value="{csrf}">'
        '<label>{name_label}<input name="name" value="{name}" autocomplete="username" required></label>'
        '<label>{password_label}<input name="password" type="password" autocomplete="current-password" required>'
        '</label><button type="submit">{button}</button></form>'
    ).format(
        message=message,
        csrf=csrf,
        name_label=_("Name"),
        name=name,
        password_label=_("Password"),
        button=_("Sign in"),
    )
    return shell(_("Sign in: Fiestas Patrias campaign"), body, "login")


def message_page(title: str, lines: Sequence[str], hint: str = "") -> str:
    """A refusal or error: what happened, the details (a digest, a diff) and what to do, with a way back."""
    details = Markup("<pre>{}</pre>").format("\n".join(lines)) if lines else ""
    body = Markup('{details}<p class="hint">{hint}</p><p><a href="/">{back}</a></p>').format(
        details=details, hint=hint, back=_("Back to the campaign page")
    )
    return shell(title, body, "refusal")
