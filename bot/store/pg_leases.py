"""Leases, fencing guards and the plan registry in PostgreSQL (the argument is in docs/high-availability.md).

A lease is a row (post, account) -> (owner, token, expiry), decided on the database's clock
(clock_timestamp(), never the callers' clocks). Tokens come from one sequence, so they only grow. Every
write to a post first takes a per-post advisory transaction lock (serialising it with lease grants), then:

- from a lease holder's view: locks the lease row, checks that it still carries the holder's token, is
  unexpired and usable, and renews it (a guarded write is a proof of life); otherwise LeaseLost;
- from the plain store: refuses to touch a post whose lease someone holds right now (LeaseHeld).

Each row also stores its holder's own takeover wait (`holder_wait`: its total HTTP deadline + send grace),
written when the lease is granted or renewed: a daemon taking the lease over waits for the old holder's
bound, not for its own setting, so two daemons with different HTTP_TIMEOUT_SECONDS cannot overlap.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any, TypeVar

from bot.i18n import _
from bot.store.leases import DaemonInfo, Lease, LeaseHeld, LeaseInfo, LeaseLost, PlanMismatch, TakeoverPending
from bot.store.pg_query import Query

# A schema version step of its own (bot/store/pg_schema.py lists it under its number): each lease row keeps its
# holder's takeover wait. Rows written before it have none; a taker then waits for its own setting.
LEASE_WAIT_MIGRATION = ("ALTER TABLE leases ADD COLUMN holder_wait interval",)

T = TypeVar("T")
Key = tuple[str, str]
REGISTRY_LOCK = 7_201_328_002  # pg_advisory_xact_lock key for daemon registration
# The lease grant and, when its arguments allow it, the post's first `sending` mark: bot_fire, schema version 7
# (bot/store/pg_fire.py has the function, its arguments and the argument why it fences as the guard below does).
FIRE = f"SELECT f.outcome, f.db_now, (f.lease).* FROM bot_fire({', '.join(['%s'] * 15)}) f"


def lock_post(q: Query, key: Key, *, unflushed: bool = False) -> None:
    """Serialise this transaction with every other write and lease grant for the post. `unflushed`: and commit it
    without waiting for the flush (SET LOCAL synchronous_commit = off, in the same round trip)."""
    unflush = "set_config('synchronous_commit', 'off', true), " if unflushed else ""
    q(f"SELECT {unflush}pg_advisory_xact_lock(hashtextextended(%s, 0))", (json.dumps(list(key)),))


def _clock(q: Query) -> datetime:
    row = q("SELECT clock_timestamp() AS now").one()
    assert row is not None
    now: datetime = row["now"]
    return now


def lease_from_row(row: dict[str, Any], db_now: datetime, local_start: float) -> Lease:
    ttl: timedelta = row["ttl"]
    return Lease(
        post_id=row["post_id"],
        account=row["account"],
        owner=row["owner"],
        token=int(row["token"]),
        ttl=ttl,
        acquired_at=row["acquired_at"],
        renewed_at=row["renewed_at"],
        expires_at=row["expires_at"],
        usable_at=row["usable_at"],
        previous_owner=row["previous_owner"],
        previous_renewed_at=row["previous_renewed_at"],
        db_now=db_now,
        local_deadline=local_start + ttl.total_seconds(),
        holder_wait=row["holder_wait"] if row["holder_wait"] is not None else timedelta(0),
    )


def _who(key: Key) -> str:
    return _("post {post_id} account {account}").format(post_id=key[0], account=key[1])


def guard_unleased(q: Query, key: Key) -> None:
    """Refuse a lease-less write to a post that a daemon holds an unexpired lease on."""
    row = q(
        "SELECT owner, expires_at FROM leases WHERE post_id = %s AND account = %s AND expires_at > clock_timestamp()",
        key,
    ).one()
    if row is not None:
        raise LeaseHeld(
            _("{who} is being published by {owner} (lease until {until}): try again when it has finished").format(
                who=_who(key), owner=row["owner"], until=row["expires_at"].isoformat()
            )
        )


def guard_holder(q: Query, key: Key, token: int) -> datetime:
    """Check that `token` still holds the post's lease, unexpired and usable; renew it. Returns the DB time."""
    row = q("SELECT * FROM leases WHERE post_id = %s AND account = %s FOR UPDATE", key).one()
    now = _clock(q)
    if row is None or int(row["token"]) != token:
        holder = (
            _("nobody holds it")
            if row is None
            else _("{owner} holds it (token {token})").format(owner=row["owner"], token=row["token"])
        )
        raise LeaseLost(
            _("{who}: lease token {token} is no longer current ({holder}); nothing more is sent").format(
                who=_who(key), token=token, holder=holder
            )
        )
    if row["expires_at"] <= now:
        raise LeaseLost(
            _("{who}: lease token {token} expired at {at} (database time {now}); nothing more is sent").format(
                who=_who(key), token=token, at=row["expires_at"].isoformat(), now=now.isoformat()
            )
        )
    if row["usable_at"] > now:
        raise TakeoverPending(
            _(
                "{who}: taken over from {owner}, whose last request may still land: nothing may be looked up or "
                "written before {at}"
            ).format(who=_who(key), owner=row["previous_owner"], at=row["usable_at"].isoformat()),
            row["usable_at"],
        )
    q(
        "UPDATE leases SET renewed_at = %s, expires_at = %s + ttl WHERE post_id = %s AND account = %s",
        (now, now, *key),
    )
    return now


class PgLeaseMethods:
    """Lease and registry methods over `_write`/`_read`/`_write_one`, which the concrete store provides."""

    _monotonic: Callable[[], float]

    def _write_one(self, body: Callable[[Query], T]) -> T:
        raise NotImplementedError

    def _write(self, key: Key | None, body: Callable[[Query], T]) -> T:
        raise NotImplementedError

    def _read(self, body: Callable[[Query], T]) -> T:
        raise NotImplementedError

    def acquire_lease(
        self, post_id: str, account: str, owner: str, ttl: timedelta, *, takeover_wait: timedelta = timedelta(0)
    ) -> Lease | None:
        """Take the post's lease for `ttl` if nobody holds an unexpired one (the same owner included).

        `takeover_wait` is this holder's own bound (give its total HTTP deadline + the send grace): stored in
        the row, it is what a daemon taking the lease over from this one later waits after its last renewal.
        Taking over an expired lease that was never released sets `usable_at` to the old holder's last
        renewal + the OLD holder's stored wait (its last request may land until then; `takeover_wait` only
        for a row written before the wait was stored). Returns None when the lease is held.
        """
        if ttl <= timedelta(0):
            raise ValueError("a lease needs a positive length")
        start = self._monotonic()
        # bot_fire (pg_fire.py) without a plan: the grant alone, the one implementation of it. Not flushed by itself:
        # nothing is sent before a guarded, flushed `sending` mark, which flushes the WAL up to it, this grant
        # included; a grant lost in a crash only makes its holder's writes fail.
        key = json.dumps([post_id, account])  # the key lock_post locks
        params = (key, post_id, account, owner, ttl, takeover_wait, False, *[None] * 8)
        row = self._write_one(lambda q: q(FIRE, params).one())
        assert row is not None
        return None if row["outcome"] == "held" else lease_from_row(row, row["db_now"], start)

    def renew_lease(self, lease: Lease) -> Lease:
        """Extend the lease by its length from now (database clock), storing the holder's takeover wait again.
        Raises LeaseLost when it is not current."""
        start = self._monotonic()
        key = (lease.post_id, lease.account)

        def body(q: Query) -> Lease:
            row = q(
                "UPDATE leases SET renewed_at = n.now, expires_at = n.now + ttl, holder_wait = %s"
                " FROM (SELECT clock_timestamp() AS now) n"
                " WHERE post_id = %s AND account = %s AND token = %s AND expires_at > n.now"
                " RETURNING leases.*, n.now AS db_now",
                (lease.holder_wait, *key, lease.token),
            ).one()
            if row is None:
                raise LeaseLost(
                    _("{who}: lease token {token} expired or was taken over; not renewed").format(
                        who=_who(key), token=lease.token
                    )
                )
            return lease_from_row(row, row["db_now"], start)

        return self._write(None, body)

    def release_lease(self, lease: Lease) -> bool:
        """Give the lease up (nothing of ours is in flight): the next holder need not wait. False if not ours."""
        return self._write(
            None,
            lambda q: (
                q(
                    "DELETE FROM leases WHERE post_id = %s AND account = %s AND token = %s",
                    (lease.post_id, lease.account, lease.token),
                ).rowcount
                > 0
            ),
        )

    def lease_of(self, post_id: str, account: str) -> LeaseInfo | None:
        """The post's lease row, if any: when acquire_lease returned None, retry just after its expires_at."""
        found = [info for info in self.leases() if (info.post_id, info.account) == (post_id, account)]
        return found[0] if found else None

    def leases(self) -> list[LeaseInfo]:
        """Every lease row (expired ones too, until taken over or released), by post; for `status`."""
        rows = self._read(
            lambda q: (
                q("SELECT *, expires_at <= clock_timestamp() AS expired FROM leases ORDER BY post_id, account").rows
            )
        )
        return [lease_info(row, expired=bool(row["expired"])) for row in rows]

    # -- the plan registry -----------------------------------------------------------------------

    def register_daemon(self, owner: str, plan_digest: str, *, live_within: timedelta) -> None:
        """Record a starting daemon's plan digest; PlanMismatch if a daemon seen within `live_within` differs."""

        def body(q: Query) -> None:
            q("SELECT pg_advisory_xact_lock(%s)", (REGISTRY_LOCK,))
            now = _clock(q)
            others = q(
                "SELECT owner, plan_digest FROM daemons WHERE owner <> %s AND seen_at > %s AND plan_digest <> %s"
                " ORDER BY owner",
                (owner, now - live_within, plan_digest),
            ).rows
            if others:
                running = ", ".join(
                    _("{owner} (plan {digest})").format(owner=row["owner"], digest=row["plan_digest"][:12])
                    for row in others
                )
                raise PlanMismatch(
                    _(
                        "this daemon's plan (digest {digest}) differs from the plan of {running} on the same "
                        "database: give every daemon the same schedule.yaml and messages, then start it again"
                    ).format(digest=plan_digest[:12], running=running)
                )
            q(
                "INSERT INTO daemons (owner, plan_digest, started_at, seen_at) VALUES (%s, %s, %s, %s)"
                " ON CONFLICT (owner) DO UPDATE SET plan_digest = excluded.plan_digest,"
                " started_at = excluded.started_at, seen_at = excluded.seen_at",
                (owner, plan_digest, now, now),
            )

        self._write(None, body)

    def heartbeat_daemon(self, owner: str, plan_digest: str) -> None:
        """A registered daemon is alive, with this plan (a live reload may have changed it)."""
        self._write(
            None,
            lambda q: q(
                "UPDATE daemons SET seen_at = clock_timestamp(), plan_digest = %s WHERE owner = %s",
                (plan_digest, owner),
            ),
        )

    def unregister_daemon(self, owner: str) -> None:
        self._write(None, lambda q: q("DELETE FROM daemons WHERE owner = %s", (owner,)))

    def daemons(self, live_within: timedelta) -> list[DaemonInfo]:
        rows = self._read(
            lambda q: (
                q("SELECT *, seen_at > clock_timestamp() - %s AS live FROM daemons ORDER BY owner", (live_within,)).rows
            )
        )
        return [
            DaemonInfo(row["owner"], row["plan_digest"], row["started_at"], row["seen_at"], bool(row["live"]))
            for row in rows
        ]


def lease_info(row: dict[str, Any], expired: bool) -> LeaseInfo:
    """A lease row as `status` and a refused grant show it."""
    return LeaseInfo(
        post_id=row["post_id"],
        account=row["account"],
        owner=row["owner"],
        token=int(row["token"]),
        acquired_at=row["acquired_at"],
        renewed_at=row["renewed_at"],
        expires_at=row["expires_at"],
        usable_at=row["usable_at"],
        expired=expired,
    )
