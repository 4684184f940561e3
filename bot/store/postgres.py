"""The PostgreSQL outbox, for several daemons on one database. The only module that imports psycopg.

Selected by DATABASE_URL (`postgresql://user:password@host:port/dbname`); callers import this module lazily.
The password is never shown: messages name the database as `postgresql://user@host:port/dbname`.

Connections: pooled (one transaction at a time each), in autocommit mode with explicit transactions, the
session in UTC with lock and statement timeouts and TCP keepalives (a cut network is noticed in seconds, not
hours). Losing the connection (a restarted server, a network cut):

- a read, or a write that failed before its COMMIT was sent (so the server rolled it back), is run again
  once on a new connection: nothing half-done can result;
- a write whose COMMIT was sent but not answered raises StoreUnavailable(in_doubt=True) and is never
  repeated; the outbox protocol resolves it like a crash (a `sending` fragment is looked up first);
- a server that cannot be reached raises StoreUnavailable: retry later.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Sequence
from datetime import datetime, timedelta
from typing import TypeVar

import psycopg
import psycopg.conninfo
import psycopg.errors
from psycopg.rows import DictRow, dict_row

from bot.i18n import _
from bot.model import Post
from bot.store import pg_schema
from bot.store.leases import DEFAULT_SEND_GRACE, Lease, LeaseLost, StoreUnavailable
from bot.store.pg_approvals import PgApprovalMethods
from bot.store.pg_begin import PgBeginMethods
from bot.store.pg_fire import prime_fire
from bot.store.pg_holds import PgHoldMethods
from bot.store.pg_leases import PgLeaseMethods, guard_holder, guard_unleased, lock_post
from bot.store.pg_media import PgMediaMethods
from bot.store.pg_outbox import Key, PgOutboxMethods
from bot.store.pg_query import Query, Result
from bot.store.pg_reads import ONE_POST, one_summary
from bot.store.pg_web import PgWebMethods
from bot.store.records import Begun, OutboxError, PostSummary

T = TypeVar("T")
Connection = psycopg.Connection[DictRow]

CONNECT_TIMEOUT_S = 5
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


class _Connections:
    """A pool of connections to one database, and the transaction runner with its reconnection rule."""

    def __init__(self, url: str) -> None:
        self.where = describe_url(url)
        self._url = url
        self._password = str(psycopg.conninfo.conninfo_to_dict(url).get("password") or "")
        self._lock = threading.Lock()
        self._open: list[Connection] = []
        self._idle: list[Connection] = []  # open, between transactions
        self._closed = False

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
                options=SESSION_OPTIONS,
                keepalives=1,
                keepalives_idle=10,
                keepalives_interval=3,
                keepalives_count=3,
                tcp_user_timeout=20_000,
            )
        except psycopg.Error as error:
            raise StoreUnavailable(f"cannot connect to {self.where}: {self._text(error)}") from None
        with self._lock:
            if self._closed:
                connection.close()
                raise OutboxError(f"the outbox {self.where} is closed")
            self._open.append(connection)
        return connection

    def _get(self) -> Connection:
        """An idle connection, or a new one. Each is used by one transaction at a time, then put back."""
        with self._lock:
            if self._closed:
                raise OutboxError(f"the outbox {self.where} is closed")
            while self._idle:
                connection = self._idle.pop()
                if not connection.closed:
                    return connection
        return self._connect()

    def _put(self, connection: Connection) -> None:
        with self._lock:
            if not self._closed and not connection.closed:
                self._idle.append(connection)

    def warm(self, count: int, prime: tuple[str, Sequence[object]]) -> None:
        """Open connections until `count` are idle, so that posts due at the same instant do not each wait for a
        new connection (its authentication) before their first write; `prime`: a statement run on each new one in
        a transaction rolled back (it fills the server's per-connection caches). Best effort: an error is left for
        later."""
        with self._lock:
            missing = count - len(self._idle)
        for _attempt in range(missing):
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

    def close(self) -> None:
        with self._lock:
            self._closed = True
            for connection in self._open:
                connection.close()
            self._open.clear()
            self._idle.clear()

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


class PostgresOutbox(
    PgOutboxMethods, PgBeginMethods, PgHoldMethods, PgMediaMethods, PgLeaseMethods, PgApprovalMethods, PgWebMethods
):
    """The outbox in PostgreSQL. Open it with PostgresOutbox.open(url); as_holder(lease) gives a guarded view."""

    def __init__(
        self,
        db: _Connections,
        *,
        lease: Lease | None = None,
        send_grace: timedelta = DEFAULT_SEND_GRACE,
        monotonic: Callable[[], float] = time.monotonic,
        sending_since: float | None = None,
    ) -> None:
        self._db = db
        self.where = db.where
        self._monotonic = monotonic
        self._lease = lease
        self._send_grace = send_grace.total_seconds()
        self._state = threading.Lock()
        self._deadline = lease.local_deadline if lease is not None else float("inf")
        self._sending_since = sending_since
        self._lost: str | None = None

    @classmethod
    def open(cls, url: str, *, create: bool = True, monotonic: Callable[[], float] = time.monotonic) -> PostgresOutbox:
        """Connect and (with `create`) create or migrate the tables.

        Raises FileNotFoundError when `create` is false and the bot's tables do not exist; OutboxError when
        the schema is newer than this bot's or the URL is malformed; StoreUnavailable when unreachable.
        """
        db = _Connections(url)
        try:
            if not create and db.run(pg_schema.current_version, write=False) is None:
                raise FileNotFoundError(f"no bot tables in {db.where}: nothing has been published with this database")
            db.run(lambda q: pg_schema.migrate(q, db.where), write=True)
        except BaseException:
            db.close()
            raise
        return cls(db, monotonic=monotonic)

    def warm(self, connections: int) -> None:
        """Have this many connections open and idle (before posts fire together), each having run bot_fire once, rolled
        back: a PL/pgSQL function is compiled and planned once per connection, milliseconds not paid at the time."""
        self._db.warm(connections, prime_fire())

    def close(self) -> None:
        """Close every connection (a holder's view shares its store's connections and closes nothing)."""
        if self._lease is None:
            self._db.close()

    def schema_version(self) -> int:
        return self._db.run(pg_schema.current_version, write=False) or 0

    def _read(self, body: Callable[[Query], T]) -> T:
        return self._db.run(body, write=False)

    def post(self, post_id: str, account: str) -> PostSummary | None:
        """One statement, one round trip: the daemon reads it at every post's time (issue 22)."""
        return one_summary(self._read_one(lambda q: q(ONE_POST, (post_id, account)).rows))

    def _read_one(self, body: Callable[[Query], T]) -> T:
        """A read of one statement: its own snapshot, one round trip."""
        return self._db.run(body, write=False, single=True)

    def _write_one(self, body: Callable[[Query], T]) -> T:  # one statement, its own transaction: bot_fire
        return self._db.run(body, write=True, single=True)

    def _write(self, key: Key | None, body: Callable[[Query], T]) -> T:
        lease = self._lease
        if key is None:
            return self._db.run(body, write=True)
        if lease is None or key != (lease.post_id, lease.account):

            def unleased(q: Query) -> T:
                lock_post(q, key)
                guard_unleased(q, key)
                return body(q)

            return self._db.run(unleased, write=True)
        start = self._monotonic()

        def guarded(q: Query) -> T:
            lock_post(q, key)
            guard_holder(q, key, lease.token)
            return body(q)

        try:
            result = self._db.run(guarded, write=True)
        except LeaseLost as error:
            with self._state:
                self._lost = str(error)
            raise
        with self._state:
            self._deadline = max(self._deadline, start + lease.ttl.total_seconds())
        return result

    # -- the holder's view -----------------------------------------------------------------------

    def as_holder(
        self, lease: Lease, *, send_grace: timedelta = DEFAULT_SEND_GRACE, sending_since: float | None = None
    ) -> PostgresOutbox:
        """The same store, with every write to the lease's post guarded by its token (LeaseLost otherwise).

        `send_grace`: how long after mark_sending is called a request may still be started (assert_may_send);
        `sending_since`: when fire() marked a fragment `sending` with the grant, the monotonic time it began.
        """
        return PostgresOutbox(
            self._db, lease=lease, send_grace=send_grace, monotonic=self._monotonic, sending_since=sending_since
        )

    @property
    def lease(self) -> Lease | None:
        return self._lease

    def renew(self) -> Lease:
        """Renew this view's lease (from a keeper thread, every ttl/3). Raises LeaseLost."""
        if self._lease is None:
            raise OutboxError("renew() needs a holder's view (as_holder)")
        try:
            renewed = self.renew_lease(self._lease)
        except LeaseLost as error:
            with self._state:
                self._lost = str(error)
            raise
        with self._state:
            self._deadline = max(self._deadline, renewed.local_deadline)
        return renewed

    def mark_sending(self, post_id: str, account: str, index: int, now: datetime) -> None:
        start = self._monotonic()
        super().mark_sending(post_id, account, index, now)
        with self._state:
            self._sending_since = start

    def begin(self, post: Post, now: datetime, max_attempts: int) -> Begun:
        start = self._monotonic()
        begun = super().begin(post, now, max_attempts)
        if begun.sending is not None:  # marked `sending`: the send grace runs from here, as after mark_sending
            with self._state:
                self._sending_since = start
        return begun

    def assert_may_send(self) -> None:
        """Call right before a request leaves: LeaseLost unless this holder may still send.

        True when the lease is certainly valid on this machine's monotonic clock and the request starts
        within the send grace after its mark_sending began (so that it lands before the old holder's last
        renewal + HTTP timeout + grace, the instant a taker-over waits for). Always true without a lease.
        """
        if self._lease is None:
            return
        now = self._monotonic()
        with self._state:
            lost, deadline, since = self._lost, self._deadline, self._sending_since
        if lost is not None:
            raise LeaseLost(lost)
        if now >= deadline:
            raise LeaseLost(f"the lease on post {self._lease.post_id} account {self._lease.account} may have expired")
        if since is None or now - since > self._send_grace:
            raise LeaseLost(
                f"post {self._lease.post_id} account {self._lease.account}: more than {self._send_grace:g} s "
                "since mark_sending; the request is not sent (mark the fragment pending and run again)"
            )
