"""Heartbeat pings against a local HTTP receiver, and systemd notify with a real AF_UNIX datagram socket."""

from __future__ import annotations

import logging
import os
import socket
import threading
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from bot.heartbeat import (
    check_heartbeat_url,
    heartbeat,
    parse_heartbeat_seconds,
    safe_url,
    systemd_watchdog,
)
from bot.sdnotify import Notifier
from tests.alert_receivers import HttpReceiver, free_port
from tests.alert_receivers import http_receiver_fixture as http_receiver_fixture


def test_heartbeat_seconds_default_and_errors() -> None:
    assert parse_heartbeat_seconds(None) == 60 and parse_heartbeat_seconds(" 2 ") == 2
    for bad in ("0", "-5", "soon", "nan", "inf"):
        with pytest.raises(ValueError, match=r"HEARTBEAT_SECONDS=.* is not a period: write a number of seconds"):
            parse_heartbeat_seconds(bad)
    assert check_heartbeat_url("https://hc-ping.com/1234") is None
    assert check_heartbeat_url("hc-ping.com/1234") is not None
    assert safe_url("https://hc-ping.com/5f2c-secret-uuid") == "https://hc-ping.com"


def test_heartbeat_pings_at_the_configured_period_while_healthy(http_receiver: HttpReceiver) -> None:
    period = 0.25  # HEARTBEAT_SECONDS is >= 1 in production; the loop is the same
    started = time.monotonic()
    pulse = heartbeat(http_receiver.url("http", "/ping/abc"), period, lambda: True).start()
    try:
        pings = http_receiver.wait_for(6, timeout=10)
    finally:
        pulse.stop()
    assert len(pings) >= 6 and all(p.method == "GET" and p.path == "/ping/abc" for p in pings)
    print("heartbeat pings (s):", " ".join(f"{p.at - started:.3f}" for p in pings[:6]))
    assert_fixed_rate([p.at for p in pings[:6]], started, period)


def assert_fixed_rate(stamps: list[float], started: float, period: float, slack: float = 5.0) -> None:
    """The k-th beat (from 0) never comes before `started` + k periods: a fixed rate, no burst, whatever the
    load. How late is bounded only generously (`slack`: a loaded machine pauses threads); bench/ has figures."""
    assert stamps == sorted(stamps)
    early = [(k, stamp - started) for k, stamp in enumerate(stamps) if stamp < started + k * period]
    assert early == [], early
    assert stamps[-1] - started <= (len(stamps) - 1) * period + slack


def test_heartbeat_stops_when_unhealthy_and_after_stop(http_receiver: HttpReceiver) -> None:
    healthy = threading.Event()
    healthy.set()
    pulse = heartbeat(http_receiver.url(), 0.1, healthy.is_set).start()
    try:
        http_receiver.wait_for(2)
        healthy.clear()
        time.sleep(0.15)  # let a beat in flight land
        count = len(http_receiver.received())
        time.sleep(0.4)
        assert len(http_receiver.received()) == count  # no ping while unhealthy
        healthy.set()
        http_receiver.wait_for(count + 1)
    finally:
        pulse.stop()
    count = len(http_receiver.received())
    time.sleep(0.3)
    assert len(http_receiver.received()) == count


def test_heartbeat_failures_are_logged_with_the_host_only(caplog: pytest.LogCaptureFixture) -> None:
    url = f"http://127.0.0.1:{free_port()}/ping/5f2c0b1e-secret-check-uuid"
    with caplog.at_level(logging.WARNING, logger="bot.heartbeat"):
        pulse = heartbeat(url, 0.05, lambda: True, timeout=1).start()
        deadline = time.monotonic() + 5
        while caplog.text.count("heartbeat to") < 2 and time.monotonic() < deadline:
            time.sleep(0.02)
        pulse.stop()
    assert "heartbeat to http://127.0.0.1:" in caplog.text and "failed: ConnectionRefusedError" in caplog.text
    assert "secret-check-uuid" not in caplog.text


def test_heartbeat_error_status_is_logged_not_raised(
    http_receiver: HttpReceiver, caplog: pytest.LogCaptureFixture
) -> None:
    http_receiver.status = 404
    with caplog.at_level(logging.WARNING, logger="bot.heartbeat"):
        pulse = heartbeat(http_receiver.url(), 0.05, lambda: True).start()
        http_receiver.wait_for(3)
        pulse.stop()
    assert "HTTP 404" in caplog.text


# --- systemd notify ------------------------------------------------------------------------------------------


@pytest.fixture(name="notify_socket")
def notify_socket_fixture(tmp_path: Path) -> Iterator[tuple[str, socket.socket]]:
    path = tmp_path / "notify.sock"
    with socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM) as server:
        server.bind(str(path))
        server.settimeout(5)
        yield str(path), server


def test_notify_sends_ready_watchdog_stopping_to_a_path_socket(notify_socket: tuple[str, socket.socket]) -> None:
    path, server = notify_socket
    notifier = Notifier({"NOTIFY_SOCKET": path})
    assert notifier.enabled
    assert notifier.ready("2 posts ahead") and notifier.watchdog() and notifier.stopping()
    assert [server.recv(4096) for _ in range(3)] == [b"READY=1\nSTATUS=2 posts ahead", b"WATCHDOG=1", b"STOPPING=1"]


def test_notify_supports_the_abstract_namespace() -> None:
    name = f"fiestas-bot-test-{uuid.uuid4().hex}"
    with socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM) as server:
        server.bind(b"\0" + name.encode())
        server.settimeout(5)
        assert Notifier({"NOTIFY_SOCKET": "@" + name}).ready()
        assert server.recv(4096) == b"READY=1"


def test_notify_is_a_no_op_without_notify_socket_and_never_raises(caplog: pytest.LogCaptureFixture) -> None:
    assert Notifier({}).enabled is False and Notifier({}).ready() is False
    with caplog.at_level(logging.WARNING, logger="bot.sdnotify"):
        assert Notifier({"NOTIFY_SOCKET": "/nonexistent/notify.sock"}).ready() is False
    assert "could not notify systemd (READY)" in caplog.text


def test_watchdog_interval_is_for_this_process_only() -> None:
    mine = {"NOTIFY_SOCKET": "/x", "WATCHDOG_USEC": "30000000", "WATCHDOG_PID": str(os.getpid())}
    assert Notifier(mine).watchdog_seconds == 30.0
    assert Notifier({**mine, "WATCHDOG_PID": "1"}).watchdog_seconds is None
    assert Notifier({"WATCHDOG_USEC": "0"}).watchdog_seconds is None


def test_watchdog_pulse_sends_watchdog_at_half_the_interval(notify_socket: tuple[str, socket.socket]) -> None:
    path, server = notify_socket
    notifier = Notifier({"NOTIFY_SOCKET": path, "WATCHDOG_USEC": "400000"})
    assert notifier.watchdog_seconds == 0.4
    started = time.monotonic()
    pulse = systemd_watchdog(notifier.watchdog, notifier.watchdog_seconds, lambda: True).start()
    try:
        stamps = []
        for _ in range(4):
            assert server.recv(4096) == b"WATCHDOG=1"
            stamps.append(time.monotonic())
    finally:
        pulse.stop()
    assert_fixed_rate(stamps, started, 0.2)  # half the interval
