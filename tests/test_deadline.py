"""Every request has a total deadline: connect + upload + answer as one total (issue 18 item 3).

`requests`' own timeout bounds each socket operation: a server that trickles its answer one byte at a time,
or reads an upload slowly, keeps a request alive for as long as it likes. The takeover wait of
docs/high-availability.md needs a bound on when a request can still reach the platform, so the transport
adapter (bot/publishers/deadline.py) shuts a request down at its deadline. Tested with real tweepy and
facebook-sdk against a raw socket server that trickles, in this file (tests/fakeapi.py answers at once).
"""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Callable, Iterator

import pytest
import requests

from bot.credentials import ConnectionSettings
from bot.publishers.base import MediaUpload, OutcomeUnknown
from bot.publishers.deadline import Deadline, DeadlineExceeded
from bot.publishers.facebook import FacebookPublisher
from bot.publishers.transport import make_session
from bot.publishers.x import XPublisher
from tests.fakeapi import FakeAPI, environment, facebook_account, x_account

TOTAL = 0.6  # the deadline; every single socket operation of the slow server takes far less
STEP = 0.1  # the slow server's pace
TRICKLE = 40  # bytes trickled one per STEP: 4 s in all, far past the deadline
Handler = Callable[[socket.socket], None]


class SlowServer:
    """Accepts connections on 127.0.0.1 and runs `handler` on each; records when each connection ended."""

    def __init__(self, handler: Handler, receive_buffer: int | None = None) -> None:
        self.handler = handler
        self.listener = socket.socket()
        if receive_buffer is not None:  # inherited by accepted connections: a small window, the rest waits
            self.listener.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, receive_buffer)
        self.listener.bind(("127.0.0.1", 0))
        self.listener.listen()
        self.port = self.listener.getsockname()[1]
        self.url = f"http://127.0.0.1:{self.port}"
        self.closed_early = threading.Event()  # the client went away before the server had finished
        self.received = 0  # bytes of request read
        self._thread = threading.Thread(target=self._serve, daemon=True)
        self._thread.start()

    def _serve(self) -> None:
        while True:
            try:
                conn, _ = self.listener.accept()
            except OSError:
                return
            threading.Thread(target=self._one, args=(conn,), daemon=True).start()

    def _one(self, conn: socket.socket) -> None:
        with conn:
            try:
                self.handler(conn)
            except OSError:
                self.closed_early.set()

    def stop(self) -> None:
        self.listener.close()


def read_head(conn: socket.socket) -> bytes:
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = conn.recv(4096)
        if not chunk:
            raise ConnectionResetError("client went away")
        data += chunk
    return data


def trickle_answer(conn: socket.socket) -> None:
    """Read the request, then answer 200 with a JSON body sent one byte per STEP (each read is quick)."""
    read_head(conn)
    body = b'{"data": {"id": "1", "text": "hola"}}'.ljust(TRICKLE)
    conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: %d\r\n\r\n" % len(body))
    for byte in body:
        time.sleep(STEP)
        conn.sendall(bytes([byte]))
    conn.recv(1)  # the client reading the whole answer: no early close
    time.sleep(0.5)


@pytest.fixture
def trickler() -> Iterator[SlowServer]:
    server = SlowServer(trickle_answer)
    yield server
    server.stop()


def settings(url: str, total: float = TOTAL) -> ConnectionSettings:
    return ConnectionSettings(
        x_api_base_url=url, facebook_graph_url=url, facebook_graph_version="v25.0", timeout_seconds=total
    )


def test_a_trickled_answer_is_cut_at_the_total_deadline(trickler: SlowServer) -> None:
    # requests' own timeout alone (per socket operation) lets the whole trickle through: the reason for the deadline
    plain = requests.get(trickler.url + "/x", timeout=TOTAL)
    assert plain.status_code == 200 and len(plain.content) == TRICKLE
    session = make_session("https://api.twitter.com", trickler.url, TOTAL)
    started = time.monotonic()
    with pytest.raises(DeadlineExceeded, match=r"deadline of 0\.6 s"):
        session.get("https://api.twitter.com/2/users/me")
    assert time.monotonic() - started < TRICKLE * STEP / 2  # stopped long before the trickle would end
    assert trickler.closed_early.wait(5)  # the server saw the connection go away mid-answer


def test_an_x_post_answered_past_its_deadline_is_outcome_unknown(trickler: SlowServer) -> None:
    user, env = FakeAPI().add_x_user("CancilleriaPeru", "Cancillería del Perú", "CANCILLERIA_X")
    publisher = XPublisher(x_account(), environment(env), settings(trickler.url))
    with pytest.raises(OutcomeUnknown, match="DeadlineExceeded"):
        publisher.publish("¡Felices Fiestas Patrias!")
    assert trickler.closed_early.wait(5)
    assert user.user_id  # the fake's user only supplied credentials; the trickling server answered


def test_a_photo_upload_read_slowly_by_the_server_stops_at_the_deadline() -> None:
    """Facebook's one-image post uploads the photo inside the post request: the deadline covers the upload."""
    client_gave_up = threading.Event()

    def slow_reader(conn: socket.socket) -> None:
        while True:
            if not client_gave_up.is_set():
                time.sleep(STEP)  # 10 KB/s until the client gives up, then everything that still arrives
            chunk = conn.recv(1024 if not client_gave_up.is_set() else 1 << 20)
            if not chunk:
                raise ConnectionResetError("client went away")
            server.received += len(chunk)

    server = SlowServer(slow_reader, receive_buffer=8192)
    size = 6_000_000
    try:
        page_env = {"CANCILLERIA_FB_PAGE_TOKEN": "EAAB-fake-page-token-for-the-deadline-test"}
        publisher = FacebookPublisher(facebook_account(), environment(page_env), settings(server.url))
        photo = MediaUpload(b"\x89PNG\r\n\x1a\n" + bytes(size), "image/png", "el escudo", "escudo.png")
        started = time.monotonic()
        with pytest.raises(OutcomeUnknown, match="DeadlineExceeded"):
            publisher.publish("¡Felices Fiestas Patrias!", media=[photo])
        assert time.monotonic() - started < 10
        client_gave_up.set()
        assert server.closed_early.wait(10)
        assert server.received < size / 2, server.received  # the rest of the upload never left
    finally:
        server.stop()


def test_a_request_that_never_connected_is_a_connect_timeout_nothing_sent() -> None:
    # A listener that never accepts, with its backlog full: connecting hangs (SYNs are dropped) until the deadline.
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(0)
    port = listener.getsockname()[1]
    fillers = []
    try:
        for _ in range(8):  # fill the accept queue
            filler = socket.socket()
            filler.setblocking(False)
            filler.connect_ex(("127.0.0.1", port))
            fillers.append(filler)
        session = make_session("https://graph.facebook.com", f"http://127.0.0.1:{port}", TOTAL)
        with pytest.raises(requests.exceptions.ConnectTimeout):
            session.post("https://graph.facebook.com/v25.0/104/feed", data={"message": "hola"})
    finally:
        for filler in fillers:
            filler.close()
        listener.close()


def test_a_deadline_has_passed_when_its_time_is_up_even_before_the_watchdog_runs() -> None:
    """The watchdog thread can run late on a busy machine: the clock, not only its flag, says the deadline passed
    (the adapter then reports a timeout, never a plain connection error)."""
    deadline = Deadline(0.05)  # never armed: no watchdog will expire it
    assert not deadline.passed()
    time.sleep(0.06)
    assert deadline.passed() and not deadline.expired
    with socket.socket() as sock, pytest.raises(TimeoutError):
        deadline.attach(sock)
