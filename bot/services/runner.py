"""Publishes one post: freeze its text, resolve unknown outcomes, send what is due, classify failures.

No scheduler and no sleeping here: publish_post() does what can be done now and returns a RunOutcome that
tells the caller (the daemon) when to call again. Every network call is bracketed by the outbox: the
fragment is `sending` (committed) before the request and `sent` right after the answer, so a crash at any
point leaves a record that the next run resolves by looking the text up on the platform, never by a blind
resend.

An outcome unknown (the request may have landed) is looked up at once, then again over the settling window
(bot/services/settling.py): the run ends `settling` with the time of the next lookup, and only a whole window
without finding the fragment lets it be sent again. Unexpected exceptions (anything that is not a
PublishError) are bugs in an adapter: the fragment is recorded `unknown` with the exception type and the next
run looks it up the same way instead of resending blindly. A BaseException (KeyboardInterrupt, SystemExit) is
not caught at all: the fragment stays `sending`, exactly as after a crash, and is resolved the same way on the
next run.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Literal

from bot.i18n import _
from bot.model import Fragment, Post
from bot.publishers.base import (
    AlreadyExists,
    CredentialsError,
    OutcomeUnknown,
    Published,
    Publisher,
    PublishError,
    Rejected,
    ReplyRefused,
    RetryLater,
)
from bot.services import attach
from bot.services.capholds import held_until, live_hold
from bot.services.retrypolicy import RetryPolicy as RetryPolicy  # its old home: imported from here too
from bot.services.settling import settling_cause
from bot.states import IN_DOUBT, FragmentState, Outcome
from bot.store import Begun, FragmentRecord, Outbox, OutboxError

logger = logging.getLogger("bot.runner")  # the name its log lines have always had


@dataclass(frozen=True)
class RunOutcome:
    """What a run achieved. `next_at`: when to call again ("waiting", "retry"); None otherwise."""

    kind: Outcome  # sent, waiting, retry, held, failed, unknown, conflict or stopped
    next_at: datetime | None
    message: str
    hold: Literal["app", "user"] | None = None  # retry: an X 24-hour cap used up until next_at (capholds.py)


class _Lookup:
    """The result of looking a text up on the platform: found, absent, or the lookup failed."""

    def __init__(self, found: Published | None, error: str | None) -> None:
        self.found = found
        self.error = error


def _look_up(publisher: Publisher, text: str) -> _Lookup:
    try:
        return _Lookup(publisher.find_recent(text), None)
    except PublishError as error:
        return _Lookup(None, f"lookup failed: {error}")
    except Exception as error:  # a bug in the adapter: the lookup told us nothing
        logger.exception("unexpected %s from find_recent (a bug in the publisher)", type(error).__name__)
        return _Lookup(None, f"lookup failed with unexpected {type(error).__name__}: {error}")


def superseding(post: Post, record: FragmentRecord) -> Fragment | None:
    """The post's accepted fragment that replaces `record`'s frozen text, when they differ (None: keep it). A fragment
    in doubt keeps its old text through `resume --accept-edit` so it can be looked up; not found, it goes out as
    approved now, never as the superseded text."""
    if record.index > len(post.fragments):
        return None
    fragment = post.fragments[record.index - 1]
    return fragment if fragment.text != record.text else None


class _Run:
    """One call of publish_post: the post, its collaborators, and the helpers that record each step."""

    def __init__(
        self,
        post: Post,
        outbox: Outbox,
        publisher: Publisher,
        now: Callable[[], datetime],
        policy: RetryPolicy,
        stop_requested: Callable[[], bool],
    ) -> None:
        self.post = post
        self.account = post.account.name
        self.outbox = outbox
        self.publisher = publisher
        self.now = now
        self.policy = policy
        self.stop_requested = stop_requested

    def where(self, record: FragmentRecord) -> str:
        return f"post {self.post.id} account {self.account} fragment {record.index}/{record.total}"

    def finish(self, kind: Outcome, message: str, next_at: datetime | None = None) -> RunOutcome:
        self.outbox.record_outcome(self.post.id, self.account, kind, message, next_at, self.now())
        return RunOutcome(kind, next_at, message)

    def records(self) -> list[FragmentRecord]:
        return self.outbox.fragments_of(self.post.id, self.account)

    # -- steps -----------------------------------------------------------------------------------

    def run(self) -> RunOutcome:
        # One transaction: freeze, the hold, the fragments, and the first due fragment marked `sending` (durable)
        # unless anything is to be decided first (issue 22: nothing else before the first request).
        begun = self.outbox.begin(self.post, self.now(), 0 if self.stop_requested() else self.policy.max_attempts)
        frozen = begun.frozen
        if frozen.kind == "conflict":
            message = (
                f"message edited after publishing started: {frozen.conflict}; resume with "
                f"`python main.py resume {self.post.id} --accept-edit` or restore the text"
            )
            logger.error("post %s account %s: %s", self.post.id, self.account, message)
            return self.finish(Outcome.CONFLICT, message)
        if frozen.kind == "replaced":
            logger.info(
                "post %s account %s: message changed before publishing started; new text frozen",
                self.post.id,
                self.account,
            )
        hold = begun.hold
        if held_until(hold) is not None:  # a timed hold (an X 24-hour cap) is lifted here once it has ended
            hold = live_hold(self.outbox, self.account, self.now())
        if (until := held_until(hold)) is not None:  # held by an X 24-hour cap since this run was decided
            return self.finish(Outcome.RETRY, f"held: {hold}", max(until, self.now()))
        if hold is not None:
            logger.error("post %s account %s held: %s", self.post.id, self.account, hold)
            return self.finish(Outcome.HELD, f"held: {hold}")
        doubtful = [record for record in begun.records if record.state in IN_DOUBT]
        for record in doubtful:
            unresolved = self.resolve(record, f"outcome of an earlier attempt unknown ({record.state})")
            if unresolved is not None:
                return unresolved
        return self.send_due(None if doubtful else begun)

    def resolve(self, record: FragmentRecord, why: str, duplicate: bool = False) -> RunOutcome | None:
        """Settle a fragment whose request may have gone out. None when settled (sent or pending again)."""
        lookup = _look_up(self.publisher, record.text)
        now = self.now()
        if lookup.found is not None:
            self.outbox.mark_sent(
                self.post.id, self.account, record.index, lookup.found.remote_id, lookup.found.url, now
            )
            logger.info("%s found on the platform as %s (%s)", self.where(record), lookup.found.remote_id, why)
            return None
        verdict = self.policy.settling.verdict(record, now, lookup.error is not None, duplicate)
        if verdict.resend:
            seconds = int(self.policy.settling.window.total_seconds())
            note = _("{why}; not found over the settling window ({seconds} s)").format(why=why, seconds=seconds)
            accepted = superseding(self.post, record)  # an edit accepted while it was in doubt: send the new text
            self.outbox.mark_pending(self.post.id, self.account, record.index, note, now, accepted)
            if record.index > len(self.post.fragments):  # the accepted edit has fewer fragments: this one is dropped
                self.outbox.accept_edit(self.post, now)
            logger.info(
                _("{where} not found on the platform over the whole settling window; it will be sent again ({why})")
                .format(where=self.where(record), why=why)
            )  # fmt: skip
            return None
        if verdict.next_at is not None:
            cause = settling_cause(record, why, lookup.error, verdict.ends_at, duplicate)
            self.outbox.mark_unknown(self.post.id, self.account, record.index, cause, now, duplicate=duplicate)
            at = verdict.next_at.isoformat(timespec="seconds")
            lookup_said = lookup.error or _("not found yet")
            logger.warning(_("{where} outcome unknown: {lookup}; looked up again at {at}; {cause}")
                           .format(where=self.where(record), lookup=lookup_said, at=at, cause=cause))  # fmt: skip
            message = _("{cause}; looked up again at {at}").format(cause=cause, at=at)
            return self.finish(Outcome.SETTLING, message, verdict.next_at)
        message = (
            f"fragment {record.index}/{record.total}: {why}, and {lookup.error}; it will be looked up "
            "again before anything is resent"
        )
        self.outbox.mark_unknown(self.post.id, self.account, record.index, message, now)
        logger.error("%s outcome unknown: %s", self.where(record), message)
        return self.finish(Outcome.UNKNOWN, message)

    def send_due(self, begun: Begun | None = None) -> RunOutcome:
        """Send the due fragments in order; `begun`: the first round's records as begin() read them, with the one it
        marked `sending` (then not marked again)."""
        standalone_from = begun.standalone_from if begun is not None else self.standalone_from()
        while True:
            records = begun.records if begun is not None else self.records()
            marked, begun = (begun.sending if begun is not None else None), None
            stopped = self.blocking(records)
            if stopped is not None:
                return stopped
            pending = [r for r in records if r.state == FragmentState.PENDING]
            if not pending:
                logger.info("post %s account %s done: %d fragments sent", self.post.id, self.account, len(records))
                return self.finish(Outcome.SENT, f"all {len(records)} fragments sent")
            record = pending[0]
            premarked = marked == record.index
            if self.stop_requested():
                logger.info("%s not sent: stop requested", self.where(record))
                if premarked:
                    self._unmark(record, _("not sent: stop requested"))
                return self.finish(Outcome.STOPPED, "stop requested; the remaining fragments are pending")
            due = self.due_at(record)
            now = self.now()
            if due > now:  # begin() marks only what is due by its own `now`: not reached when premarked
                if premarked:
                    self._unmark(record, None)
                logger.info("%s waiting until %s", self.where(record), due.isoformat())
                return self.finish(Outcome.WAITING, f"fragment {record.index}/{record.total} is due later", due)
            if record.attempts >= self.policy.max_attempts:
                return self.give_up(record, record.attempts, record.last_error or "no reason recorded")
            reply_to = self.reply_to(records, record, standalone_from)
            outcome = self.send(record, reply_to, premarked)
            if outcome is not None:
                return outcome
            standalone_from = self.standalone_from()

    def blocking(self, records: list[FragmentRecord]) -> RunOutcome | None:
        """A fragment that stops the thread from going on: failed, missed, or still unresolved."""
        for record in records:
            if record.state == FragmentState.FAILED:
                return self.finish(
                    Outcome.FAILED, f"fragment {record.index}/{record.total} failed: {record.last_error}"
                )
            if record.state == FragmentState.MISSED:
                return self.finish(
                    Outcome.FAILED, f"fragment {record.index}/{record.total} missed: {record.last_error}"
                )
            if record.state in IN_DOUBT:
                return self.finish(Outcome.UNKNOWN, f"fragment {record.index}/{record.total} is {record.state}")
        return None

    def standalone_from(self) -> int | None:
        return self.outbox.standalone_from(self.post.id, self.account)

    def due_at(self, record: FragmentRecord) -> datetime:
        """The fragment's time in the current plan (edited times apply), else the frozen one."""
        if record.index <= len(self.post.fragments):
            return self.post.fragments[record.index - 1].at
        return record.at

    @staticmethod
    def reply_to(records: list[FragmentRecord], record: FragmentRecord, standalone_from: int | None) -> str | None:
        if record.index == 1 or (standalone_from is not None and record.index >= standalone_from):
            return None
        previous = [r for r in records if r.index < record.index and r.state == FragmentState.SENT]
        return previous[-1].remote_id if previous else None

    def give_up(self, record: FragmentRecord, attempts: int, reason: str) -> RunOutcome:
        return self.fail(record, f"gave up after {attempts} attempts: {reason}")

    def fail(self, record: FragmentRecord, reason: str) -> RunOutcome:
        message = f"fragment {record.index}/{record.total}: {reason}"
        self.outbox.mark_failed(self.post.id, self.account, record.index, message, self.now())
        logger.error("%s failed: %s", self.where(record), reason)
        return self.finish(Outcome.FAILED, message)

    def send(self, record: FragmentRecord, reply_to: str | None, premarked: bool = False) -> RunOutcome | None:
        """Send one fragment and record the result (`premarked`: begin() marked it `sending`). None: go on with the
        next pending fragment."""
        post_id, account, index = self.post.id, self.account, record.index
        if not premarked:
            self.outbox.mark_sending(post_id, account, index, self.now())
        try:
            self.outbox.assert_may_send()  # a shared store: this process still holds the post (its lease)
        except OutboxError as error:
            self._unmark(record, f"not sent: {error}")
            raise
        attempts = record.attempts + 1
        try:
            published = attach.publish(self.post, index, record.text, reply_to, self.publisher, self.outbox, self.now)
        except OutboxError as error:  # before the request (an upload's record, the lease): nothing was posted
            self._unmark(record, f"not sent: {error}")
            raise
        except RetryLater as error:
            return self.retry_later(record, attempts, error)
        except OutcomeUnknown as error:
            return self.resolve(record, f"outcome unknown: {error}")
        except AlreadyExists as error:
            if record.attempts > 0:  # sent before: evidence that an earlier attempt landed; look, never resend
                why = _("the platform says it already exists ({error})").format(error=error)
                return self.resolve(record, why, duplicate=True)
            lookup = _look_up(self.publisher, record.text)
            if lookup.found is not None:
                self.outbox.mark_sent(post_id, account, index, lookup.found.remote_id, lookup.found.url, self.now())
                logger.info("%s already existed as %s", self.where(record), lookup.found.remote_id)
                return None
            if lookup.error is not None:
                message = f"the platform says it already exists ({error}), and {lookup.error}"
                self.outbox.mark_unknown(post_id, account, index, message, self.now())
                logger.error("%s outcome unknown: %s", self.where(record), message)
                return self.finish(Outcome.UNKNOWN, message)
            return self.fail(record, f"rejected as a duplicate, but no recent post has this text: {error}")
        except ReplyRefused as error:
            return self.reply_refused(record, reply_to, error)
        except Rejected as error:
            return self.fail(record, f"rejected by {self.publisher.platform}: {error}")
        except CredentialsError as error:
            variable = error.variable or "the account's credentials"
            reason = f"fix {variable} then restart ({error})"
            self.outbox.mark_pending(post_id, account, index, f"credentials: {error}", self.now())
            self.outbox.hold(account, reason, self.now())
            logger.error("%s held: %s", self.where(record), reason)
            return self.finish(Outcome.HELD, f"held: {reason}")
        except PublishError as error:  # a PublishError subclass this runner does not know: do not guess
            message = f"unclassified {type(error).__name__}: {error}; it will be looked up before any resend"
            self.outbox.mark_unknown(post_id, account, index, message, self.now())
            logger.error("%s outcome unknown: %s", self.where(record), message)
            return self.finish(Outcome.UNKNOWN, message)
        except Exception as error:
            message = (
                f"unexpected {type(error).__name__} from the publisher (a bug): {error}; "
                "it will be looked up before any resend"
            )
            self.outbox.mark_unknown(post_id, account, index, message, self.now())
            logger.exception("%s outcome unknown: %s", self.where(record), message)
            return self.finish(Outcome.UNKNOWN, message)
        self.outbox.mark_sent(post_id, account, index, published.remote_id, published.url, self.now())
        logger.info("%s sent as %s (reply to %s) %s", self.where(record), published.remote_id, reply_to, published.url)
        return None

    def _unmark(self, record: FragmentRecord, why: str | None) -> None:
        """Nothing left: put the fragment back to pending if the store still lets us (else the next holder
        looks it up, as after a crash)."""
        try:
            self.outbox.mark_pending(self.post.id, self.account, record.index, why, self.now())
        except OutboxError:
            logger.warning("%s left sending: %s", self.where(record), why)

    def retry_later(self, record: FragmentRecord, attempts: int, error: RetryLater) -> RunOutcome:
        now = self.now()
        if attempts >= self.policy.max_attempts:
            return self.give_up(record, attempts, f"retry later: {error}")
        retry_at = error.retry_at if error.retry_at is not None else now + self.policy.delay(attempts)
        retry_at = max(retry_at, now)
        self.outbox.mark_pending(self.post.id, self.account, record.index, f"retry later: {error}", now)
        logger.info(
            "%s not sent (%s); attempt %d of %d, retrying at %s",
            self.where(record),
            error,
            attempts,
            self.policy.max_attempts,
            retry_at.isoformat(),
        )
        outcome = self.finish(Outcome.RETRY, f"fragment {record.index}/{record.total}: {error}", retry_at)
        return replace(outcome, hold=error.hold)

    def reply_refused(self, record: FragmentRecord, reply_to: str | None, error: ReplyRefused) -> RunOutcome | None:
        platform = self.publisher.platform
        if reply_to is None:  # a refused reply without a reply: nothing sensible to fall back to
            return self.fail(record, f"rejected by {platform}: {error}")
        if self.post.account.on_reply_refused == "stop":
            return self.fail(
                record,
                f"{platform} refused the reply in the thread: {error}; to post the rest as standalone "
                f"posts set on_reply_refused: series for account {self.account} and run "
                f"`python main.py resume {self.post.id}`",
            )
        note = (
            f"{platform} refused replies at fragment {record.index}/{record.total}; "
            "remaining fragments posted as standalone posts"
        )
        now = self.now()
        self.outbox.mark_pending(self.post.id, self.account, record.index, f"reply refused: {error}", now)
        self.outbox.set_standalone_from(self.post.id, self.account, record.index, note, now)
        logger.warning("%s: %s (%s)", self.where(record), note, error)
        return None


def publish_post(
    post: Post,
    outbox: Outbox,
    publisher: Publisher,
    now: Callable[[], datetime],
    policy: RetryPolicy,
    stop_requested: Callable[[], bool] = lambda: False,
) -> RunOutcome:
    """Publish what is due of `post` now, recording every step in `outbox`; never sleeps.

    Safe to call again at any time (after a crash, a retry time, a restart): it continues where the
    outbox says the post stopped. Two different posts may run at once in different threads.
    """
    return _Run(post, outbox, publisher, now, policy, stop_requested).run()
