"""AlertSender: delivers alerts off the publishing path, and the Apprise target that does the delivering.

`send()` only filters, dedupes and enqueues (microseconds; never blocks, never raises). One background thread
delivers each alert to each target with a hard timeout per attempt (the attempt runs on its own short-lived
thread, so a plugin that hangs is abandoned, not waited for) and retries a failed target a few times with
backoff, without holding up the other alerts. Failures are logged at WARNING with the target's label only.
"""

from __future__ import annotations

import contextlib
import heapq
import itertools
import logging
import queue
import re
import threading
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import ClassVar, Protocol

from bot.alerts.model import Alert, AlertLevel
from bot.alerts.urls import describe_url
from bot.i18n import _

logger = logging.getLogger(__name__)

DEDUPE_WINDOW = timedelta(minutes=10)
DEFAULT_TIMEOUT = 10.0  # seconds per delivery attempt
DEFAULT_BACKOFF = (5.0, 30.0, 120.0)  # seconds before each retry: 3 retries, then the alert is given up
QUEUE_SIZE = 200


class DeliveryError(Exception):
    """One delivery failed. `str(error)` is safe to log: it never holds the URL's secrets."""


class Target(Protocol):
    """Somewhere alerts go: one Apprise URL in production."""

    @property
    def label(self) -> str:
        """Safe to log: scheme and host at most."""
        ...

    def deliver(self, alert: Alert) -> None:
        """Deliver or raise DeliveryError. May block; the sender bounds it with a timeout."""
        ...


@dataclass(order=True)
class _Retry:
    due: float  # time.monotonic()
    seq: int
    alert: Alert = field(compare=False)
    target: Target = field(compare=False)
    attempt: int = field(compare=False)


_STOP = object()


class AlertSender:
    """Filters by level, dedupes, queues, delivers in the background. Thread-safe.

    `clock` gives the time used for the 10-minute dedupe window (passed in so tests control it); the
    retry backoff uses the monotonic clock of the delivering thread.
    """

    def __init__(
        self,
        targets: Sequence[Target],
        level: AlertLevel,
        clock: Callable[[], datetime],
        *,
        timeout: float = DEFAULT_TIMEOUT,
        backoff: Sequence[float] = DEFAULT_BACKOFF,
        queue_size: int = QUEUE_SIZE,
        dedupe_window: timedelta = DEDUPE_WINDOW,
        secrets: Iterable[str] = (),
    ) -> None:
        self.targets = tuple(targets)
        self.level = level
        self._clock = clock
        self._timeout = timeout
        self._backoff = tuple(backoff)
        self._window = dedupe_window
        self._secrets = sorted((s for s in secrets if len(s) >= 4), key=len, reverse=True)
        self._queue: queue.Queue[object] = queue.Queue(maxsize=queue_size)
        self._sent: dict[tuple[str, str, str | None, str | None], datetime] = {}
        self._lock = threading.Lock()
        self._retries: list[_Retry] = []
        self._seq = itertools.count()
        self._thread = threading.Thread(target=self._run, name="alerts", daemon=True)
        self.delivered = 0  # attempts that succeeded (for tests and status)
        self.failed = 0  # alerts given up on a target after every retry

    def start(self) -> AlertSender:
        if self.targets:
            self._thread.start()
        return self

    def send(self, alert: Alert) -> bool:
        """Queue `alert` unless the level filters it out or the same alert went out within the window.

        Returns True when queued. Never blocks and never raises: alerts must never harm publishing.
        """
        try:
            if not self.targets or not self.level.admits(alert.kind):
                return False
            now = self._clock()
            with self._lock:
                last = self._sent.get(alert.dedupe_key)
                if last is not None and now - last < self._window:
                    logger.debug(
                        _("alert {title!r} not repeated: sent {now} ago").format(title=alert.title, now=now - last)
                    )
                    return False
                self._sent[alert.dedupe_key] = now
                if len(self._sent) > 1000:  # a long run: forget what is past the window
                    self._sent = {k: t for k, t in self._sent.items() if now - t < self._window}
            self._queue.put_nowait(self._scrub(alert))
            return True
        except queue.Full:
            with self._lock:  # not sent: a later identical alert may go out
                self._sent.pop(alert.dedupe_key, None)
            logger.warning(
                _("alert queue full ({qsize} waiting): alert {title!r} dropped").format(
                    qsize=self._queue.qsize(), title=alert.title
                )
            )
            return False
        except Exception:  # a bug here must not reach the publishing thread
            logger.exception(_("alert {title!r} could not be queued").format(title=alert.title))
            return False

    def stop(self, timeout: float = 15.0) -> None:
        """Deliver what is queued (each attempt still bounded by the timeout), drop pending retries, stop."""
        if not self._thread.is_alive():
            return
        try:
            self._queue.put(_STOP, timeout=timeout)
        except queue.Full:
            logger.warning(_("alert queue full at stop: queued alerts are dropped"))
            return
        self._thread.join(timeout)
        if self._thread.is_alive():
            logger.warning(
                _("alerts still being delivered after {timeout:.0f} s at stop: left behind").format(timeout=timeout)
            )

    # --- the delivering thread -------------------------------------------------------------------------

    def _scrub(self, alert: Alert) -> Alert:
        """Defence in depth: a known secret value that slipped into a text is replaced by its mask."""
        title, body = alert.title, alert.body
        for secret in self._secrets:
            hidden = "…" + secret[-4:] if len(secret) > 8 else "****"
            title, body = title.replace(secret, hidden), body.replace(secret, hidden)
        if (title, body) == (alert.title, alert.body):
            return alert
        return Alert(alert.kind, title, body, alert.post_id, alert.account)

    def _run(self) -> None:
        while True:
            wait = None
            if self._retries:
                wait = max(0.0, self._retries[0].due - time.monotonic())
            try:
                item = self._queue.get(timeout=wait)
            except queue.Empty:
                retry = heapq.heappop(self._retries)
                self._attempt(retry.alert, retry.target, retry.attempt)
                continue
            if item is _STOP:
                if self._retries:
                    logger.warning(
                        _("stopping: {_retries} alert retries left undelivered").format(_retries=len(self._retries))
                    )
                return
            assert isinstance(item, Alert)
            for target in self.targets:
                self._attempt(item, target, 0)

    def _attempt(self, alert: Alert, target: Target, attempt: int) -> None:
        error = call_with_timeout(lambda: target.deliver(alert), self._timeout)
        if error is None:
            self.delivered += 1
            logger.debug(_("alert {title!r} delivered to {label}").format(title=alert.title, label=target.label))
            return
        if attempt < len(self._backoff):
            delay = self._backoff[attempt]
            logger.warning(
                _("alert {title!r} to {label} failed ({error}); retry {attempt} of {_backoff} in {delay:.0f} s").format(
                    title=alert.title,
                    label=target.label,
                    error=error,
                    attempt=attempt + 1,
                    _backoff=len(self._backoff),
                    delay=delay,
                ),
            )
            heapq.heappush(self._retries, _Retry(time.monotonic() + delay, next(self._seq), alert, target, attempt + 1))
            return
        self.failed += 1
        logger.warning(
            _("alert {title!r} to {label} failed ({error}); given up after {attempt} attempts").format(
                title=alert.title, label=target.label, error=error, attempt=attempt + 1
            )
        )


def call_with_timeout(action: Callable[[], None], timeout: float) -> str | None:
    """Run `action` on its own daemon thread; None when it returned, else why not (safe to log)."""
    outcome: list[str | None] = []

    def run() -> None:
        try:
            action()
            outcome.append(None)
        except DeliveryError as error:
            outcome.append(str(error))
        except Exception as error:  # a plugin's own exception: its text may hold the URL, so name the type only
            outcome.append(f"{type(error).__name__} in the notification library")

    worker = threading.Thread(target=run, name="alert-delivery", daemon=True)
    worker.start()
    worker.join(timeout)
    if worker.is_alive() or not outcome:
        return _("no answer within {timeout:g} s").format(timeout=timeout)
    return outcome[0]


# --- Apprise -------------------------------------------------------------------------------------------

_APPRISE_TYPES = {"failure": "failure", "warning": "warning", "success": "success", "info": "info"}


class AppriseTarget:
    """One Apprise URL. apprise is imported on first delivery, never at import time."""

    def __init__(self, url: str, label: str | None = None) -> None:
        self._url = url
        self.label = label or describe_url(url)

    def __repr__(self) -> str:  # never the URL: it carries tokens
        return f"AppriseTarget({self.label})"

    def parses(self) -> bool:
        """Does Apprise accept this URL? (Imports apprise.)"""
        import apprise

        return bool(apprise.Apprise().add(self._url))

    def deliver(self, alert: Alert) -> None:
        import apprise

        notifier = apprise.Apprise()
        if not notifier.add(self._url):
            raise DeliveryError("Apprise cannot parse this URL (unknown scheme or missing parts)")
        capture = _ThreadLogCapture(self._url)
        with capture:
            ok = notifier.notify(title=alert.title, body=alert.body, notify_type=_APPRISE_TYPES[alert.kind])
        if not ok:
            raise DeliveryError(capture.reason() or "Apprise reported that the delivery failed")


class _ThreadLogCapture(logging.Handler):
    """Apprise says why a delivery failed only in its log: keep this thread's lines, with the URL's secret
    parts (user, password, path and query pieces, a token-like host) blanked out. The reason is the last
    warning, with the exception the plugin logged after it at debug level (`Socket Exception: ...`)."""

    _DETAIL = re.compile(r"^\w+ (Exception|Error)\b[^:\n]{0,40}:\s*\S")

    _active: ClassVar[set[_ThreadLogCapture]] = set()  # the deliveries under way
    _guard = threading.Lock()
    _saved: ClassVar[tuple[int, bool]] = (logging.NOTSET, True)  # the apprise logger's level and propagate
    _forward: ClassVar[logging.Handler | None] = None

    def __init__(self, url: str) -> None:
        super().__init__(logging.DEBUG)
        self._thread = threading.get_ident()
        self._lines: list[tuple[int, str]] = []
        rest = url.split("://", 1)[-1]
        self._pieces = sorted({p for p in _pieces_of(rest) if len(p) >= 4}, key=len, reverse=True)
        self._host = describe_url(url).split("://", 1)[-1]

    def __enter__(self) -> None:
        apprise_logger = logging.getLogger("apprise")
        with self._guard:
            if not self._active:
                # The plugin's reason (an SMTP or socket error) is a debug line, which may quote the URL: debug
                # lines reach these captures only; the rest goes on to the root's handlers as before.
                cls = type(self)
                cls._saved = (apprise_logger.level, apprise_logger.propagate)
                cls._forward = _ToRoot(apprise_logger.getEffectiveLevel())
                apprise_logger.addHandler(cls._forward)
                apprise_logger.propagate = False
                apprise_logger.setLevel(logging.DEBUG)
            self._active.add(self)
            apprise_logger.addHandler(self)

    def __exit__(self, *exc: object) -> None:
        apprise_logger = logging.getLogger("apprise")
        with self._guard:
            apprise_logger.removeHandler(self)
            self._active.discard(self)
            if not self._active and self._forward is not None:
                apprise_logger.setLevel(self._saved[0])
                apprise_logger.propagate = self._saved[1]
                apprise_logger.removeHandler(self._forward)
                type(self)._forward = None

    def emit(self, record: logging.LogRecord) -> None:
        # Apprise may log from its own worker threads: their lines are this delivery's when it is the only one.
        if record.thread == self._thread or len(self._active) == 1:
            with contextlib.suppress(TypeError, ValueError):
                self._lines.append((record.levelno, record.getMessage()))

    def _masked(self, line: str) -> str:
        text = line.strip()
        for piece in self._pieces:
            if piece not in self._host:
                text = text.replace(piece, "***")
        return text

    def reason(self) -> str:
        warnings = [i for i, (level, text) in enumerate(self._lines) if level >= logging.WARNING and text.strip()]
        if not warnings:
            return ""
        reason = self._masked(self._lines[warnings[-1]][1])
        details = [text for _, text in self._lines[warnings[-1] + 1 :] if self._DETAIL.match(text.strip())]
        if details:
            reason += f" ({self._masked(details[0].splitlines()[0])})"
        return reason[:300]


class _ToRoot(logging.Handler):
    """What the apprise logger passed to the root's handlers before its level was lowered: the same still."""

    def emit(self, record: logging.LogRecord) -> None:
        root = logging.getLogger()
        if root.filter(record):
            for handler in root.handlers:  # as propagation does (the apprise logger's NullHandler: no last resort)
                if record.levelno >= handler.level:
                    handler.handle(record)


def _pieces_of(rest: str) -> list[str]:
    return [piece for piece in re.split(r"[/:@?&=#,]+", rest) if piece]
