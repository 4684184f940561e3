"""A real local HTTP server speaking the subset of the X API v2 and the Facebook Graph API the bot uses.

The publishers are tested by driving the real tweepy and facebook-sdk against it. It checks what the real
platforms check (OAuth 1.0a HMAC-SHA1 signatures over the original https://api.twitter.com URL, Page tokens,
length, duplicates), answers with the platforms' error bodies, keeps every created post for assertions, and
takes injected faults (rate limits, 5xx, dropped connections after the post was stored, slow answers, HTML
error pages, expired tokens...).

Observers (`add_observer`) see every request at three moments — received, handled (the post is stored, the
answer not yet written) and answered — and may drop it there: the crash tests use them to kill the daemon at
an exact point and to inject a fault at an exact fragment. Every secret the server issues is registered with
tests/secretscan.py, so no test can print or store one unnoticed.

Use the `fake_api` fixture: `from tests.fakeapi import fake_api_fixture  # noqa: F401` in a test
module, then take `fake_api` as an argument.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import io
import itertools
import json
import re
import sys
import threading
import time
import unicodedata
from collections import deque
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from email.message import Message
from email.parser import BytesParser
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Literal
from urllib.parse import parse_qsl, quote, unquote, urlsplit
from zoneinfo import ZoneInfo

import pytest
from twitter_text import parse_tweet

from bot.credentials import ConnectionSettings, Environment
from bot.model import Account
from tests import secretscan

X_ORIGINAL_BASE = "https://api.twitter.com"
X_LIMIT = 280
X_LONG_LIMIT = 25_000
FACEBOOK_LIMIT = 63_206
MAX_SLOW_SECONDS = 5.0

DUPLICATE_DETAIL = "You are not allowed to create a Tweet with duplicate content."
NOT_PERMITTED_DETAIL = "You are not permitted to perform this action."
X_READ_ONLY = "read"  # x-access-level of a token generated while the app was Read only
X_CANNOT_WRITE_MESSAGE = "Application cannot perform write actions. Contact Twitter Platform Operations through https://help.twitter.com/forms/platform."
REPLY_REFUSED_DETAIL = (
    "Reply to this conversation is not allowed because you have not been mentioned or otherwise engaged by "
    "the author of the post you are replying to."
)
INVALID_DETAIL = "One or more parameters to your request was invalid."

FaultKind = Literal["respond", "commit_then_drop", "commit_then_slow", "commit_then_respond", "drop"]
PlatformName = Literal["x", "facebook"]
Phase = Literal["received", "handled", "answered"]


def x_weighted_length(text: str) -> int:
    """X's weighted length as the published twitter-text counter (PyPI twitter-text-parser) gives it.

    An independent referee: never bot.measure, whose mistakes it must catch. Imported with this
    module, not on the first post: the import (about 0.3 s) would eat into the clients' timeouts.
    """
    length: int = parse_tweet(text).weightedLength
    return length


def _nfc(text: str) -> str:
    return unicodedata.normalize("NFC", text)


def _pct(value: str) -> str:
    """RFC 5849 section 3.6 percent-encoding: everything but ALPHA, DIGIT, '-', '.', '_', '~'."""
    return quote(value, safe="-._~")


def oauth1_signature(
    method: str, url: str, params: list[tuple[str, str]], consumer_secret: str, token_secret: str
) -> str:
    """HMAC-SHA1 signature of a request per RFC 5849 section 3.4 (url without query, params decoded)."""
    encoded = sorted((_pct(name), _pct(value)) for name, value in params)
    normalized = "&".join(f"{name}={value}" for name, value in encoded)
    base_string = "&".join((method.upper(), _pct(url), _pct(normalized)))
    key = f"{_pct(consumer_secret)}&{_pct(token_secret)}"
    digest = hmac.new(key.encode(), base_string.encode(), hashlib.sha1).digest()
    return base64.b64encode(digest).decode()


@dataclass
class XUser:
    user_id: str
    username: str
    name: str
    consumer_key: str
    consumer_secret: str
    access_token: str
    token_secret: str
    long_posts: bool = False
    access_level: str | None = "read-write"  # x-access-level of its token; "read": a Read-only app; None: no header


@dataclass
class FacebookPage:
    page_id: str
    name: str
    token: str


# --- media (issue 14) ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class StoredMedia:
    """An uploaded image: X media or a Facebook photo. Only `owner` may attach it, and only before it expires."""

    platform: PlatformName
    id: str
    owner: str  # X user id or Facebook page id
    sha256: str  # of the decoded bytes, to compare with the file
    mime: str  # what Pillow says the bytes are
    width: int
    height: int
    alt: str | None = None
    expires_at: float | None = None  # time.time(); None: never

    def usable_by(self, owner: str) -> bool:
        return self.owner == owner and (self.expires_at is None or time.time() < self.expires_at)


X_MEDIA_LIMIT = 5 * 1024 * 1024
X_GIF_LIMIT = 15 * 1024 * 1024
X_MEDIA_IDS_INVALID = "Your media IDs are invalid."
_PILLOW_MIME = {"JPEG": "image/jpeg", "MPO": "image/jpeg", "PNG": "image/png", "WEBP": "image/webp", "GIF": "image/gif"}


def _image_facts(data: bytes) -> tuple[str, int, int] | None:
    """(mime, width, height) when `data` is a whole JPEG/PNG/WEBP/GIF image, else None (checked with Pillow)."""
    from PIL import Image

    try:
        with Image.open(io.BytesIO(data)) as image:
            image.verify()
        with Image.open(io.BytesIO(data)) as image:
            image.load()
            mime = _PILLOW_MIME.get(image.format or "")
            return None if mime is None else (mime, image.width, image.height)
    except Exception:
        return None


def _multipart(content_type: str, body: bytes) -> tuple[dict[str, str], dict[str, bytes]]:
    """The fields and files of a multipart/form-data body."""
    message = BytesParser().parsebytes(b"Content-Type: " + content_type.encode() + b"\r\n\r\n" + body)
    fields: dict[str, str] = {}
    files: dict[str, bytes] = {}
    parts = message.get_payload() if message.is_multipart() else []
    for part in parts if isinstance(parts, list) else []:
        if not isinstance(part, Message):
            continue
        name = part.get_param("name", header="content-disposition")
        payload = part.get_payload(decode=True)
        if not isinstance(name, str) or not isinstance(payload, bytes):
            continue
        if part.get_filename() is not None:
            files[name] = payload
        else:
            fields[name] = payload.decode()
    return fields, files


# --- end of media ------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class CreatedPost:
    platform: PlatformName
    account: str  # X user id or Facebook page id
    id: str
    text: str
    reply_to: str | None
    created_at: datetime
    media: tuple[StoredMedia, ...] = ()  # issue 14: the images the post carries, in order


@dataclass(frozen=True)
class RequestRecord:
    platform: PlatformName
    method: str
    path: str
    params: tuple[tuple[str, str], ...]
    graph_version: str | None = None
    received_at: float = 0.0  # time.time() when the request line arrived, before any injected latency


@dataclass
class Fault:
    """One injected fault, consumed by the next matching request.

    kind: respond (answer with status/headers/body, store nothing); commit_then_drop (handle the
    request, store the post, close the socket without answering); commit_then_slow (handle it, then wait
    `delay` seconds before answering); commit_then_respond (handle it, store the post, then answer with
    status/headers/body instead: a gateway's 5xx after the write); drop (close without storing).
    """

    platform: PlatformName
    kind: FaultKind
    method: str | None = None
    status: int = 200
    headers: Mapping[str, str] = field(default_factory=dict)
    body: bytes = b""
    delay: float = 1.0


@dataclass(frozen=True)
class ServerEvent:
    """A request at one moment of its handling, as observers see it.

    phase: received (body read, before any fault), handled (the request was processed — a post is stored when
    `created` — and the answer is about to be written), answered (the answer was written).
    number: how many requests of this platform and method the server had received, this one included.
    """

    phase: Phase
    platform: PlatformName
    method: str
    path: str
    number: int
    status: int | None = None
    created: bool = False


Observer = Callable[[ServerEvent], str | None]  # returns "drop" to close the connection there (received, handled)


@dataclass
class _Answer:
    status: int
    body: bytes
    headers: dict[str, str]
    created: bool | None = None  # None: any successful POST created a post; False: an upload, not a post


def _json_answer(status: int, payload: object, content_type: str = "application/json; charset=utf-8") -> _Answer:
    return _Answer(status, json.dumps(payload).encode(), {"Content-Type": content_type})


def _x_problem(status: int, title: str, detail: str, headers: Mapping[str, str] | None = None) -> _Answer:
    answer = _json_answer(
        status,
        {"title": title, "detail": detail, "type": "about:blank", "status": status},
        "application/problem+json",
    )
    answer.headers.update(headers or {})
    return answer


def _graph_error(
    code: int,
    message: str,
    subcode: int | None = None,
    is_transient: bool = False,
    status: int = 400,
    error_type: str = "OAuthException",
) -> _Answer:
    error: dict[str, object] = {
        "message": message,
        "type": error_type,
        "code": code,
        "is_transient": is_transient,
        "fbtrace_id": "AbCdEfGhIjK",
    }
    if subcode is not None:
        error["error_subcode"] = subcode
    return _json_answer(status, {"error": error})


class FakeAPI:
    """The server and its state. Thread-safe: handlers run on their own threads."""

    def __init__(self, latency: float = 0.0) -> None:
        self.latency = latency  # seconds slept before every answer (for benchmarks)
        self._lock = threading.Lock()
        self._faults: deque[Fault] = deque()
        self._posts: list[CreatedPost] = []
        self._requests: list[RequestRecord] = []
        self._x_users: dict[str, XUser] = {}  # by access token
        self._pages: dict[str, FacebookPage] = {}  # by page id
        self._ids = itertools.count(1_790_000_000_000_000_001)
        self._counts: dict[tuple[str, str], int] = {}
        self._observers: list[Observer] = []
        self._media: dict[str, StoredMedia] = {}  # issue 14: uploads by id
        self.x_media_ttl_seconds = 86_400  # what X answers as expires_after_secs
        # Issue 18: the platforms' read path lags their write path. A post is invisible to the lookups (X's
        # GET /2/users/{id}/tweets, the Page's GET /feed) for this many seconds after it was created.
        self.read_lag = 0.0
        self._duplicates_refused = 0
        self._server = _Server(("127.0.0.1", 0), _Handler)
        self._server.daemon_threads = True
        self._server.api = self  # type: ignore[attr-defined]
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.02}, name="fakeapi", daemon=True
        )

    # --- lifecycle ---------------------------------------------------------------------------------------

    def start(self) -> FakeAPI:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=5)

    @property
    def url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host!s}:{port}"

    def settings(self, timeout: float = 0.5, graph_version: str = "v25.0") -> ConnectionSettings:
        return ConnectionSettings(
            x_api_base_url=self.url,
            facebook_graph_url=self.url,
            facebook_graph_version=graph_version,
            timeout_seconds=timeout,
        )

    # --- accounts ----------------------------------------------------------------------------------------

    def add_x_user(
        self, username: str, name: str, prefix: str, *, long_posts: bool = False
    ) -> tuple[XUser, dict[str, str]]:
        """Register an X account; returns it and the environment variables (PREFIX_API_KEY...) for it."""
        n = len(self._x_users) + 1
        user = XUser(
            user_id=str(1_000_000 + n),
            username=username,
            name=name,
            consumer_key=f"ck-{username}-{n:04d}-key",
            consumer_secret=f"cs-{username}-{n:04d}-consumer-secret",
            access_token=f"{1_000_000 + n}-at-{username}-token",
            token_secret=f"ts-{username}-{n:04d}-token-secret",
            long_posts=long_posts,
        )
        with self._lock:
            self._x_users[user.access_token] = user
        for label, value in (
            ("API_KEY", user.consumer_key),
            ("API_SECRET", user.consumer_secret),
            ("ACCESS_TOKEN", user.access_token),
            ("ACCESS_TOKEN_SECRET", user.token_secret),
        ):
            secretscan.register(value, f"{prefix}_{label} (issued by the fake X API to @{username})")
        env = {
            f"{prefix}_API_KEY": user.consumer_key,
            f"{prefix}_API_SECRET": user.consumer_secret,
            f"{prefix}_ACCESS_TOKEN": user.access_token,
            f"{prefix}_ACCESS_TOKEN_SECRET": user.token_secret,
        }
        return user, env

    def add_page(self, page_id: str, name: str, prefix: str) -> tuple[FacebookPage, dict[str, str]]:
        """Register a Facebook Page; returns it and the environment variable PREFIX_PAGE_TOKEN for it."""
        page = FacebookPage(page_id, name, f"EAAG-page-{page_id}-token-value")
        with self._lock:
            self._pages[page_id] = page
        secretscan.register(page.token, f"{prefix}_PAGE_TOKEN (issued by the fake Graph API to Page {page_id})")
        return page, {f"{prefix}_PAGE_TOKEN": page.token}

    # --- faults ------------------------------------------------------------------------------------------

    def inject(self, fault: Fault) -> None:
        with self._lock:
            self._faults.append(fault)

    def x_error(self, status: int, title: str, detail: str, headers: Mapping[str, str] | None = None) -> None:
        answer = _x_problem(status, title, detail, headers)
        self.inject(Fault("x", "respond", None, answer.status, answer.headers, answer.body))

    def x_rate_limited(
        self,
        reset: int,
        *,
        user_24h_reset: int | None = None,
        app_24h_reset: int | None = None,
        title: str = "Too Many Requests",
    ) -> None:
        headers = {
            "x-rate-limit-limit": "100",
            "x-rate-limit-remaining": "0",
            "x-rate-limit-reset": str(reset),
        }
        if user_24h_reset is not None:
            headers |= {
                "x-user-limit-24hour-limit": "17",
                "x-user-limit-24hour-remaining": "0",
                "x-user-limit-24hour-reset": str(user_24h_reset),
            }
        if app_24h_reset is not None:
            headers |= {
                "x-app-limit-24hour-limit": "17",
                "x-app-limit-24hour-remaining": "0",
                "x-app-limit-24hour-reset": str(app_24h_reset),
            }
        self.x_error(429, title, "Too Many Requests", headers)

    def x_daily_cap_used_up(self, scope: Literal["app", "user"], reset: int) -> None:
        """The next X request answers 429 because a 24-hour cap is used up: the app's 10,000 posts (shared by
        every account with the app's API key) or the user's own, with X's headers for it (and a 15-minute
        window that is not the cause)."""
        window = {"x-rate-limit-limit": "100", "x-rate-limit-remaining": "57", "x-rate-limit-reset": str(reset - 1)}
        limit = "10000" if scope == "app" else "100"
        cap = {f"x-{scope}-limit-24hour-{name}": value for name, value in (("limit", limit), ("remaining", "0"))}
        self.x_error(
            429, "Too Many Requests", "Too Many Requests", window | cap | {f"x-{scope}-limit-24hour-reset": str(reset)}
        )

    def share_x_app(self, user: XUser, app: XUser, prefix: str) -> dict[str, str]:
        """`user` posts through `app`'s X app from now on: the same API key and secret (so the same per-app
        cap); returns `user`'s new environment variables."""
        with self._lock:
            user.consumer_key, user.consumer_secret = app.consumer_key, app.consumer_secret
        names = ("API_KEY", "API_SECRET", "ACCESS_TOKEN", "ACCESS_TOKEN_SECRET")
        values = (user.consumer_key, user.consumer_secret, user.access_token, user.token_secret)
        return {f"{prefix}_{name}": value for name, value in zip(names, values, strict=True)}

    def x_usage_cap(self) -> None:
        self.x_error(429, "UsageCapExceeded", "Usage cap exceeded: Monthly product cap")

    def x_reply_refused(self) -> None:
        self.x_error(403, "Forbidden", REPLY_REFUSED_DETAIL)

    # --- access level (issue 12): x-access-level on every authenticated answer; a Read-only app ----------

    def x_access_level(self, user: XUser, level: str | None) -> None:
        """Set the access level X reports for `user`'s token: "read" (the app was Read only when the token was
        generated: reads work, POST answers 403 not permitted), "read-write", or None (no header at all)."""
        with self._lock:
            user.access_level = level

    def x_cannot_write(self) -> None:
        """The next X request answers 403 with the v1-style body of code 261 (an app that cannot write)."""
        body = {"errors": [{"code": 261, "message": X_CANNOT_WRITE_MESSAGE}]}
        self.inject(Fault("x", "respond", None, 403, {"Content-Type": "application/json"}, json.dumps(body).encode()))

    def _x_with_access_level(self, headers: Mapping[str, str], answer: _Answer) -> _Answer:
        """X sends x-access-level on the answers to requests its OAuth 1.0a check accepted."""
        if answer.status == 401:
            return answer
        token = re.search(r'oauth_token="([^"]*)"', headers.get("Authorization", ""))
        with self._lock:
            user = self._x_users.get(unquote(token.group(1))) if token else None
        if user is not None and user.access_level is not None:
            answer.headers["x-access-level"] = user.access_level
        return answer

    def graph_error(
        self,
        code: int,
        message: str,
        subcode: int | None = None,
        is_transient: bool = False,
        status: int = 400,
    ) -> None:
        answer = _graph_error(code, message, subcode, is_transient, status)
        self.inject(Fault("facebook", "respond", None, answer.status, answer.headers, answer.body))

    def graph_throttled(self, code: int = 4) -> None:
        self.graph_error(code, "(#4) Application request limit reached" if code == 4 else "(#32) Rate limited")

    def graph_token_expired(self) -> None:
        self.graph_error(190, "Error validating access token: Session has expired.", subcode=463)

    def server_error(self, platform: PlatformName, status: int = 503) -> None:
        if platform == "x":
            self.x_error(status, "Service Unavailable", "Service Unavailable")
        else:
            self.graph_error(2, "An unexpected error has occurred. Please retry your request later.", None, True, 500)

    def html_502(self, platform: PlatformName) -> None:
        body = b"<html><head><title>502 Bad Gateway</title></head><body><h1>502 Bad Gateway</h1></body></html>"
        self.inject(Fault(platform, "respond", None, 502, {"Content-Type": "text/html"}, body))

    def no_content_type(self, platform: PlatformName) -> None:
        self.inject(Fault(platform, "respond", None, 200, {}, b'{"id": "?"}'))

    def inject_drop(self, platform: PlatformName, method: str | None = None) -> None:
        """Close the connection without storing anything or answering."""
        self.inject(Fault(platform, "drop", method))

    def commit_then_drop(self, platform: PlatformName) -> None:
        self.inject(Fault(platform, "commit_then_drop", "POST"))

    def commit_then_error(self, platform: PlatformName) -> None:
        """Store the post, then answer as the platform's gateway does under load: X 503, Graph code 2 (HTTP 500)."""
        if platform == "x":
            answer = _x_problem(503, "Service Unavailable", "Service Unavailable")
        else:
            answer = _graph_error(
                2, "An unexpected error has occurred. Please retry your request later.", None, True, 500
            )
        self.inject(Fault(platform, "commit_then_respond", "POST", answer.status, answer.headers, answer.body))

    @property
    def duplicates_refused(self) -> int:
        """How many posts were refused as duplicates (X 403 duplicate content, Graph 506), on both platforms."""
        with self._lock:
            return self._duplicates_refused

    def _visible(self, post: CreatedPost) -> bool:
        """Can a lookup see `post` yet (see read_lag)?"""
        return (datetime.now(UTC) - post.created_at).total_seconds() >= self.read_lag

    def commit_then_slow(self, platform: PlatformName, delay: float = 1.0) -> None:
        self.inject(Fault(platform, "commit_then_slow", "POST", delay=min(delay, MAX_SLOW_SECONDS)))

    # --- observers -----------------------------------------------------------------------------------------

    def add_observer(self, observer: Observer) -> None:
        """Call `observer` at every moment of every request (on the handler's thread; it may block)."""
        with self._lock:
            self._observers.append(observer)

    def remove_observer(self, observer: Observer) -> None:
        with self._lock:
            if observer in self._observers:
                self._observers.remove(observer)

    def before_request(self, platform: PlatformName, method: str, number: int, action: Callable[[], None]) -> None:
        """Run `action` (e.g. inject a fault) when the `number`-th `method` request of `platform` arrives.

        Counted from the server's start; the action runs before the request takes its fault, so a fault it
        injects applies to that very request.
        """

        def observer(event: ServerEvent) -> None:
            if (event.phase, event.platform, event.method, event.number) == ("received", platform, method, number):
                self.remove_observer(observer)
                action()

        self.add_observer(observer)

    def count(self, platform: PlatformName, method: str) -> int:
        """How many `method` requests of `platform` the server has received."""
        with self._lock:
            return self._counts.get((platform, method), 0)

    def _received(self, platform: PlatformName, method: str, path: str) -> ServerEvent:
        with self._lock:
            number = self._counts[(platform, method)] = self._counts.get((platform, method), 0) + 1
        return ServerEvent("received", platform, method, path, number)

    def _notify(self, event: ServerEvent) -> str | None:
        with self._lock:
            observers = list(self._observers)
        verdict = None
        for observer in observers:
            verdict = observer(event) or verdict
        return verdict

    def _take_fault(self, platform: PlatformName, method: str) -> Fault | None:
        with self._lock:
            for fault in self._faults:
                if fault.platform == platform and fault.method in (None, method):
                    self._faults.remove(fault)
                    return fault
        return None

    # --- assertions --------------------------------------------------------------------------------------

    def posts(self, platform: PlatformName | None = None, account: str | None = None) -> list[CreatedPost]:
        with self._lock:
            return [
                post
                for post in self._posts
                if (platform is None or post.platform == platform) and (account is None or post.account == account)
            ]

    def requests(self, platform: PlatformName | None = None) -> list[RequestRecord]:
        with self._lock:
            return [record for record in self._requests if platform is None or record.platform == platform]

    @property
    def graph_versions(self) -> list[str | None]:
        return [record.graph_version for record in self.requests("facebook")]

    # --- request handling (called on handler threads) ----------------------------------------------------

    def handle(
        self, method: str, target: str, headers: Mapping[str, str], body: bytes, received_at: float = 0.0
    ) -> _Answer:
        split = urlsplit(target)
        params = parse_qsl(split.query, keep_blank_values=True)
        if split.path.startswith("/2/"):
            with self._lock:
                self._requests.append(RequestRecord("x", method, split.path, tuple(params), None, received_at))
            return self._x_with_access_level(headers, self._handle_x(method, split.path, params, headers, body))
        match = re.fullmatch(r"/(v\d+\.\d+)/(.+)", split.path)
        version = match.group(1) if match else None
        with self._lock:
            self._requests.append(RequestRecord("facebook", method, split.path, tuple(params), version, received_at))
        return self._handle_graph(method, match.group(2) if match else split.path.lstrip("/"), params, headers, body)

    # X -------------------------------------------------------------------------------------------------

    def _x_user(
        self, method: str, path: str, params: list[tuple[str, str]], headers: Mapping[str, str], body: bytes
    ) -> XUser | None:
        authorization = headers.get("Authorization", "")
        if not authorization.startswith("OAuth "):
            return None
        oauth = {name: unquote(value) for name, value in re.findall(r'(\w+)="([^"]*)"', authorization)}
        signature = oauth.pop("oauth_signature", "")
        oauth.pop("realm", None)
        if oauth.get("oauth_signature_method") != "HMAC-SHA1":
            return None
        with self._lock:
            user = self._x_users.get(oauth.get("oauth_token", ""))
        if user is None or oauth.get("oauth_consumer_key") != user.consumer_key:
            return None
        signed = list(oauth.items()) + params
        if "application/x-www-form-urlencoded" in headers.get("Content-Type", ""):
            signed += parse_qsl(body.decode(), keep_blank_values=True)
        expected = oauth1_signature(method, X_ORIGINAL_BASE + path, signed, user.consumer_secret, user.token_secret)
        return user if hmac.compare_digest(expected, signature) else None

    def _handle_x(
        self, method: str, path: str, params: list[tuple[str, str]], headers: Mapping[str, str], body: bytes
    ) -> _Answer:
        user = self._x_user(method, path, params, headers, body)
        if user is None:
            return _x_problem(401, "Unauthorized", "Unauthorized")
        if method == "POST" and user.access_level == X_READ_ONLY:  # a Read-only app's token: see x_access_level
            return _x_problem(403, "Forbidden", NOT_PERMITTED_DETAIL)
        if method == "POST" and path == "/2/tweets":
            return self._x_create(user, body)
        if method == "POST" and path in ("/2/media/upload", "/2/media/metadata"):
            return self._x_media(user, path, headers, body)
        if method == "GET" and path == "/2/users/me":
            return _json_answer(200, {"data": {"id": user.user_id, "name": user.name, "username": user.username}})
        timeline = re.fullmatch(r"/2/users/(\d+)/tweets", path)
        if method == "GET" and timeline:
            return self._x_timeline(timeline.group(1), dict(params))
        return _x_problem(404, "Not Found Error", f"Could not find {method} {path}")

    def _x_create(self, user: XUser, body: bytes) -> _Answer:
        try:
            payload = json.loads(body)
        except ValueError:
            return _x_problem(400, "Invalid Request", INVALID_DETAIL)
        text = payload.get("text") if isinstance(payload, dict) else None
        if not isinstance(text, str) or not text:
            return _x_problem(400, "Invalid Request", INVALID_DETAIL)
        reply = payload.get("reply") or {}
        parent = reply.get("in_reply_to_tweet_id") if isinstance(reply, dict) else None
        attached = self._x_attached(user, payload.get("media"))
        if isinstance(attached, _Answer):
            return attached
        limit = X_LONG_LIMIT if user.long_posts else X_LIMIT
        if x_weighted_length(text) > limit:
            return _x_problem(403, "Forbidden", NOT_PERMITTED_DETAIL)
        with self._lock:
            if parent is not None and not any(p.platform == "x" and p.id == parent for p in self._posts):
                return _x_problem(400, "Invalid Request", INVALID_DETAIL)
            if any(p.platform == "x" and p.account == user.user_id and p.text == _nfc(text) for p in self._posts):
                self._duplicates_refused += 1
                return _x_problem(403, "Forbidden", DUPLICATE_DETAIL)
            post = CreatedPost("x", user.user_id, str(next(self._ids)), _nfc(text), parent, datetime.now(UTC), attached)
            self._posts.append(post)
        return _json_answer(201, {"data": {"id": post.id, "text": text, "edit_history_tweet_ids": [post.id]}})

    def _x_timeline(self, user_id: str, params: Mapping[str, str]) -> _Answer:
        try:
            max_results = int(params.get("max_results", "10"))
        except ValueError:
            max_results = 0
        if not 5 <= max_results <= 100:
            return _x_problem(400, "Invalid Request", INVALID_DETAIL)
        fields = set(params.get("tweet.fields", "").split(","))
        posts = [p for p in self.posts("x", user_id) if self._visible(p)][::-1][:max_results]
        data = [self._x_render(post, fields) for post in posts]
        meta: dict[str, object] = {"result_count": len(data)}
        if data:
            meta |= {"newest_id": data[0]["id"], "oldest_id": data[-1]["id"]}
        return _json_answer(200, {"data": data, "meta": meta} if data else {"meta": meta})

    def _x_render(self, post: CreatedPost, fields: set[str]) -> dict[str, Any]:
        """A post as X returns it: &, <, > escaped and URLs replaced by t.co links (with entities)."""
        text, urls = _shorten_urls(post.text)
        item: dict[str, Any] = {"id": post.id, "edit_history_tweet_ids": [post.id]}
        long_post = x_weighted_length(post.text) > X_LIMIT
        if post.media:  # X ends the text of a post with images with one more t.co link standing for them
            text, urls = _x_media_link(post, text, urls)
        item["text"] = _x_escape(text[:X_LIMIT] + "…" if long_post else text)
        if "entities" in fields and urls and not long_post:
            item["entities"] = {"urls": urls}
        if "note_tweet" in fields and long_post:
            note: dict[str, Any] = {"text": _x_escape(text)}
            if urls:
                note["entities"] = {"urls": urls}
            item["note_tweet"] = note
        return item

    # X media (issue 14) --------------------------------------------------------------------------------

    def expire_media(self) -> None:
        """Every media id and unpublished photo uploaded so far expires now."""
        with self._lock:
            for media_id, media in self._media.items():
                self._media[media_id] = replace(media, expires_at=time.time() - 1)

    def media(self, media_id: str) -> StoredMedia | None:
        with self._lock:
            return self._media.get(media_id)

    def _x_media(self, user: XUser, path: str, headers: Mapping[str, str], body: bytes) -> _Answer:
        """POST /2/media/upload (one-shot, JSON with base64 `media`) and POST /2/media/metadata (alt text)."""
        invalid = _x_problem(400, "Invalid Request", INVALID_DETAIL)
        if "application/json" not in headers.get("Content-Type", ""):
            return invalid
        try:
            payload = json.loads(body)
        except ValueError:
            return invalid
        if not isinstance(payload, dict):
            return invalid
        if path == "/2/media/metadata":
            media_id = str(payload.get("id") or "")
            alt = ((payload.get("metadata") or {}).get("alt_text") or {}).get("text")
            with self._lock:
                media = self._media.get(media_id)
                if media is None or not media.usable_by(user.user_id) or not isinstance(alt, str) or len(alt) > 1000:
                    return invalid
                self._media[media_id] = replace(media, alt=alt)
            answer = _json_answer(200, {"data": {"id": media_id, "associated_metadata": {"alt_text": {"text": alt}}}})
            answer.created = False
            return answer
        try:
            data = base64.b64decode(str(payload.get("media") or ""), validate=True)
        except ValueError:
            return invalid
        facts = _image_facts(data) if data else None
        category = payload.get("media_category")
        if facts is None or payload.get("media_type") != facts[0]:
            return invalid
        if category != ("tweet_gif" if facts[0] == "image/gif" else "tweet_image"):
            return invalid
        if len(data) > (X_GIF_LIMIT if facts[0] == "image/gif" else X_MEDIA_LIMIT):
            return invalid
        media_id = str(next(self._ids))
        stored = StoredMedia(
            "x",
            media_id,
            user.user_id,
            hashlib.sha256(data).hexdigest(),
            facts[0],
            facts[1],
            facts[2],
            expires_at=time.time() + self.x_media_ttl_seconds,
        )
        with self._lock:
            self._media[media_id] = stored
        answer = _json_answer(
            200,
            {
                "data": {
                    "id": media_id,
                    "media_key": f"3_{media_id}",
                    "size": len(data),
                    "expires_after_secs": self.x_media_ttl_seconds,
                    "image": {"image_type": facts[0], "w": facts[1], "h": facts[2]},
                }
            },
        )
        answer.created = False
        return answer

    def _x_attached(self, user: XUser, media: object) -> tuple[StoredMedia, ...] | _Answer:
        """The `media` of a POST /2/tweets body: usable ids of this user, 1-4 images or one GIF."""
        if media is None:
            return ()
        ids = media.get("media_ids") if isinstance(media, dict) else None
        if not isinstance(ids, list) or not 1 <= len(ids) <= 4:
            return _x_problem(400, "Invalid Request", INVALID_DETAIL)
        with self._lock:
            found = [self._media.get(str(media_id)) for media_id in ids]
        usable = [m for m in found if m is not None and m.platform == "x" and m.usable_by(user.user_id)]
        if len(usable) != len(ids) or (len(usable) > 1 and any(m.mime == "image/gif" for m in usable)):
            answer = _json_answer(
                400,
                {
                    "errors": [
                        {"parameters": {"media.media_ids": [str(i) for i in ids]}, "message": X_MEDIA_IDS_INVALID}
                    ],
                    "title": "Invalid Request",
                    "detail": INVALID_DETAIL,
                    "type": "https://api.twitter.com/2/problems/invalid-request",
                },
                "application/problem+json",
            )
            return answer
        return tuple(usable)

    # Graph ---------------------------------------------------------------------------------------------

    def _handle_graph(
        self, method: str, path: str, params: list[tuple[str, str]], headers: Mapping[str, str], body: bytes
    ) -> _Answer:
        values = dict(params)
        if "application/x-www-form-urlencoded" in headers.get("Content-Type", ""):
            values |= dict(parse_qsl(body.decode(), keep_blank_values=True))
        files: dict[str, bytes] = {}
        if "multipart/form-data" in headers.get("Content-Type", ""):  # issue 14: photo uploads
            fields, files = _multipart(headers["Content-Type"], body)
            values |= fields
        token = values.pop("access_token", "")
        if any(value in ("True", "False") for value in values.values()):
            return _graph_error(100, "(#100) Invalid parameter: booleans must be sent as true or false")
        parts = path.split("/")
        with self._lock:
            page = self._pages.get(parts[0])
            if parts[0] == "me":
                page = next((p for p in self._pages.values() if p.token == token), None)
        if page is None and parts[0] != "me":
            return _graph_error(100, f"(#100) Unsupported request: object '{parts[0]}' does not exist", 33)
        if page is None or not hmac.compare_digest(page.token.encode(), token.encode()):
            return _graph_error(190, "Invalid OAuth access token - Cannot parse access token", None)
        if len(parts) == 1 and method == "GET":
            return _json_answer(200, {"id": page.page_id, "name": page.name})
        if len(parts) == 2 and parts[1] == "photos" and method == "POST":
            return self._graph_photo(page, values, files)
        if len(parts) == 2 and parts[1] == "feed" and method == "POST":
            return self._graph_create(page, values)
        if len(parts) == 2 and parts[1] == "feed" and method == "GET":
            try:
                limit = int(values.get("limit", "25"))
            except ValueError:
                return _graph_error(100, "(#100) Param limit must be a number")
            posts = [p for p in self.posts("facebook", page.page_id) if self._visible(p)][::-1][:limit]
            data = [
                {
                    "id": p.id,
                    "message": p.text,
                    "created_time": p.created_at.strftime("%Y-%m-%dT%H:%M:%S+0000"),
                }
                for p in posts
            ]
            return _json_answer(200, {"data": data, "paging": {}})
        return _graph_error(2500, "Unknown path components: /" + "/".join(parts[1:]), None, status=400)

    def _graph_photo(self, page: FacebookPage, values: Mapping[str, str], files: Mapping[str, bytes]) -> _Answer:
        """POST /{page}/photos: `source` upload; published=false keeps it invisible until a feed post attaches it."""
        data = files.get("source", b"")
        facts = _image_facts(data) if data else None
        if facts is None:
            return _graph_error(324, "(#324) Requires upload file: missing or invalid image file")
        published = values.get("published", "true")
        if published not in ("true", "false"):
            return _graph_error(100, "(#100) Param published must be a boolean")
        photo_id = str(next(self._ids))
        alt = values.get("alt_text_custom")
        stored = StoredMedia(
            "facebook", photo_id, page.page_id, hashlib.sha256(data).hexdigest(), facts[0], facts[1], facts[2], alt
        )
        with self._lock:
            self._media[photo_id] = stored
        if published == "false":
            answer = _json_answer(200, {"id": photo_id})
            answer.created = False
            return answer
        post_id = f"{page.page_id}_{next(self._ids)}"
        post = CreatedPost(
            "facebook",
            page.page_id,
            post_id,
            _nfc(values.get("message", "")),
            None,
            datetime.now(UTC),
            (stored,),
        )
        with self._lock:
            self._posts.append(post)
        return _json_answer(200, {"id": photo_id, "post_id": post_id})

    def _graph_attached(self, page: FacebookPage, values: Mapping[str, str]) -> tuple[StoredMedia, ...] | _Answer:
        """attached_media[i]={"media_fbid": ...}: unpublished photos of this Page that have not expired."""
        attached: list[StoredMedia] = []
        for n in itertools.count():
            raw = values.get(f"attached_media[{n}]")
            if raw is None:
                break
            try:
                fbid = str(json.loads(raw).get("media_fbid"))
            except (ValueError, AttributeError):
                return _graph_error(100, f"(#100) param attached_media[{n}] must be a JSON object")
            with self._lock:
                media = self._media.get(fbid)
            if media is None or media.platform != "facebook" or not media.usable_by(page.page_id):
                return _graph_error(100, f"(#100) param attached_media[{n}] has an invalid media_fbid {fbid}")
            attached.append(media)
        return tuple(attached)

    def _graph_create(self, page: FacebookPage, values: Mapping[str, str]) -> _Answer:
        attached = self._graph_attached(page, values)
        if isinstance(attached, _Answer):
            return attached
        message = values.get("message")
        if not message:
            return _graph_error(100, "(#100) Missing message or attachment")
        if len(message) > FACEBOOK_LIMIT:
            return _graph_error(100, "(#100) Message too long")
        with self._lock:
            if any(
                p.platform == "facebook" and p.account == page.page_id and p.text == _nfc(message) for p in self._posts
            ):
                self._duplicates_refused += 1
                return _graph_error(506, "Duplicate status message", 1455006)
            post_id = f"{page.page_id}_{next(self._ids)}"
            self._posts.append(
                CreatedPost("facebook", page.page_id, post_id, _nfc(message), None, datetime.now(UTC), attached)
            )
        return _json_answer(200, {"id": post_id})


def _x_escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _x_media_link(post: CreatedPost, text: str, urls: list[dict[str, object]]) -> tuple[str, list[dict[str, object]]]:
    """Issue 14: the t.co link X appends to a post with images, one url entity per image with its media_key."""
    short = f"https://t.co/pic{post.id[-6:]}"
    start = len(text) + 1
    entities = [
        {
            "start": start,
            "end": start + len(short),
            "url": short,
            "expanded_url": f"https://x.com/i/web/status/{post.id}/photo/{n}",
            "display_url": f"pic.x.com/{post.id[-10:]}",
            "media_key": f"3_{media.id}",
        }
        for n, media in enumerate(post.media, start=1)
    ]
    return f"{text} {short}", urls + entities


def _shorten_urls(text: str) -> tuple[str, list[dict[str, object]]]:
    """Replace http(s) URLs by t.co links as X does; returns the new text and the url entities."""
    urls: list[dict[str, object]] = []
    out: list[str] = []
    position = 0
    for n, match in enumerate(re.finditer(r"https?://[^\s]+", text), start=1):
        out.append(text[position : match.start()])
        short = f"https://t.co/fake{n:06d}"
        start = sum(len(part) for part in out)
        expanded = match.group(0)
        display = re.sub(r"^https?://", "", expanded)
        urls.append(
            {
                "start": start,
                "end": start + len(short),
                "url": short,
                "expanded_url": expanded,
                "display_url": display,
            }
        )
        out.append(short)
        position = match.end()
    out.append(text[position:])
    return "".join(out), urls


class _Server(ThreadingHTTPServer):
    # socketserver's default backlog is 5: 50 accounts connecting at the same instant overflowed it, and the
    # dropped connections were retried by the clients' TCP one second later. Real API front ends do not do that.
    request_queue_size = 128

    def handle_error(self, request: Any, client_address: Any) -> None:
        """A client that went away (timed out, or was killed by a crash test) is not the server's error."""
        if not isinstance(sys.exc_info()[1], OSError):
            super().handle_error(request, client_address)


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "fakeapi/1.0"
    # http.server writes headers and body in two sends: with Nagle's algorithm the body waits ~40 ms for the
    # client's delayed ACK on every request. Real API front ends do not stall like that.
    disable_nagle_algorithm = True

    def log_message(self, format: str, *args: Any) -> None:  # the tests read state, not logs
        pass

    def do_GET(self) -> None:
        self._serve()

    def do_POST(self) -> None:
        self._serve()

    def _serve(self) -> None:
        api: FakeAPI = self.server.api  # type: ignore[attr-defined]
        received_at = time.time()
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        if len(body) < length:  # the client died while sending: a real server never processes half a request
            self.close_connection = True
            return
        if api.latency:
            time.sleep(api.latency)
        platform: PlatformName = "x" if self.path.startswith("/2/") else "facebook"
        received = api._received(platform, self.command, urlsplit(self.path).path)
        if api._notify(received) == "drop":
            self.close_connection = True
            return
        fault = api._take_fault(platform, self.command)
        if fault is not None and fault.kind == "drop":
            self.close_connection = True
            return
        if fault is not None and fault.kind == "respond":
            answer = _Answer(fault.status, fault.body, dict(fault.headers))
            self._write(answer)
            api._notify(replace(received, phase="answered", status=answer.status))
            return
        answer = api.handle(self.command, self.path, dict(self.headers.items()), body, received_at)
        created = self.command == "POST" and answer.status in (200, 201) and answer.created is not False
        handled = replace(received, phase="handled", status=answer.status, created=created)
        if api._notify(handled) == "drop" or (fault is not None and fault.kind == "commit_then_drop"):
            self.close_connection = True
            return
        if fault is not None and fault.kind == "commit_then_slow":
            time.sleep(fault.delay)
        if fault is not None and fault.kind == "commit_then_respond":
            answer = _Answer(fault.status, fault.body, dict(fault.headers))
        if self._write(answer):
            api._notify(replace(handled, phase="answered"))

    def _write(self, answer: _Answer) -> bool:
        try:
            self.send_response(answer.status)
            for name, value in answer.headers.items():
                self.send_header(name, value)
            self.send_header("Content-Length", str(len(answer.body)))
            self.end_headers()
            self.wfile.write(answer.body)
            self.wfile.flush()
        except OSError:  # the client gave up (timeout): nothing to do
            self.close_connection = True
            return False
        return True


@pytest.fixture(name="fake_api")
def fake_api_fixture() -> Iterator[FakeAPI]:
    """A started FakeAPI, stopped after the test."""
    api = FakeAPI().start()
    try:
        yield api
    finally:
        api.stop()


# --- helpers to build the bot's inputs for the fake accounts -------------------------------------------

LIMA = ZoneInfo("America/Lima")


def x_account(name: str = "cancilleria", handle: str = "CancilleriaPeru", prefix: str = "CANCILLERIA_X") -> Account:
    return Account(
        name=name,
        platform="x",
        credentials=prefix,
        limit=X_LIMIT,
        numbering="{i}/{n}",
        timezone=LIMA,
        handle=handle,
    )


def facebook_account(
    name: str = "cancilleria-fb",
    page_id: str = "104",
    prefix: str = "CANCILLERIA_FB",
    mode: Literal["single", "series"] = "single",
) -> Account:
    return Account(
        name=name,
        platform="facebook",
        credentials=prefix,
        limit=FACEBOOK_LIMIT,
        numbering=None,
        timezone=LIMA,
        page_id=page_id,
        mode=mode,
    )


def environment(*parts: Mapping[str, str]) -> Environment:
    values: dict[str, str] = {}
    for part in parts:
        values.update(part)
    return Environment(values)
