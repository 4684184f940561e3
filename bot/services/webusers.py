"""The web page's people: users and roles, sign-in with lockout, sessions, and the audit trail.

Time is passed in. Passwords go to bot/passwords.py (argon2id) and are never kept, logged or returned; a
session's token is handed to the browser once and stored only as its SHA-256. The same refusal is given for
an unknown name, a wrong password and a locked user, so the page tells nobody which names exist.
"""

from __future__ import annotations

import hashlib
import re
import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Protocol

from bot import passwords
from bot.i18n import _
from bot.problems import printable
from bot.store.web_records import ROLES, AuditRecord, SessionRecord, UserRecord

NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._@-]{0,39}")
MIN_PASSWORD = 10
MAX_PASSWORD = 1024
MAX_TOKEN = 100  # a cookie longer than this was not made here


class WebStore(Protocol):
    """Where users, sessions and the audit trail live: the outbox (SQLite or PostgreSQL), schema version 4."""

    def add_user(self, name: str, role: str, password_hash: str, now: datetime) -> bool: ...
    def user(self, name: str) -> UserRecord | None: ...
    def users(self) -> list[UserRecord]: ...
    def set_password(self, name: str, password_hash: str) -> bool: ...
    def remove_user(self, name: str) -> bool: ...
    def record_failure(self, name: str, now: datetime, max_failures: int, lock_for: timedelta) -> bool: ...
    def record_sign_in(self, name: str, now: datetime) -> None: ...
    def create_session(self, token_hash: str, name: str, csrf: str, now: datetime, address: str) -> None: ...
    def prune_sessions(self, seen_before: datetime, created_before: datetime) -> int: ...
    def session(self, token_hash: str) -> SessionRecord | None: ...
    def touch_session(self, token_hash: str, now: datetime) -> None: ...
    def end_session(self, token_hash: str) -> None: ...
    def record_audit(
        self, kind: str, now: datetime, name: str | None, address: str | None, detail: str | None
    ) -> None: ...
    def audit_log(self) -> list[AuditRecord]: ...


@dataclass(frozen=True)
class WebSettings:
    max_failures: int = 5
    lock_for: timedelta = timedelta(minutes=15)
    idle: timedelta = timedelta(minutes=30)
    lifetime: timedelta = timedelta(hours=12)


class UserError(Exception):
    """A refusal of `users` a person can act on; nothing was changed."""

    def __init__(self, message: str, hint: str = "") -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint


@dataclass(frozen=True)
class SignedIn:
    token: str  # for the cookie only: never logged, never shown
    session: SessionRecord

    def __repr__(self) -> str:
        return f"SignedIn(name={self.session.name!r})"


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8", "surrogateescape")).hexdigest()


def check_name(name: str) -> str:
    if not NAME.fullmatch(name):
        raise UserError(
            _("the user name '{name}' is not allowed").format(name=printable(name[:40])),
            _("use 1 to 40 letters, digits, '.', '_', '@' or '-', starting with a letter or digit"),
        )
    return name


def check_password(password: str) -> str:
    if len(password) < MIN_PASSWORD or len(password) > MAX_PASSWORD or printable(password) != password:
        raise UserError(
            _("the password must have {least} to {most} characters, without control characters").format(
                least=MIN_PASSWORD, most=MAX_PASSWORD
            ),
            _("choose a longer password (a few words are easy to remember)"),
        )
    return password


def add_user(store: WebStore, name: str, role: str, password: str, now: datetime) -> None:
    check_name(name)
    if role not in ROLES:
        raise UserError(_("unknown role '{role}'").format(role=printable(role)), _("use approver or viewer"))
    if not store.add_user(name, role, passwords.hash_password(check_password(password)), now):
        raise UserError(
            _("there is already a user '{name}'").format(name=name),
            _("choose another name, or change the password with `users passwd {name}`").format(name=name),
        )
    audit(store, "user-added", now, name, None, role)


def change_password(store: WebStore, name: str, password: str, now: datetime) -> None:
    """A new password; the user's sessions end (signed out everywhere) and a lock is lifted."""
    if not store.set_password(check_name(name), passwords.hash_password(check_password(password))):
        raise UserError(_("there is no user '{name}'").format(name=name), _("`users list` shows them"))
    audit(store, "password-changed", now, name, None, None)


def remove_user(store: WebStore, name: str, now: datetime) -> None:
    if not store.remove_user(check_name(name)):
        raise UserError(_("there is no user '{name}'").format(name=name), _("`users list` shows them"))
    audit(store, "user-removed", now, name, None, None)


def locked(user: UserRecord, now: datetime) -> bool:
    return user.locked_until is not None and now < user.locked_until


def sign_in(
    store: WebStore, name: str, password: str, address: str, now: datetime, settings: WebSettings
) -> SignedIn | None:
    """A new session, or None (unknown name, wrong password or locked: the caller says the same for all)."""
    user = store.user(name) if NAME.fullmatch(name) else None
    if user is not None and locked(user, now):
        passwords.verify_password(None, password)  # the same work as a wrong password
        audit(store, "sign-in-locked", now, user.name, address, None)
        return None
    if not passwords.verify_password(user.password_hash if user is not None else None, password):
        # An unknown name is not recorded: it may be a password typed in the wrong field.
        audit(store, "sign-in-failed", now, user.name if user is not None else None, address, None)
        if user is not None and store.record_failure(user.name, now, settings.max_failures, settings.lock_for):
            until = (now + settings.lock_for).isoformat(timespec="seconds")
            audit(store, "locked", now, user.name, address, "until " + until)
        return None
    assert user is not None
    if passwords.needs_rehash(user.password_hash):
        store.set_password(user.name, passwords.hash_password(password))
    store.record_sign_in(user.name, now)
    store.prune_sessions(now - settings.idle, now - settings.lifetime)  # abandoned sessions of anyone
    token, csrf = secrets.token_urlsafe(32), secrets.token_urlsafe(32)
    store.create_session(token_hash(token), user.name, csrf, now, address)
    audit(store, "sign-in", now, user.name, address, None)
    return SignedIn(token, SessionRecord(token_hash(token), user.name, user.role, csrf, now, now, address))


def session_for(
    store: WebStore, token: str | None, now: datetime, settings: WebSettings, *, touch: bool = True
) -> SessionRecord | None:
    """The live session of this cookie, or None (none, unknown, expired: an expired one is ended).

    `touch` False (the page's polling) does not count as activity for the idle limit."""
    if not token or len(token) > MAX_TOKEN:
        return None
    key = token_hash(token)
    found = store.session(key)
    if found is None:
        return None
    if now - found.seen_at > settings.idle or now - found.created_at > settings.lifetime:
        store.end_session(key)
        audit(store, "session-expired", now, found.name, None, None)
        return None
    if touch:
        store.touch_session(key, now)
    return found


def sign_out(store: WebStore, session: SessionRecord, now: datetime, address: str) -> None:
    store.end_session(session.token_hash)
    audit(store, "sign-out", now, session.name, address, None)


def audit(store: WebStore, kind: str, now: datetime, name: str | None, address: str | None, detail: str | None) -> None:
    """One line of the audit trail; what came from a request is kept printable and short (PostgreSQL refuses
    NUL characters in text, and a log line is no place for a megabyte)."""

    def clean(text: str | None, limit: int) -> str | None:
        return None if text is None else printable(text[:limit])

    store.record_audit(kind, now, clean(name, 100), clean(address, 64), clean(detail, 400))


def audit_lines(records: Sequence[AuditRecord]) -> list[str]:
    """`status --audit`: one line per record, oldest first."""
    lines = []
    for r in records:
        parts = [r.at.isoformat(timespec="seconds"), r.kind, r.name or "-", r.address or "-"]
        if r.detail:
            parts.append(r.detail)
        lines.append("  ".join(printable(p) for p in parts))
    return lines
