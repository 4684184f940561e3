"""What every request and response of the web page goes through (the threat model is docs/web.md).

- The client's address and scheme: X-Forwarded-For / X-Forwarded-Proto are believed only from a proxy named
  with --trusted-proxy; from anyone else they are ignored (they could say anything).
- Cookies: HttpOnly, SameSite=Strict, Secure when the page is served over HTTPS.
- Headers: a strict Content-Security-Policy (scripts only from this server, no inline script, no framing),
  no caching, no referrer, no MIME sniffing.
- An address that keeps failing to sign in is slowed, then refused for a while (any user name).
"""

from __future__ import annotations

import threading
import time
from collections import deque
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta

from flask import Request, Response

MAX_BODY = 64 * 1024
SESSION_COOKIE = "fpb_session"
LOGIN_COOKIE = "fpb_login"  # the sign-in form's CSRF token (there is no session yet)

CSP = (
    "default-src 'none'; script-src 'self'; connect-src 'self'; style-src 'unsafe-inline'; img-src data:; "
    "form-action 'self'; base-uri 'none'; frame-ancestors 'none'"
)
PAGE_CSP = CSP.removesuffix("; frame-ancestors 'none'")  # the <meta> copy: browsers ignore frame-ancestors there

HEADERS = {
    "Content-Security-Policy": CSP,
    "X-Frame-Options": "DENY",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "Cache-Control": "no-store",
    "Cross-Origin-Opener-Policy": "same-origin",
    "Cross-Origin-Resource-Policy": "same-origin",
}


@dataclass(frozen=True)
class Client:
    address: str
    https: bool


def client(request: Request, trusted: frozenset[str]) -> Client:
    direct = request.remote_addr or "unknown"
    if direct not in trusted:
        return Client(direct, request.scheme == "https")
    forwarded = [part.strip() for part in request.headers.get("X-Forwarded-For", "").split(",") if part.strip()]
    proto = request.headers.get("X-Forwarded-Proto", "").split(",")[-1].strip().lower()
    return Client(forwarded[-1][:64] if forwarded else direct, proto == "https" or request.scheme == "https")


def secure(response: Response) -> Response:
    for name, value in HEADERS.items():
        response.headers[name] = value
    response.headers.pop("Server", None)
    return response


def set_cookie(response: Response, name: str, value: str, https: bool, max_age: int | None = None) -> None:
    response.set_cookie(name, value, max_age=max_age, path="/", secure=https, httponly=True, samesite="Strict")


def clear_cookie(response: Response, name: str, https: bool) -> None:
    response.set_cookie(name, "", max_age=0, expires=0, path="/", secure=https, httponly=True, samesite="Strict")


class Throttle:
    """Failed sign-ins per address in the last `window`: from `slow_after` on, each answer waits `delay`
    seconds more (up to 5 s); at `limit`, the address is refused (429) until its oldest failure is older than
    `window`. In memory: a restart forgets it (the per-user lock is in the database)."""

    def __init__(self, window: timedelta, delay: float, slow_after: int = 3, limit: int = 20) -> None:
        self.window = window
        self.delay = delay
        self.slow_after = slow_after
        self.limit = limit
        self._failures: dict[str, deque[datetime]] = {}
        self._lock = threading.Lock()

    def _recent(self, address: str, now: datetime) -> deque[datetime]:
        found = self._failures.setdefault(address, deque())
        while found and now - found[0] > self.window:
            found.popleft()
        return found

    def refused_for(self, address: str, now: datetime) -> timedelta | None:
        """How long the address must wait before it may try again; None when it may try now."""
        with self._lock:
            recent = self._recent(address, now)
            if len(recent) < self.limit:
                return None
            return recent[0] + self.window - now

    def failed(self, address: str, now: datetime) -> None:
        with self._lock:
            recent = self._recent(address, now)
            recent.append(now)
            extra = len(recent) - self.slow_after
        if extra >= 0 and self.delay > 0:
            time.sleep(min(5.0, self.delay * 2 ** min(extra, 8)))

    def forget(self, addresses: Iterable[str]) -> None:
        with self._lock:
            for address in addresses:
                self._failures.pop(address, None)
