"""The PostgreSQL outbox, for several daemons on one database. With pg_pool.py, the only modules importing psycopg.

Selected by DATABASE_URL (`postgresql://user:password@host:port/dbname`); callers import this module lazily.
The password is never shown: messages name the database as `postgresql://user@host:port/dbname`.

Connections: bot/store/pg_pool.py (a capped pool, the reconnection rule).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import TypeVar

from bot.model import Post
from bot.store import pg_schema
from bot.store.leases import DEFAULT_SEND_GRACE, Lease, LeaseLost
from bot.store.pg_approvals import PgApprovalMethods
from bot.store.pg_begin import PgBeginMethods
from bot.store.pg_fire import prime_fire
from bot.store.pg_holds import PgHoldMethods
from bot.store.pg_leases import PgLeaseMethods, guard_holder, guard_unleased, lock_post
from bot.store.pg_media import PgMediaMethods
from bot.store.pg_outbox import Key, PgOutboxMethods
from bot.store.pg_pool import Connections
from bot.store.pg_pool import describe_url as describe_url  # named here by its callers
from bot.store.pg_query import Query
from bot.store.pg_reads import ONE_POST, one_summary
from bot.store.pg_web import PgWebMethods
from bot.store.records import Begun, OutboxError, PostSummary

T = TypeVar("T")


class PostgresOutbox(
    PgOutboxMethods, PgBeginMethods, PgHoldMethods, PgMediaMethods, PgLeaseMethods, PgApprovalMethods, PgWebMethods
):
    """The outbox in PostgreSQL. Open it with PostgresOutbox.open(url); as_holder(lease) gives a guarded view."""

    def __init__(
        self,
        db: Connections,
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
        db = Connections(url)
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
