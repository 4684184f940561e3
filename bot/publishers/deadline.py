"""A total deadline on every HTTP request: connect, upload and answer as one total, not per socket operation.

`requests`' timeout bounds each connect and each read separately: a server that trickles its answer (or
reads a photo upload slowly) can keep a request going for as long as it likes, one byte per period. The
takeover wait of docs/high-availability.md needs a bound on when a daemon's request can still reach the
platform, so every request through DeadlineAdapter has a deadline `total` seconds after it is handed over:

- connecting gets only the time left (a connection that completes after the deadline is closed unused:
  nothing was sent);
- the socket of the request is registered with one watchdog thread, which shuts it down at the deadline
  (to be closed with a reset, dropping what the kernel still queues): an upload or a read blocked on it
  fails at once, and no more of the request leaves;
- the answer's body is read inside the deadline (neither client library streams).

A request stopped this way raises DeadlineExceeded (a `requests` Timeout: the request may have reached the
server, its outcome is unknown), or ConnectTimeout when no connection was ever handed to it (nothing was
sent). Imports requests and urllib3; only transport.py imports this module.
"""

from __future__ import annotations

import contextlib
import heapq
import itertools
import socket
import struct
import threading
import time
from typing import Any

import requests
from requests.adapters import HTTPAdapter
from urllib3.connection import HTTPConnection, HTTPSConnection
from urllib3.connectionpool import HTTPConnectionPool, HTTPSConnectionPool
from urllib3.poolmanager import PoolManager

from bot.i18n import _

_local = threading.local()  # the deadline of the request this thread is sending, if any
_RESET_ON_CLOSE = struct.pack("ii", 1, 0)  # SO_LINGER on, 0 s


class DeadlineExceeded(requests.exceptions.Timeout):
    """The request's total deadline passed after it may have reached the server: its outcome is unknown."""


class Deadline:
    """One request's deadline and the sockets it uses (shut down when it passes)."""

    def __init__(self, seconds: float) -> None:
        self.seconds = seconds
        self.at = time.monotonic() + seconds
        self.expired = False
        self.finished = False
        self.connected = False  # a connection was handed to the request: it may have reached the server
        self._lock = threading.Lock()
        self._sockets: list[socket.socket] = []

    def left(self) -> float:
        return max(self.at - time.monotonic(), 0.0)

    def passed(self) -> bool:
        """Expired by the watchdog, or its time is up (on a busy machine the watchdog thread can run late)."""
        return self.expired or time.monotonic() >= self.at

    def attach(self, sock: socket.socket) -> None:
        """The request is about to use `sock`. Raises TimeoutError (nothing sent on it) once expired."""
        with self._lock:
            if self.passed():
                raise TimeoutError(_("the request's deadline passed while connecting"))
            self._sockets.append(sock)
            self.connected = True

    def finish(self) -> None:
        """The request is over (answered or failed): the watchdog leaves its sockets alone from now on."""
        with self._lock:
            self.finished = True
            self._sockets = []

    def expire(self) -> None:
        """The deadline passed: shut the request's sockets down (blocked sends and reads fail at once)."""
        with self._lock:
            if self.finished:
                return
            self.expired = True
            sockets, self._sockets = self._sockets, []
        for sock in sockets:
            with contextlib.suppress(OSError):  # already closed
                # Closed with a reset, not a FIN after the queued bytes: what the kernel still holds of the
                # upload is dropped, not delivered late. The sending thread closes the socket once woken.
                sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, _RESET_ON_CLOSE)
                sock.shutdown(socket.SHUT_RDWR)


class _Watchdog:
    """One thread for every deadline of the process: expires each when its time comes."""

    def __init__(self) -> None:
        self._state = threading.Condition()
        self._heap: list[tuple[float, int, Deadline]] = []
        self._order = itertools.count()
        self._thread: threading.Thread | None = None

    def arm(self, deadline: Deadline) -> None:
        with self._state:
            sooner = not self._heap or deadline.at < self._heap[0][0]  # else the loop wakes in time anyway
            heapq.heappush(self._heap, (deadline.at, next(self._order), deadline))
            if self._thread is None:
                self._thread = threading.Thread(target=self._loop, name="http deadlines", daemon=True)
                self._thread.start()
            if sooner:  # issue 22: fifty requests at one instant woke this thread fifty times, for nothing
                self._state.notify()

    def _loop(self) -> None:
        while True:
            with self._state:
                while not self._heap:
                    self._state.wait()
                at, _, deadline = self._heap[0]
                if deadline.finished:
                    heapq.heappop(self._heap)
                    continue
                wait = at - time.monotonic()
                if wait > 0:
                    self._state.wait(wait)
                    continue
                heapq.heappop(self._heap)
            deadline.expire()


_watchdog = _Watchdog()


def _current() -> Deadline | None:
    deadline: Deadline | None = getattr(_local, "deadline", None)
    return deadline


class _DeadlineMixin:
    """A urllib3 connection that connects within the time left and registers its socket with the deadline."""

    sock: socket.socket | None
    timeout: Any

    def connect(self) -> None:
        deadline = _current()
        if deadline is not None:
            left = deadline.left()
            if left <= 0:
                raise TimeoutError(_("the request's deadline passed before connecting"))
            self.timeout = left if not isinstance(self.timeout, int | float) else min(self.timeout, left)
        super().connect()  # type: ignore[misc]
        if deadline is not None and self.sock is not None:
            try:
                deadline.attach(self.sock)
            except TimeoutError:
                self.sock.close()
                self.sock = None
                raise

    def request(self, *args: Any, **kwargs: Any) -> None:
        deadline = _current()
        if deadline is not None and self.sock is not None:  # a kept-alive connection (else connect() attaches)
            deadline.attach(self.sock)
        super().request(*args, **kwargs)  # type: ignore[misc]


class _HTTPConnection(_DeadlineMixin, HTTPConnection):
    pass


class _HTTPSConnection(_DeadlineMixin, HTTPSConnection):
    pass


class _HTTPPool(HTTPConnectionPool):
    ConnectionCls = _HTTPConnection


class _HTTPSPool(HTTPSConnectionPool):
    ConnectionCls = _HTTPSConnection


def _use_deadline_pools(manager: PoolManager) -> PoolManager:
    manager.pool_classes_by_scheme = {"http": _HTTPPool, "https": _HTTPSPool}
    return manager


class DeadlineAdapter(HTTPAdapter):
    """An HTTPAdapter whose every request ends within `total` seconds (connect + upload + answer)."""

    def __init__(self, total: float) -> None:
        self.total = total
        super().__init__(max_retries=0)  # adapters never retry: the runner decides

    def init_poolmanager(self, *args: Any, **kwargs: Any) -> None:
        super().init_poolmanager(*args, **kwargs)
        _use_deadline_pools(self.poolmanager)

    def proxy_manager_for(self, *args: Any, **kwargs: Any) -> PoolManager:
        manager: PoolManager = super().proxy_manager_for(*args, **kwargs)
        return _use_deadline_pools(manager)

    def send(  # type: ignore[override]
        self, request: requests.PreparedRequest, **kwargs: Any
    ) -> requests.Response:
        deadline = Deadline(self.total)
        _watchdog.arm(deadline)
        _local.deadline = deadline
        try:
            response = super().send(request, **kwargs)
            _body = response.content  # the body too, inside the deadline
            return response
        except (requests.RequestException, OSError) as error:
            if not deadline.passed():
                raise
            message = _("no complete answer within the request's deadline of {seconds} s").format(
                seconds=f"{self.total:g}"
            )
            if not deadline.connected:
                raise requests.exceptions.ConnectTimeout(message, request=request) from error
            raise DeadlineExceeded(message, request=request) from error
        finally:
            _local.deadline = None
            deadline.finish()
