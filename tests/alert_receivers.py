"""Local receivers for real Apprise deliveries: an HTTP server for `json://` and an SMTP server for `mailto://`.

Both bind 127.0.0.1 on a free port, record what they receive, and are stopped by their fixtures.
"""

from __future__ import annotations

import json
import socket
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from email import message_from_bytes, policy
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult


@dataclass(frozen=True)
class Received:
    path: str
    method: str
    at: float  # time.monotonic()
    body: bytes

    def json(self) -> dict[str, Any]:
        data = json.loads(self.body) if self.body else {}
        assert isinstance(data, dict)
        return data


class HttpReceiver:
    """Answers every GET and POST with `status` (200 by default) and records it."""

    def __init__(self) -> None:
        self.status = 200
        # Cleared: every request is recorded on arrival, then held unanswered until it is set again (10 s at most).
        self.answering = threading.Event()
        self.answering.set()
        self._lock = threading.Lock()
        self._received: list[Received] = []
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
        self._server.daemon_threads = True
        self._server.receiver = self  # type: ignore[attr-defined]
        self._thread = threading.Thread(target=self._server.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True)

    def start(self) -> HttpReceiver:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=5)

    @property
    def port(self) -> int:
        return int(self._server.server_address[1])

    def url(self, scheme: str = "http", path: str = "/hook") -> str:
        return f"{scheme}://127.0.0.1:{self.port}{path}"

    def record(self, item: Received) -> None:
        with self._lock:
            self._received.append(item)

    def received(self) -> list[Received]:
        with self._lock:
            return list(self._received)

    def wait_for(self, count: int, timeout: float = 10.0) -> list[Received]:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            items = self.received()
            if len(items) >= count:
                return items
            time.sleep(0.02)
        return self.received()


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, format: str, *args: Any) -> None:
        pass

    def do_GET(self) -> None:
        self._serve()

    def do_POST(self) -> None:
        self._serve()

    def _serve(self) -> None:
        receiver: HttpReceiver = self.server.receiver  # type: ignore[attr-defined]
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        receiver.record(Received(self.path, self.command, time.monotonic(), body))
        receiver.answering.wait(10)
        self.send_response(receiver.status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", "2")
        self.end_headers()
        self.wfile.write(b"{}")


@dataclass(frozen=True)
class Mail:
    sender: str
    recipients: tuple[str, ...]
    subject: str
    body: str


class _SmtpHandler:
    def __init__(self) -> None:
        self.mails: list[Mail] = []

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        message = message_from_bytes(envelope.content, policy=policy.default)
        part = message.get_body(preferencelist=("plain", "html"))
        body = part.get_content() if part is not None else ""
        self.mails.append(Mail(envelope.mail_from, tuple(envelope.rcpt_tos), str(message["subject"]), body))
        return "250 Message accepted for delivery"


def _refuse_every_login(server: Any, session: Any, envelope: Any, mechanism: str, auth_data: Any) -> AuthResult:
    return AuthResult(success=False, handled=False)  # aiosmtpd answers 535 5.7.8 Authentication credentials invalid


class SmtpReceiver:
    """aiosmtpd on 127.0.0.1 (plain SMTP, no TLS, no auth): what Apprise sends with `mailto://...?mode=insecure`.
    With `refuse_login`, it offers AUTH (without TLS) and refuses every user and password."""

    def __init__(self, refuse_login: bool = False) -> None:
        self.handler = _SmtpHandler()
        self.port = free_port()
        auth: dict[str, Any] = {}
        if refuse_login:
            auth = {"authenticator": _refuse_every_login, "auth_require_tls": False}
        self._controller = Controller(self.handler, hostname="127.0.0.1", port=self.port, **auth)

    def start(self) -> SmtpReceiver:
        self._controller.start()
        return self

    def stop(self) -> None:
        self._controller.stop()

    def url(self, to: str = "ops@example.org") -> str:
        return f"mailto://127.0.0.1:{self.port}?from=bot@example.org&to={to}&mode=insecure"

    def wait_for(self, count: int, timeout: float = 10.0) -> list[Mail]:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline and len(self.handler.mails) < count:
            time.sleep(0.02)
        return list(self.handler.mails)


def free_port() -> int:
    """A port nothing listens on (a closed port, for failing deliveries; or one to bind next)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.fixture(name="http_receiver")
def http_receiver_fixture() -> Iterator[HttpReceiver]:
    receiver = HttpReceiver().start()
    try:
        yield receiver
    finally:
        receiver.stop()


@pytest.fixture(name="smtp_receiver")
def smtp_receiver_fixture() -> Iterator[SmtpReceiver]:
    receiver = SmtpReceiver().start()
    try:
        yield receiver
    finally:
        receiver.stop()
