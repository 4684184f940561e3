"""The PostgreSQL outbox's connections: a capped pool, one transaction at a time on each, and the reconnection rule.

Connections: in autocommit mode with explicit transactions, the session in UTC with lock and statement timeouts
and TCP keepalives (a cut network is noticed in seconds, not hours). Losing the connection (a restarted server,
a network cut):

- a read, or a write that failed before its COMMIT was sent (so the server rolled it back), is run again
  once on a new connection: nothing half-done can result;
- a write whose COMMIT was sent but not answered raises StoreUnavailable(in_doubt=True) and is never
  repeated; the outbox protocol resolves it like a crash (a `sending` fragment is looked up first);
- a server that cannot be reached raises StoreUnavailable: retry later.

A daemon opens at most MAX_CONNECTIONS (several daemons share PostgreSQL's max_connections, 100 by default):
a transaction that finds them all busy waits for one to be put back (each is held for one transaction, a few
milliseconds), and after POOL_WAIT_S says the outbox is busy (StoreUnavailable: retry later).
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence
from typing import TypeVar

import psycopg
import psycopg.conninfo
import psycopg.errors
from psycopg.rows import DictRow, dict_row

from bot.i18n import _
from bot.store.leases import StoreUnavailable
from bot.store.pg_query import Query, Result
from bot.store.records import OutboxError

T = TypeVar("T")
Connection = psycopg.Connection[DictRow]

CONNECT_TIMEOUT_S = 5
MAX_CONNECTIONS = 40  # per daemon: two daemons and some room fit PostgreSQL's default max_connections (100)
POOL_WAIT_S = 10.0  # the longest a transaction waits for a free connection (as long as lock_timeout)
# idle_in_transaction_session_timeout: a daemon stopped inside a transaction (SIGSTOP, a frozen VM, a stalled
# process) holds the post's locks; the server ends its session after this long, so that another daemon can take
# the post over once the lease expires instead of waiting on those locks for as long as the process is stopped.
# Far above the few milliseconds between the statements of one of our transactions.
IDLE_IN_TRANSACTION_S = 5
SESSION_OPTIONS = "-c TimeZone=UTC -c lock_timeout=10s -c statement_timeout=30s"
_BUSY = (psycopg.errors.LockNotAvailable, psycopg.errors.QueryCanceled, psycopg.errors.DeadlockDetected)


def describe_url(url: str) -> str:
    """The URL without its password, for messages and logs."""
    try:
        parts = psycopg.conninfo.conninfo_to_dict(url)
    except psycopg.Error:
        raise OutboxError(
            _(
                "DATABASE_URL is not a PostgreSQL connection URL: write it as postgresql://user:password@host:port/dbname"
            )
        ) from None
    user = f"{parts['user']}@" if parts.get("user") else ""
    hosts = str(parts.get("host") or "").split(",")
    ports = str(parts.get("port") or "").split(",")
    if len(ports) == 1:  # one port for every host, or none
        ports = ports * len(hosts)
    where = ",".join(host + (f":{port}" if port else "") for host, port in zip(hosts, ports, strict=False))
    return f"postgresql://{user}{where}/{parts.get('dbname', '')}"


class _Reconnect(Exception):
    """The connection broke before COMMIT was sent: the server rolled back; the transaction may run again."""


class Connections:
    """A pool of connections to one database, and the transaction runner with its reconnection rule."""

    def __init__(
        self,
        url: str,
        max_open: int = MAX_CONNECTIONS,
        wait_s: float = POOL_WAIT_S,
        idle_in_transaction_s: float = IDLE_IN_TRANSACTION_S,
    ) -> None:
        self.where = describe_url(url)
        self._url = url
        self._password = str(psycopg.conninfo.conninfo_to_dict(url).get("password") or "")
        self._lock = threading.Condition()  # notified when a connection is put back or dropped
        self._open: list[Connection] = []
        self._idle: list[Connection] = []  # open, between transactions
        self._opening = 0  # connections being opened (counted against the cap before they exist)
        self._closed = False
        self.max_open = max_open
        self.wait_s = wait_s
        self._idle_ms = idle_in_transaction_s * 1000

    def _text(self, error: BaseException) -> str:
        text = " ".join(str(error).split())
        return text.replace(self._password, "****") if self._password else text

    def _connect(self) -> Connection:
        try:
            connection = psycopg.connect(
                self._url,
                autocommit=True,
                row_factory=dict_row,
                connect_timeout=CONNECT_TIMEOUT_S,
                options=f"{SESSION_OPTIONS} -c idle_in_transaction_session_timeout={int(self._idle_ms)}",
                keepalives=1,
                keepalives_idle=10,
                keepalives_interval=3,
                keepalives_count=3,
                tcp_user_timeout=20_000,
            )
        except psycopg.Error as error:
            self._opened(None)
            raise StoreUnavailable(f"cannot connect to {self.where}: {self._text(error)}") from None
        except BaseException:
            self._opened(None)
            raise
        self._opened(connection)
        return connection

    def _opened(self, connection: Connection | None) -> None:
        """A connection reserved by _reserve is open (or failed to open: None)."""
        with self._lock:
            self._opening -= 1
            if connection is not None:
                if self._closed:
                    connection.close()
                    raise OutboxError(f"the outbox {self.where} is closed")
                self._open.append(connection)
            self._lock.notify()

    def _get(self) -> Connection:
        """An idle connection, or a new one while fewer than max_open are open, else the next one put back. Each is
        used by one transaction at a time, then put back."""
        with self._lock:
            waited = False
            while True:
                if self._closed:
                    raise OutboxError(f"the outbox {self.where} is closed")
                while self._idle:
                    connection = self._idle.pop()
                    if not connection.closed:
                        return connection
                if len(self._open) + self._opening < self.max_open:
                    self._opening += 1
                    break
                if waited:
                    raise StoreUnavailable(
                        f"{self.where} is busy: all {self.max_open} connections of this daemon stayed in use for "
                        f"{self.wait_s:g} s; try again"
                    )
                waited = not self._lock.wait(self.wait_s)
        return self._connect()

    def _put(self, connection: Connection) -> None:
        with self._lock:
            if not self._closed and not connection.closed:
                self._idle.append(connection)
            self._lock.notify()

    def warm(self, count: int, prime: tuple[str, Sequence[object]]) -> None:
        """Open connections until `count` are idle, so that posts due at the same instant do not each wait for a
        new connection (its authentication) before their first write; `prime`: a statement run on each new one in
        a transaction rolled back (it fills the server's per-connection caches). Best effort: an error is left for
        later."""
        for _attempt in range(count):
            with self._lock:
                if len(self._idle) >= count or len(self._open) + self._opening >= self.max_open or self._closed:
                    return
                self._opening += 1
            try:
                connection = self._connect()
            except OutboxError:
                return
            try:
                connection.execute("BEGIN")
                connection.execute(*prime)
            except psycopg.Error:
                pass
            self._rollback(connection)
            self._put(connection)

    def _drop_idle(self) -> None:
        with self._lock:
            idle, self._idle = self._idle, []
        for connection in idle:
            self._drop(connection)

    def _drop(self, connection: Connection) -> None:
        connection.close()
        with self._lock:
            if connection in self._open:
                self._open.remove(connection)
            self._lock.notify()

    def close(self) -> None:
        with self._lock:
            self._closed = True
            for connection in self._open:
                connection.close()
            self._open.clear()
            self._idle.clear()
            self._lock.notify_all()

    def run(self, body: Callable[[Query], T], *, write: bool, single: bool = False) -> T:
        """Run `body` in one transaction (a read-only snapshot unless `write`), with the reconnection rule. `single`:
        one statement, its own transaction, sent without BEGIN and COMMIT (one round trip, not three); a single
        write whose connection breaks is in doubt (its implicit commit may have happened), never run again."""
        for attempt in (1, 2):
            connection = self._get()
            try:
                return self._run_on(connection, body, write=write, single=single)
            except _Reconnect as lost:
                if attempt == 2:
                    raise StoreUnavailable(f"lost the connection to {self.where}: {lost}") from None
                # the server rolled the transaction back: run it again on a new connection (the idle ones
                # most likely broke the same way: a restarted server)
                self._drop_idle()
            finally:
                self._put(connection)  # unless it was dropped (closed)
        raise AssertionError("unreachable")

    def _run_on(self, connection: Connection, body: Callable[[Query], T], *, write: bool, single: bool = False) -> T:
        statements = 0

        def query(sql: str, params: Sequence[object] = ()) -> Result:
            nonlocal statements
            statements += 1
            if single and statements > 1:
                raise OutboxError("a single-statement transaction ran a second statement (a bug in the store)")
            cursor = connection.execute(sql, params)
            rows = cursor.fetchall() if cursor.description is not None else []
            return Result(rows, cursor.rowcount)

        committing = False
        try:
            if single:  # autocommit: the one statement is its own snapshot, or its own transaction
                committing = write
                return body(query)
            connection.execute("BEGIN" if write else "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY")
            result = body(query)
            committing = True
            connection.execute("COMMIT")
            return result
        except psycopg.Error as error:
            if connection.broken or connection.closed:
                self._drop(connection)
                if committing and write:
                    raise StoreUnavailable(
                        f"the connection to {self.where} was lost while committing ({self._text(error)}): the "
                        "change may or may not be recorded",
                        in_doubt=True,
                    ) from None
                raise _Reconnect(self._text(error)) from None
            self._rollback(connection)
            if isinstance(error, _BUSY):
                raise StoreUnavailable(f"{self.where} is busy ({self._text(error)}): try again") from None
            raise OutboxError(f"{self.where}: {self._text(error)}") from None
        except BaseException:
            self._rollback(connection)
            raise

    def _rollback(self, connection: Connection) -> None:
        try:
            connection.execute("ROLLBACK")
        except psycopg.Error:
            self._drop(connection)
