"""Publishing a post under its lease, when the store is shared by several daemons (PostgreSQL).

A store with leases (bot/store/postgres.py) lets several daemons share one outbox; the SQLite store has none
and a run then goes straight to the outbox. With leases, each run of a post's job:

1. takes the post's lease (one owner per process); held by another daemon: come back right after it expires;
   taken over from a daemon that died: come back when its last request can no longer land (`usable_at`);
2. runs on the holder's view of the store (every write guarded by the lease's fencing token), while its keeper
   renews the lease every quarter of its length (one thread renews every lease: keepers.py) and stops for good
   once it is lost;
3. releases the lease after a normal run, but keeps it (renewed) while a fragment in doubt settles (issue 18:
   the run ended `settling`), so no other daemon looks it up and resends meanwhile; a lost lease, a takeover
   not yet usable or an unreachable database end the run with `retry`, nothing more sent (the next holder's
   start-up looks up what is in flight).

The plan registry: the daemon registers the digest of its plan at start (a daemon with another schedule on
the same database is refused), heartbeats it periodically and after a live reload, unregisters at exit.
The argument for all of this is docs/high-availability.md.
"""

from __future__ import annotations

import json
import logging
import os
import socket
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Protocol

from bot.i18n import _
from bot.model import Plan, Post
from bot.services.job import JobResult
from bot.services.keepers import Keeper, Renewals
from bot.states import Outcome
from bot.store import Begun, Outbox
from bot.store.leases import (
    DEFAULT_LEASE,
    DaemonInfo,
    Fired,
    FirePlan,
    Lease,
    LeaseInfo,
    LeaseLost,
    StoreUnavailable,
    TakeoverPending,
    takeover_wait,
)
from bot.store.records import OutboxError

logger = logging.getLogger("bot.daemon")  # its lines are the daemon's

HEARTBEAT_EVERY = timedelta(seconds=5)
LIVE_WITHIN = timedelta(seconds=30)  # a daemon not seen for this long no longer counts for the plan check
AFTER_EXPIRY = timedelta(milliseconds=50)  # retry a held lease this long after it expires
MAX_WARM = 40  # connections opened at start, at most: the pool's cap (bot/store/pg_pool.py MAX_CONNECTIONS)


class HolderView(Outbox, Protocol):
    """The store as one lease's holder sees it: the same methods, every write guarded by the lease."""

    def renew(self) -> Lease: ...


class LeaseStore(Protocol):
    """What a store shared by several daemons offers on top of the Outbox (bot/store/pg_leases.py)."""

    def acquire_lease(
        self, post_id: str, account: str, owner: str, ttl: timedelta, *, takeover_wait: timedelta = ...
    ) -> Lease | None: ...

    def release_lease(self, lease: Lease) -> bool: ...

    def lease_of(self, post_id: str, account: str) -> LeaseInfo | None: ...

    def leases(self) -> list[LeaseInfo]: ...

    def as_holder(self, lease: Lease, *, sending_since: float | None = None) -> HolderView: ...

    def fire(
        self, post: Post, owner: str, ttl: timedelta, plan: FirePlan | None, *, takeover_wait: timedelta = ...
    ) -> Fired: ...

    def register_daemon(self, owner: str, plan_digest: str, *, live_within: timedelta) -> None: ...

    def heartbeat_daemon(self, owner: str, plan_digest: str) -> None: ...

    def unregister_daemon(self, owner: str) -> None: ...

    def daemons(self, live_within: timedelta) -> list[DaemonInfo]: ...

    def warm(self, connections: int) -> None: ...


def new_owner() -> str:
    """A name unique to this process, readable in `status`: host, pid and a random suffix."""
    return f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:6]}"


def plan_digest(plan: Plan) -> str:
    """A digest of what the plan publishes and how: every post's id, account, times, its approval digest (platform,
    target, texts, images and alt texts), the account's credentials and publishing options, and the schedule's
    `approval:` setting. Two daemons on one database must agree on all of it: a second daemon without
    `approval: required`, or pointing a name at another Page, would publish what the first refuses."""
    import hashlib  # only the daemon needs it (preview and validate do not load it)

    from bot.approval import post_digest

    posts = sorted(
        [
            p.id,
            p.account.name,
            p.at.isoformat(),
            [[f.at.isoformat(), f.text] for f in p.fragments],
            post_digest(p),
            [p.account.credentials, p.account.mode, p.account.on_reply_refused, p.account.plan],
        ]
        for p in plan.posts
    )
    whole = {"approval_required": plan.approval_required, "posts": posts}
    return hashlib.sha256(json.dumps(whole, ensure_ascii=False).encode("utf-8")).hexdigest()


@dataclass(frozen=True)
class Early:
    """A run that may begin in the lease's own round trip (issue 22, bot/store/pg_fire.py): `plan` says when the
    post may be frozen and marked there; `then(view, begun)` is the run after such a begin (the usual body runs
    when fire() began nothing)."""

    plan: FirePlan
    then: Callable[[Outbox, Begun], JobResult]


@dataclass(frozen=True)
class LeaseSettings:
    """The lease length (LEASE_SECONDS) and the HTTP timeout the takeover wait is derived from."""

    ttl: timedelta = DEFAULT_LEASE
    http_timeout_seconds: float = 30.0

    @property
    def renew_every(self) -> timedelta:
        return self.ttl / 4

    @property
    def takeover_wait(self) -> timedelta:
        return takeover_wait(self.http_timeout_seconds)


Kept = Keeper[HolderView]


class Publishing:
    """Runs a post's job on the outbox, under the post's lease when the store has leases (`leases`)."""

    def __init__(
        self,
        outbox: Outbox,
        leases: LeaseStore | None,
        settings: LeaseSettings,
        clock: Callable[[], datetime],
        owner: str | None = None,
    ) -> None:
        self.outbox = outbox
        self.leases = leases
        self.settings = settings
        self.clock = clock
        self.owner = owner or new_owner()
        self._lock = threading.Lock()
        self._waiting: dict[tuple[str, str], tuple[Kept, float]] = {}  # taken over, usable at (monotonic)
        self._settling: dict[tuple[str, str], Kept] = {}  # issue 18: kept while a fragment in doubt settles
        self._renewals = Renewals()  # one thread renews every lease this daemon holds
        self._digest = ""
        self._beat: threading.Thread | None = None
        self._stopped = threading.Event()

    # -- runs --------------------------------------------------------------------------------------

    def run(self, post: Post, body: Callable[[Outbox], JobResult], early: Early | None = None) -> JobResult:
        """`body(outbox)` on the store, or on the holder's view of the post's lease. `early`: take the lease with
        fire(), which may begin the post in the same round trip; `early.then` runs after such a begin."""
        if self.leases is None:
            return body(self.outbox)
        try:
            got = self._take(post, early.plan if early is not None else None)
        except OutboxError as error:  # StoreUnavailable, or the plain store refused
            return self._retry(post, error)
        if isinstance(got, JobResult):
            return got
        keeper, begun = got
        try:
            result = body(keeper.view) if begun is None or early is None else early.then(keeper.view, begun)
        except (LeaseLost, TakeoverPending, StoreUnavailable) as error:
            keeper.stop()
            return self._retry(post, error)
        except BaseException:
            keeper.stop()
            raise
        if result.kind == Outcome.SETTLING and keeper.alive:
            # Issue 18: a fragment in doubt keeps its lease (renewed) until it is settled, so no other daemon
            # looks it up and resends meanwhile; the next run, at the next lookup, continues with it.
            with self._lock:
                self._settling[post.key] = keeper
            return result
        keeper.stop()
        try:
            self.leases.release_lease(keeper.lease)
        except OutboxError as error:  # it expires by itself
            logger.info(
                _("post {id} account {name}: lease not released ({error})").format(
                    id=post.id, name=post.account.name, error=error
                )
            )
        return result

    def _take(self, post: Post, plan: FirePlan | None = None) -> tuple[Kept, Begun | None] | JobResult:
        """The post's lease (kept, waited for, or taken now: with fire(), which may also begin the post)."""
        assert self.leases is not None
        key = post.key
        with self._lock:
            waiting = self._waiting.pop(key, None)
            kept = self._settling.pop(key, None)
        if kept is not None:
            if kept.alive:
                return kept, None
            kept.stop()
        if waiting is not None:
            keeper, usable = waiting
            if keeper.alive:
                return self._wait_or_go(post, keeper, usable)
            keeper.stop()
        settings = self.settings
        fired = self.leases.fire(post, self.owner, settings.ttl, plan, takeover_wait=settings.takeover_wait)
        lease = fired.lease
        if lease is None:
            info = fired.held
            now = self.clock()
            at = max(info.expires_at + AFTER_EXPIRY, now + AFTER_EXPIRY) if info else now + self.settings.renew_every
            holder = info.owner if info else _("another daemon")
            return JobResult(Outcome.LATER, at, _("being published by {holder}").format(holder=holder))
        since = fired.since if fired.begun is not None else None
        keeper = Keeper(
            self.leases.as_holder(lease, sending_since=since), lease, self.settings.renew_every, self._renewals
        )
        if fired.begun is not None:  # usable at once (fire() marks nothing otherwise)
            return keeper, fired.begun
        if lease.wait > timedelta(0):
            logger.warning(
                _(
                    "post {id} account {name}: taken over from {previous_owner}; waiting {total_seconds:.1f} s "
                    "for its last request to land or time out"
                ).format(
                    id=post.id,
                    name=post.account.name,
                    previous_owner=lease.previous_owner,
                    total_seconds=lease.wait.total_seconds(),
                ),
            )
        return self._wait_or_go(post, keeper, time.monotonic() + lease.wait.total_seconds())

    def _wait_or_go(self, post: Post, keeper: Kept, usable: float) -> tuple[Kept, None] | JobResult:
        left = usable - time.monotonic()
        if left <= 0:
            return keeper, None
        with self._lock:  # keep the lease (renewed) until it is usable, without holding a worker
            self._waiting[post.key] = (keeper, usable)
        return JobResult(Outcome.LATER, self.clock() + timedelta(seconds=left), "takeover: waiting")

    def _retry(self, post: Post, error: OutboxError) -> JobResult:
        now = self.clock()
        at = now + self.settings.renew_every
        if isinstance(error, TakeoverPending):
            at = max(at, error.usable_at)
        logger.warning(
            _("post {id} account {name}: nothing more sent for now: {error}").format(
                id=post.id, name=post.account.name, error=error
            )
        )
        return JobResult(Outcome.RETRY, at, str(error))

    # -- the plan registry ---------------------------------------------------------------------------

    def register(self, plan: Plan) -> None:
        """Raises PlanMismatch when a live daemon on the database runs another plan."""
        if self.leases is None:
            return
        self._digest = plan_digest(plan)
        self.leases.register_daemon(self.owner, self._digest, live_within=LIVE_WITHIN)
        # a connection per account publishing at once, the heartbeat's and a spare, opened now, not at 08:00
        self.leases.warm(min(len({p.account.name for p in plan.posts}) + 2, MAX_WARM))
        self._beat = threading.Thread(target=self._heartbeats, name="heartbeat", daemon=True)
        self._beat.start()

    def reloaded(self, plan: Plan) -> None:
        if self.leases is not None:
            self._digest = plan_digest(plan)
            self._heartbeat()

    def _heartbeats(self) -> None:
        while not self._stopped.wait(HEARTBEAT_EVERY.total_seconds()):
            self._heartbeat()

    def _heartbeat(self) -> None:
        assert self.leases is not None
        try:
            self.leases.heartbeat_daemon(self.owner, self._digest)
        except OutboxError as error:
            logger.warning(_("daemon heartbeat failed: {error}").format(error=error))

    def close(self) -> None:
        """Stop the keepers of leases waiting for a takeover, the heartbeats; unregister (a clean exit)."""
        self._stopped.set()
        with self._lock:
            waiting, self._waiting = list(self._waiting.values()), {}
            settling, self._settling = list(self._settling.values()), {}
        for kept in settling:  # nothing in flight: the next daemon may continue the window at once
            kept.stop()
            try:
                if self.leases is not None:
                    self.leases.release_lease(kept.lease)
            except OutboxError as error:  # it expires by itself
                logger.info(_("lease not released ({error})").format(error=error))
        for keeper, _since in waiting:
            keeper.stop()
        if self._beat is not None:
            self._beat.join()
        if self.leases is not None:
            try:
                self.leases.unregister_daemon(self.owner)
            except OutboxError as error:
                logger.warning(_("could not unregister from the database: {error}").format(error=error))
