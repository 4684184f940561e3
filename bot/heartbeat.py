"""Heartbeat: while the daemon is healthy, ping HEARTBEAT_URL every HEARTBEAT_SECONDS (push monitors such as
healthchecks.io or Uptime Kuma alert when the pings stop); and the same loop for systemd's WATCHDOG=1.

A `Pulse` runs `beat()` on its own thread at a fixed rate, only while `healthy()` is true. The HTTP ping is a
GET with a short timeout through urllib (stdlib: no heavy import); a failure is logged at WARNING with the
URL's scheme and host only (monitor URLs carry their secret in the path), never raised.
"""

from __future__ import annotations

import logging
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from urllib.parse import urlsplit

from bot.i18n import _

logger = logging.getLogger(__name__)

DEFAULT_HEARTBEAT_SECONDS = 60.0
MIN_HEARTBEAT_SECONDS = 1.0
PING_TIMEOUT = 10.0


def parse_heartbeat_seconds(value: str | None) -> float:
    """HEARTBEAT_SECONDS; unset means 60. Raises ValueError with what to write."""
    if value is None or not value.strip():
        return DEFAULT_HEARTBEAT_SECONDS
    try:
        seconds = float(value.strip())
    except ValueError:
        seconds = -1.0
    if not seconds >= MIN_HEARTBEAT_SECONDS or seconds == float("inf"):
        raise ValueError(
            _(
                "HEARTBEAT_SECONDS={value!r} is not a period: write a number of seconds, at least "
                "{MIN_HEARTBEAT_SECONDS:g} (default {DEFAULT_HEARTBEAT_SECONDS:g})"
            ).format(
                value=value.strip(),
                MIN_HEARTBEAT_SECONDS=MIN_HEARTBEAT_SECONDS,
                DEFAULT_HEARTBEAT_SECONDS=DEFAULT_HEARTBEAT_SECONDS,
            )
        )
    return seconds


def check_heartbeat_url(value: str) -> str | None:
    """A problem with HEARTBEAT_URL (for validate), or None."""
    parts = urlsplit(value.strip())
    if parts.scheme not in ("http", "https") or not parts.netloc:
        return _("HEARTBEAT_URL must be an http:// or https:// URL, e.g. https://hc-ping.com/<your-check-uuid>")
    return None


def safe_url(url: str) -> str:
    """`https://hc-ping.com` — scheme and host, never the path that identifies (and authorises) the check."""
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.hostname or '?'}{f':{parts.port}' if parts.port else ''}"


class Pulse:
    """Calls `beat()` every `period` seconds (fixed rate; the first at once) while `healthy()` is true."""

    def __init__(self, name: str, period: float, healthy: Callable[[], bool], beat: Callable[[], object]) -> None:
        self.period = period
        self._healthy = healthy
        self._beat = beat
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name=name, daemon=True)

    def start(self) -> Pulse:
        self._thread.start()
        return self

    def stop(self, timeout: float = 5.0) -> None:
        self._stop.set()
        if self._thread.is_alive():
            self._thread.join(timeout)

    def _run(self) -> None:
        next_at = time.monotonic()
        while not self._stop.is_set():
            try:
                if self._healthy():
                    self._beat()
                else:
                    logger.warning(_("{name}: not healthy, beat skipped").format(name=self._thread.name))
            except Exception:  # a bug in a beat must not end the loop silently
                logger.exception(_("{name}: beat failed").format(name=self._thread.name))
            next_at += self.period
            now = time.monotonic()
            if next_at < now:  # a slow beat: skip the missed ones rather than fire a burst
                next_at = now + self.period
            self._stop.wait(next_at - now)


class HttpPing:
    """One GET to the heartbeat URL; failures logged at WARNING (host only), never raised."""

    def __init__(self, url: str, timeout: float = PING_TIMEOUT) -> None:
        self._url = url
        self._timeout = timeout
        self.label = safe_url(url)
        self.sent = 0
        self.failed = 0

    def __call__(self) -> None:
        request = urllib.request.Request(self._url, method="GET", headers={"User-Agent": "fiestas-patrias-bot"})
        try:
            with urllib.request.urlopen(request, timeout=self._timeout) as response:
                response.read(1024)
            self.sent += 1
        except urllib.error.HTTPError as error:
            self.failed += 1
            logger.warning(_("heartbeat to {label}: HTTP {code}").format(label=self.label, code=error.code))
        except (urllib.error.URLError, OSError, ValueError) as error:
            self.failed += 1
            reason = getattr(error, "reason", error)
            logger.warning(
                _("heartbeat to {label} failed: {__name__}").format(label=self.label, __name__=type(reason).__name__)
            )


def heartbeat(url: str, period: float, healthy: Callable[[], bool], timeout: float = PING_TIMEOUT) -> Pulse:
    """The HEARTBEAT_URL pulse (not started)."""
    return Pulse("heartbeat", period, healthy, HttpPing(url, min(timeout, period)))


def systemd_watchdog(notify: Callable[[], object], watchdog_seconds: float, healthy: Callable[[], bool]) -> Pulse:
    """WATCHDOG=1 at half the unit's WatchdogSec=, as systemd recommends (not started)."""
    return Pulse("watchdog", watchdog_seconds / 2, healthy, notify)
