"""fire(): the lease, the freeze and the first `sending` mark of a post due now in ONE round trip (issue 22).

At a post's time the daemon's work before the first request used to be a lease grant, a read and begin(): three
transactions and about twenty round trips, which fifty posts due at one instant queued for. `bot_fire` (schema
version 7) does in one statement, so in one transaction, what a grant then a guarded begin() do (acquire_lease is
the same call without a plan: the grant alone):

1. the post's advisory lock (as lock_post: serialised with every write and grant for the post), then its lease
   row locked FOR UPDATE, and only then the database's clock read (a clock read before the lock would let a
   grant be decided on a time older than the row it replaces);
2. the lease granted (free, or expired: taken over with `usable_at` from the old holder's last renewal + its
   stored wait); held by another daemon, or by this owner: nothing written, the lease returned;
3. only when the lease is usable at once, the post was never frozen, the account has no hold and the caller's
   FirePlan says it is due (not before its time, not past --catch-up): the post and its fragments inserted, the
   first one `sending` with one attempt. The grant counts as the guarded write's renewal (the same instant).

A transaction that marks commits with the flush (synchronous_commit on: durable before the request); one that
only grants commits without it. Anything else (a post frozen before, in doubt, held, late,
awaiting approval) is left to the usual run on the holder's view: fire() then only took the lease.
The fencing argument is in docs/high-availability.md.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import TypeVar

from bot.model import Post
from bot.states import FragmentState
from bot.store.leases import Fired, FirePlan
from bot.store.pg_leases import FIRE, lease_from_row, lease_info
from bot.store.pg_outbox import aware
from bot.store.pg_query import Query
from bot.store.records import Begun, FragmentRecord, FreezeResult, content_digest

T = TypeVar("T")

# Schema version 7 (bot/store/pg_schema.py lists it under its number; SQLite's 7 is an empty step).
FIRE_MIGRATION = (
    """
CREATE OR REPLACE FUNCTION bot_fire(
    p_lock text, p_post text, p_account text, p_owner text, p_ttl interval, p_wait interval, p_begin boolean,
    p_now timestamptz, p_latest timestamptz, p_scheduled timestamptz, p_digest text,
    p_idx integer[], p_total integer[], p_text text[], p_at timestamptz[]
) RETURNS TABLE (outcome text, db_now timestamptz, lease leases)
LANGUAGE plpgsql AS $fire$
DECLARE
    old leases;
    clock timestamptz;
BEGIN
    PERFORM pg_advisory_xact_lock(hashtextextended(p_lock, 0));
    SELECT * INTO old FROM leases l WHERE l.post_id = p_post AND l.account = p_account FOR UPDATE;
    clock := clock_timestamp();  -- after the row lock, never before it
    IF old.post_id IS NULL THEN
        INSERT INTO leases (post_id, account, token, owner, ttl, acquired_at, renewed_at, expires_at, usable_at,
                            holder_wait)
        VALUES (p_post, p_account, nextval('lease_tokens'), p_owner, p_ttl, clock, clock, clock + p_ttl, clock, p_wait)
        RETURNING * INTO lease;
    ELSIF old.expires_at > clock THEN
        PERFORM set_config('synchronous_commit', 'off', true);
        RETURN QUERY SELECT 'held'::text, clock, old;
        RETURN;
    ELSE
        UPDATE leases l SET token = nextval('lease_tokens'), owner = p_owner, ttl = p_ttl, acquired_at = clock,
            renewed_at = clock, expires_at = clock + p_ttl,
            usable_at = GREATEST(clock, old.renewed_at + COALESCE(old.holder_wait, p_wait)),
            previous_owner = old.owner, previous_renewed_at = old.renewed_at, holder_wait = p_wait
        WHERE l.post_id = p_post AND l.account = p_account
        RETURNING * INTO lease;
    END IF;
    IF NOT p_begin OR lease.usable_at > clock OR p_now < p_scheduled OR p_now < p_at[1] OR p_now > p_latest
       OR EXISTS (SELECT 1 FROM posts p WHERE p.post_id = p_post AND p.account = p_account)
       OR EXISTS (SELECT 1 FROM holds h WHERE h.account = p_account) THEN
        PERFORM set_config('synchronous_commit', 'off', true);  -- a grant alone, as acquire_lease commits it
        RETURN QUERY SELECT 'leased'::text, clock, lease;
        RETURN;
    END IF;
    INSERT INTO posts (post_id, account, scheduled_at, texts_digest, created_at, updated_at)
    VALUES (p_post, p_account, p_scheduled, p_digest, p_now, p_now);
    INSERT INTO fragments (post_id, account, idx, total, text, at, state, attempts, created_at, updated_at)
    SELECT p_post, p_account, u.idx, u.total, u.text, u.at,
           CASE WHEN u.idx = p_idx[1] THEN 'sending' ELSE 'pending' END,
           CASE WHEN u.idx = p_idx[1] THEN 1 ELSE 0 END, p_now, p_now
    FROM unnest(p_idx, p_total, p_text, p_at) AS u(idx, total, text, at);
    RETURN QUERY SELECT 'begun'::text, clock, lease;
END
$fire$""",
)


def prime_fire() -> tuple[str, tuple[object, ...]]:
    """bot_fire through its longest path (grant, freeze, mark) on a key no post has (post ids are never empty), for
    a transaction rolled back: the connection then has the function compiled and its statements planned."""
    at = datetime.now(UTC)
    return FIRE, ("[\"\", \"\"]", "", "", "", timedelta(seconds=1), timedelta(0), True, at, at, at, "", [1], [1],
                  [""], [at])  # fmt: skip


def fire_params(
    post: Post, owner: str, ttl: timedelta, plan: FirePlan | None, takeover_wait: timedelta
) -> tuple[object, ...]:
    """FIRE's parameters: the post's lock key and lease, what the plan allows, the post's frozen content."""
    key = (post.id, post.account.name)
    fragments = post.fragments
    begin = plan is not None and plan.max_attempts > 0 and bool(fragments)
    return (
        json.dumps(list(key)),  # the key lock_post locks
        *key,
        owner,
        ttl,
        takeover_wait,
        begin,
        aware(plan.now) if plan is not None else None,
        aware(plan.latest) if plan is not None else None,
        aware(post.at),
        content_digest(post),
        [f.index for f in fragments],
        [f.total for f in fragments],
        [f.text for f in fragments],
        [aware(f.at) for f in fragments],
    )


class PgFireMethods:
    """fire() over `_write_one` (one statement in its own transaction: one round trip) and the clock."""

    _monotonic: Callable[[], float]

    def _write_one(self, body: Callable[[Query], T]) -> T:
        raise NotImplementedError

    def fire(
        self, post: Post, owner: str, ttl: timedelta, plan: FirePlan | None, *, takeover_wait: timedelta = timedelta(0)
    ) -> Fired:
        """Take the post's lease (as acquire_lease) and, when `plan` allows it and the post was never frozen, freeze
        it and mark its first fragment `sending`, all in one round trip. The holder's view of the returned lease is
        as_holder(lease, sending_since=the monotonic time before this call) when a fragment was marked."""
        if ttl <= timedelta(0):
            raise ValueError("a lease needs a positive length")
        start = self._monotonic()
        params = fire_params(post, owner, ttl, plan, takeover_wait)
        row = self._write_one(lambda q: q(FIRE, params).one())
        assert row is not None
        if row["outcome"] == "held":
            return Fired(None, lease_info(row, expired=False), None, start)
        lease = lease_from_row(row, row["db_now"], start)
        fragments = post.fragments
        if row["outcome"] != "begun" or plan is None:
            return Fired(lease, None, None, start)
        stamp = aware(plan.now)
        records = [  # as they were before the mark, like begin()'s
            FragmentRecord(post.id, post.account.name, f.index, f.total, f.text, aware(f.at), FragmentState.PENDING,
                           None, None, 0, None, stamp, stamp, None)
            for f in fragments
        ]  # fmt: skip
        return Fired(lease, None, Begun(FreezeResult("new"), None, records, None, fragments[0].index), start)
