"""One run of a post's timer: decide again with the outbox as it is now, then publish what is due."""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from bot.i18n import _
from bot.model import Post
from bot.services.accounts import Accounts
from bot.services.approvalgate import ApprovalGate, started
from bot.services.capholds import hold_for_cap
from bot.services.decide import Step, decide
from bot.services.runner import RetryPolicy, publish_post
from bot.states import Outcome
from bot.store import Begun, Outbox

logger = logging.getLogger("bot.daemon")  # its lines are the daemon's, under the name they have always had


@dataclass(frozen=True)
class JobResult:
    """What one run of a post's job ended with; `at`: when to run it again."""

    kind: Outcome
    at: datetime | None = None
    message: str = ""


@dataclass(frozen=True)
class RunSettings:
    catch_up: timedelta
    policy: RetryPolicy
    stopping: Callable[[], bool]  # shutdown asked: stop between fragments
    gate: ApprovalGate | None = None  # `approval: required`: only an approved text goes out
    missed: Callable[[Post, str], None] = lambda post, reason: None  # tell someone (alerts)


def run_job(
    post: Post,
    outbox: Outbox,
    accounts: Accounts,
    clock: Callable[[], datetime],
    settings: RunSettings,
) -> JobResult:
    """The caller holds the account's lock (one request at a time per account) and, with a shared store, the
    post's lease: `outbox` is then the holder's view."""
    now = clock()
    name = post.account.name
    summary = outbox.post(post.id, name)  # with the account's hold while the post is unfinished (one read)
    hold = outbox.hold_reason(name) if summary is None else summary.hold
    decision = decide(post, summary, hold, now, settings.catch_up)
    if decision.kind == Step.MARK_MISSED:
        return mark_missed(post, decision.reason, outbox, clock, settings.missed)
    if isinstance(decision.kind, Outcome):
        return JobResult(decision.kind, None, decision.reason)
    if decision.at is None:
        return JobResult(Outcome.REMOVED, None, decision.reason)  # not reached: a run always has a time
    if decision.at > now:
        return JobResult(Outcome.LATER, decision.at, decision.reason)
    if settings.gate is not None and (why := settings.gate.blocked(post, summary)):
        return _awaiting(post, outbox, now, settings.catch_up, why[0], started(summary))
    return publish_begun(post, outbox, accounts, clock, settings, now)


def publish_begun(
    post: Post,
    outbox: Outbox,
    accounts: Accounts,
    clock: Callable[[], datetime],
    settings: RunSettings,
    now: datetime,
    begun: Begun | None = None,
) -> JobResult:
    """Publish a post decided due at `now`. `begun`: already frozen and its first fragment marked `sending` in the
    lease's round trip (bot/store/pg_fire.py), which marks only what run_job would publish now, with no approval
    required: then not begun again."""
    name = post.account.name
    publisher = accounts.publisher(post, outbox, clock)
    if publisher is None:
        if begun is not None and begun.sending is not None:  # held meanwhile: nothing was sent, undo the mark
            outbox.mark_pending(post.id, name, begun.sending, None, clock())
        return JobResult(Outcome.HELD, None, outbox.hold_reason(name) or "")
    outcome = publish_post(post, outbox, publisher, clock, settings.policy, settings.stopping, begun)
    if outcome.hold is not None and outcome.next_at is not None:  # an X 24-hour cap is used up
        peers = accounts.sharing_app(post.account)
        hold_for_cap(outbox, outcome.hold, post.account, peers, accounts.api_key(post.account), outcome.next_at, now)
    return JobResult(outcome.kind, outcome.next_at, outcome.message)


def mark_missed(
    post: Post, reason: str, outbox: Outbox, clock: Callable[[], datetime], tell: Callable[[Post, str], None]
) -> JobResult:
    """Record a post too late for --catch-up as missed (`resume` publishes it), and `tell` it."""
    now = clock()
    name = post.account.name
    outbox.freeze(post, now)
    outbox.mark_missed(post.id, name, reason, now)
    outbox.record_outcome(post.id, name, Outcome.MISSED, f"missed: {reason}", None, now)
    logger.error(
        _(
            "post {post_id} account {account} missed: {reason} (due {at}); "
            "`python main.py resume {post_id} --account {account}` publishes it"
        ).format(post_id=post.id, account=name, reason=reason, at=post.at.isoformat())
    )
    tell(post, reason)
    return JobResult(Outcome.MISSED, None, reason)


def _awaiting(
    post: Post, outbox: Outbox, now: datetime, catch_up: timedelta, why: str, begun: bool = False
) -> JobResult:
    """Not sent: recorded as awaiting approval (status shows it), looked at again when an approval arrives or,
    at the latest, once --catch-up has passed (then it is missed). A started post (its approval revoked) is never
    missed: it waits for the approval alone."""
    outbox.freeze(post, now)  # records the current text and makes a row for status (a started post: checks it)
    outbox.record_outcome(post.id, post.account.name, Outcome.AWAITING, why, None, now)
    if begun:
        return JobResult(Outcome.AWAITING, None, why)
    return JobResult(Outcome.AWAITING, max(now, post.at + catch_up) + timedelta(seconds=1), why)
