"""The routes of the approvers' web page. Interface fixed for scripts and tests (issue 23):

- `GET /login`, `POST /login` (name, password, csrf): a session cookie, or the same refusal for every failure;
- `POST /logout` (csrf);
- `GET /`: the campaign page with the approve and revoke forms (approvers) or without (viewers);
- `POST /approve` (post, account — absent: every account of the entry —, digest: all 64 hex digits, csrf);
- `POST /revoke` (post, account, note, csrf);
- `GET /api/status`: the JSON of `status --format json`; 401 without a session.

Without a session every other path redirects to /login. Refusals are 4xx pages that say what is wrong and what
to do; nothing is recorded by a refused request but its line in the audit trail.
"""

from __future__ import annotations

import hmac
import logging
import secrets
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from importlib import resources

from flask import Flask, Response, g, request
from werkzeug.exceptions import HTTPException

from bot.approval import ApprovalError
from bot.approvals import StaleDigest, UnknownAccount, UnknownPost
from bot.html.forms import SCRIPT, WebParts
from bot.i18n import N_, _
from bot.problems import printable
from bot.services import webusers
from bot.services.webapprove import WebApprovalStore, web_approve, web_revoke
from bot.services.webusers import WebSettings
from bot.web import guard
from bot.web.views import Campaign, login_page, message_page

logger = logging.getLogger("bot.web")

MAX_FIELD = 200  # post ids, account names, digests, user names
MAX_PASSWORD = webusers.MAX_PASSWORD


def _redirect(location: str) -> Response:
    return Response("", 303, headers={"Location": location})


def _utc_now() -> datetime:
    return datetime.now(UTC)


@dataclass(frozen=True)
class WebConfig:
    campaign: Campaign
    store: WebApprovalStore
    settings: WebSettings = field(default_factory=WebSettings)
    trusted_proxies: frozenset[str] = frozenset()
    clock: Callable[[], datetime] = _utc_now
    failure_delay: float = 0.5  # seconds, doubled per failure of an address past the third (guard.Throttle)


def create_app(cfg: WebConfig) -> Flask:
    app = Flask("bot.web", static_folder=None)
    app.config["MAX_CONTENT_LENGTH"] = guard.MAX_BODY
    app.config["MAX_FORM_MEMORY_SIZE"] = guard.MAX_BODY
    throttle = guard.Throttle(cfg.settings.lock_for, cfg.failure_delay)
    script = resources.files("bot.web").joinpath("static/live.js").read_text(encoding="utf-8")

    def html(text: str, status: int = 200) -> Response:
        return Response(text, status, mimetype="text/html")

    def refusal(status: int, title: str, lines: list[str], hint: str = "") -> Response:
        return html(message_page(title, lines, hint), status)

    def field_value(name: str, limit: int = MAX_FIELD) -> str | None:
        value = request.form.get(name)
        if value is not None and len(value) > limit:
            raise _TooLong(name)
        return value

    @app.before_request
    def gate() -> Response | None:
        if (request.content_length or 0) > guard.MAX_BODY:
            return refusal(413, _("Too large"), [], _("a request body may be at most 64 KB"))
        g.client = guard.client(request, cfg.trusted_proxies)
        g.now = cfg.clock()
        api = request.path == "/api/status"
        token = request.cookies.get(guard.SESSION_COOKIE)
        g.session = webusers.session_for(cfg.store, token, g.now, cfg.settings, touch=not api)
        if request.path == "/login":
            return None
        if g.session is None:
            if api:
                return Response('{"error": "sign in first"}\n', 401, mimetype="application/json")
            return _redirect("/login")
        if request.method == "POST":
            sent = request.form.get("csrf") or ""
            if not hmac.compare_digest(sent.encode(), g.session.csrf.encode()):
                return refusal(
                    403, _("Refused"), [], _("the form is out of date or did not come from this page: reload")
                )
        return None

    @app.after_request
    def headers(response: Response) -> Response:
        return guard.secure(response)

    @app.get("/login")
    def login_form() -> Response:
        if g.session is not None:
            return _redirect("/")
        return _login(200)

    def _login(status: int, error: str | None = None, name: str = "") -> Response:
        csrf = secrets.token_urlsafe(32)
        response = html(login_page(csrf, error, name), status)
        guard.set_cookie(response, guard.LOGIN_COOKIE, csrf, g.client.https, max_age=3600)
        return response

    @app.post("/login")
    def login() -> Response:
        expected = request.cookies.get(guard.LOGIN_COOKIE) or ""
        sent = request.form.get("csrf") or ""
        if not expected or not hmac.compare_digest(sent.encode(), expected.encode()):
            return refusal(403, _("Refused"), [], _("the sign-in form is out of date: open /login again"))
        address = g.client.address
        wait = throttle.refused_for(address, g.now)
        if wait is not None:
            response = refusal(429, _("Too many attempts"), [], _("too many failed sign-ins from here: try later"))
            response.headers["Retry-After"] = str(max(1, int(wait.total_seconds())))
            return response
        name = (request.form.get("name") or "")[:MAX_FIELD]
        password = (request.form.get("password") or "")[:MAX_PASSWORD]
        signed = webusers.sign_in(cfg.store, name, password, address, g.now, cfg.settings)
        if signed is None:
            throttle.failed(address, g.now)
            logger.warning(_("failed sign-in from {address}").format(address=address))
            wrong = _("The name or the password is wrong, or the user is locked for a while after failed attempts.")
            return _login(401, wrong, name)
        logger.info(_("{name} signed in from {address}").format(name=signed.session.name, address=address))
        response = _redirect("/")
        guard.set_cookie(response, guard.SESSION_COOKIE, signed.token, g.client.https)
        guard.clear_cookie(response, guard.LOGIN_COOKIE, g.client.https)
        return response

    @app.post("/logout")
    def logout() -> Response:
        webusers.sign_out(cfg.store, g.session, g.now, g.client.address)
        response = _redirect("/login")
        guard.clear_cookie(response, guard.SESSION_COOKIE, g.client.https)
        return response

    @app.get("/")
    def page() -> Response:
        web = WebParts(guard.PAGE_CSP, g.session.csrf, g.session.name, g.session.role)
        text = cfg.campaign.page(g.now, web)
        if text is None:
            return _broken()
        return html(text)

    def _broken() -> Response:
        _plan, problems = cfg.campaign.plan(g.now)
        return refusal(503, _("The schedule or a message has errors"), problems, _("fix the files, then reload"))

    def _approver() -> Response | None:
        if g.session.role != "approver":
            return refusal(403, _("Refused"), [], _("only an approver may approve or revoke; you may read"))
        return None

    @app.post("/approve")
    def approve() -> Response:
        refused = _approver()
        if refused is not None:
            return refused
        post, account, digest = field_value("post"), field_value("account"), field_value("digest")
        if not post or digest is None or account == "":
            return refusal(400, _("Approval refused"), [], _("the form needs a post and a digest"))
        plan, _problems = cfg.campaign.plan(g.now)
        if plan is None:
            return _broken()
        try:
            result = web_approve(
                plan.posts, cfg.store, post, digest, account, name=g.session.name, address=g.client.address, now=g.now
            )
        except ApprovalError as error:
            return _refused(error, _("Approval refused"))
        for record in result.approved:
            logger.info(
                _("{name} approved {post} for {account}").format(
                    name=g.session.name, post=record.post_id, account=record.account
                )
            )
        return _redirect("/")

    @app.post("/revoke")
    def revoke() -> Response:
        refused = _approver()
        if refused is not None:
            return refused
        post, account, note = field_value("post"), field_value("account"), field_value("note", 1000)
        if not post or account == "":
            return refusal(400, _("Revoke refused"), [], _("the form needs a post"))
        plan, _problems = cfg.campaign.plan(g.now)
        if plan is None:
            return _broken()
        try:
            web_revoke(
                plan.posts, cfg.store, post, account, note, name=g.session.name, address=g.client.address, now=g.now
            )
        except ApprovalError as error:
            return _refused(error, _("Revoke refused"))
        logger.info(_("{name} revoked {post}").format(name=g.session.name, post=printable(post)))
        return _redirect("/")

    def _refused(error: ApprovalError, title: str) -> Response:
        status = (
            409 if isinstance(error, StaleDigest) else 404 if isinstance(error, UnknownPost | UnknownAccount) else 400
        )
        return refusal(status, title, error.format().splitlines())

    @app.get("/api/status")
    def status() -> Response:
        plan, _problems = cfg.campaign.plan(g.now)
        if plan is None:
            return Response('{"error": "the schedule or a message has errors"}\n', 503, mimetype="application/json")
        return Response(cfg.campaign.status_json(plan, g.now), mimetype="application/json")

    @app.get(SCRIPT)
    def live_script() -> Response:
        return Response(script, mimetype="text/javascript")

    @app.errorhandler(_TooLong)
    def too_long(error: _TooLong) -> Response:
        return refusal(400, _("Refused"), [], _("the field {name} is too long").format(name=error.name))

    @app.errorhandler(HTTPException)
    def http_error(error: HTTPException) -> Response:
        code = error.code or 400
        name = _(_HTTP_NAMES[code]) if code in _HTTP_NAMES else error.name
        return guard.secure(refusal(code, f"{code} {name}", [], _("check the address, or go back to the page")))

    @app.errorhandler(Exception)
    def internal(error: Exception) -> Response:
        logger.error(
            _("internal error on {method} {path}: {error}").format(
                method=request.method, path=printable(request.path[:200]), error=type(error).__name__
            )
        )
        return guard.secure(refusal(500, _("Internal error"), [], _("the server's log says more; try again")))

    return app


# werkzeug names an HTTP error in English only; the ones a person can meet on these pages, in their words
_HTTP_NAMES = {
    400: N_("Bad request"),
    403: N_("Forbidden"),
    404: N_("Not found"),
    405: N_("Method not allowed"),
    413: N_("Request too large"),
    429: N_("Too many requests"),
}


class _TooLong(Exception):
    def __init__(self, name: str) -> None:
        super().__init__(name)
        self.name = name
