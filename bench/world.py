"""A campaign folder for the daemon (schedule.yaml, messages/, .env) and the fake X/Graph server it talks to.

`Server` is tests/fakeapi.FakeAPI plus two things the benchmarks need: which account each request was for
(from the OAuth token of an X request, or the Page token of a Graph request) and when it arrived; and
TCP_NODELAY on its sockets (set here even if tests/fakeapi.py sets it too). Python's http.server writes an
answer's headers and body in two sends; with Nagle's algorithm on, the body waits for the client's delayed ACK
of the headers, about 40 ms on Linux, on every request. Real API front ends do not stall like that, so it
would be charged to the bot wrongly.
"""

from __future__ import annotations

import json
import re
import threading
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, unquote, urlsplit

from tests.fakeapi import FakeAPI, _Handler

ROOT = Path(__file__).resolve().parents[1]
MESSAGE = ROOT / "messages" / "mensaje-canciller-fiestas-patrias.txt"
CONNECTION_VARIABLES = ("X_API_BASE_URL", "FACEBOOK_GRAPH_URL", "FACEBOOK_GRAPH_VERSION", "HTTP_TIMEOUT_SECONDS")


@dataclass(frozen=True)
class Arrival:
    """One request as the server saw it: epoch seconds when it arrived, for which account, and its text."""

    at: float
    account: str
    method: str
    path: str
    text: str


class _NoDelayHandler(_Handler):
    disable_nagle_algorithm = True  # socketserver.StreamRequestHandler sets TCP_NODELAY on each connection


class Server(FakeAPI):
    """FakeAPI that attributes every request to an account name (the schedule's name for it)."""

    def __init__(self, latency: float = 0.0) -> None:
        super().__init__(latency=latency)
        self._server.RequestHandlerClass = _NoDelayHandler
        self._owners: dict[str, str] = {}  # access token -> account name
        self._arrivals: list[Arrival] = []
        self._arrivals_lock = threading.Lock()

    def start(self) -> Server:
        super().start()
        return self

    def x_account(self, name: str, handle: str, prefix: str) -> dict[str, str]:
        user, env = self.add_x_user(handle, name, prefix)
        self._owners[user.access_token] = name
        return env

    def page_account(self, name: str, page_id: str, prefix: str) -> dict[str, str]:
        page, env = self.add_page(page_id, name, prefix)
        self._owners[page.token] = name
        return env

    def handle(
        self, method: str, target: str, headers: Mapping[str, str], body: bytes, received_at: float = 0.0
    ) -> Any:
        answer = super().handle(method, target, headers, body, received_at)
        token, text = _token_and_text(target, headers, body)
        arrival = Arrival(received_at, self._owners.get(token, "?"), method, urlsplit(target).path, text)
        with self._arrivals_lock:
            self._arrivals.append(arrival)
        return answer

    def arrivals(self, account: str | None = None) -> list[Arrival]:
        with self._arrivals_lock:
            found = [a for a in self._arrivals if account is None or a.account == account]
        return sorted(found, key=lambda a: a.at)


def _token_and_text(target: str, headers: Mapping[str, str], body: bytes) -> tuple[str, str]:
    authorization = headers.get("Authorization", "")
    if authorization.startswith("OAuth "):
        match = re.search(r'oauth_token="([^"]*)"', authorization)
        text = ""
        if body.startswith(b"{"):
            payload = json.loads(body)
            text = str(payload.get("text", "")) if isinstance(payload, dict) else ""
        return (unquote(match.group(1)) if match else ""), text
    values = dict(parse_qsl(urlsplit(target).query))
    if "application/x-www-form-urlencoded" in headers.get("Content-Type", ""):
        values |= dict(parse_qsl(body.decode(), keep_blank_values=True))
    return values.get("access_token", ""), values.get("message", "")


@dataclass(frozen=True)
class AccountSpec:
    name: str
    platform: str  # "x" or "facebook"
    credentials: str
    handle: str | None = None
    page_id: str | None = None
    timezone: str | None = None


@dataclass(frozen=True)
class PostSpec:
    id: str
    message: str  # relative to the campaign folder
    at: str  # as written in schedule.yaml
    to: tuple[str, ...]


def schedule_time(moment: datetime) -> str:
    """A schedule time with seconds and an explicit UTC offset (the same instant for every account)."""
    return moment.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S+00:00")


class CampaignFolder:
    """A working folder with its own schedule.yaml, messages/ and .env."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        (folder / "messages").mkdir(parents=True, exist_ok=True)

    @property
    def schedule_path(self) -> Path:
        return self.folder / "schedule.yaml"

    def message(self, name: str, text: str) -> str:
        (self.folder / "messages" / name).write_text(text, encoding="utf-8")
        return f"messages/{name}"

    def env(self, variables: Mapping[str, str]) -> None:
        lines = [f"{name}={value}" for name, value in variables.items()]
        (self.folder / ".env").write_text("\n".join(lines) + "\n", encoding="utf-8")

    def schedule(self, accounts: Sequence[AccountSpec], posts: Sequence[PostSpec]) -> None:
        lines = ["timezone: America/Lima", "accounts:"]
        for account in accounts:
            fields = [f"platform: {account.platform}", f"credentials: {account.credentials}"]
            if account.handle:
                fields.append(f"handle: {account.handle}")
            if account.page_id:
                fields.append(f'page_id: "{account.page_id}"')
            if account.timezone:
                fields.append(f"timezone: {account.timezone}")
            lines.append(f"  {account.name}: {{{', '.join(fields)}}}")
        lines.append("posts:")
        for post in posts:
            lines += [
                f"  - id: {post.id}",
                f"    message: {post.message}",
                f"    at: {post.at}",
                f"    to: [{', '.join(post.to)}]",
            ]
        self.schedule_path.write_text("\n".join(lines) + "\n", encoding="utf-8")


def connection_env(server: FakeAPI, timeout: float = 5.0) -> dict[str, str]:
    return {"X_API_BASE_URL": server.url, "FACEBOOK_GRAPH_URL": server.url, "HTTP_TIMEOUT_SECONDS": f"{timeout:g}"}
