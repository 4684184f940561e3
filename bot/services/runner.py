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
from dataclasses import replace
from datetime import datetime

from bot.i18n import _
from bot.model import Post
from bot.publishers.base import (
    AlreadyExists,
    CredentialsError,
    OutcomeUnknown,
    Publisher,
    PublishError,
    Rejected,
    ReplyRefused,
    RetryLater,
)
from bot.services import attach
from bot.services.capholds import held_until, live_hold
from bot.services.lookup import look_up, superseding
from bot.services.retrypolicy import RetryPolicy as RetryPolicy  # where the daemon and the tests have always found it
from bot.services.runrecord import RunOutcome as RunOutcome  # likewise
from bot.services.runrecord import RunRecorder, frag
from bot.services.settling import settling_cause
from bot.states import IN_DOUBT, FragmentState, Outcome
from bot.store import Begun, FragmentRecord, Outbox, OutboxError

logger = logging.getLogger("bot.runner")  # the name its log lines have always had


class _Run(RunRecorder):
    """One call of publish_post: its steps (the recording helpers are RunRecorder's)."""

    begun: Begun | None = None

    # -- steps -----------------------------------------------------------------------------------

    def run(self) -> RunOutcome:
        # One transaction: freeze, the hold, the fragments, and the first due fragment marked `sending` (durable)
        # unless anything is to be decided first (issue 22: nothing else before the first request); with
        # PostgreSQL it may have been done already, in the lease's round trip (`self.begun`, pg_fire.py).
        begun = self.begun
        if begun is None:
            begun = self.outbox.begin(self.post, self.now(), 0 if self.stop_requested() else self.policy.max_attempts)
        frozen = begun.frozen
        if frozen.kind == "conflict":
            message = _(
                "message edited after publishing started: {conflict}; resume with "
                "`python main.py resume {post_id} --accept-edit` or restore the text"
            ).format(conflict=frozen.conflict, post_id=self.post.id)
            self.note(logger.error, _("post {post_id} account {account}: {message}"), message=message)
            return self.finish(Outcome.CONFLICT, message)
        if frozen.kind == "replaced":
            text = _("post {post_id} account {account}: message changed before publishing started; new text frozen")
            self.note(logger.info, text)
        hold = begun.hold
        if held_until(hold) is not None:  # a timed hold (an X 24-hour cap) is lifted here once it has ended
            hold = live_hold(self.outbox, self.account, self.now())
        if (until := held_until(hold)) is not None:  # held by an X 24-hour cap since this run was decided
            return self.finish(Outcome.RETRY, f"held: {hold}", max(until, self.now()))
        if hold is not None:
            self.note(logger.error, _("post {post_id} account {account} held: {hold}"), hold=hold)
            return self.finish(Outcome.HELD, f"held: {hold}")
        doubtful = [record for record in begun.records if record.state in IN_DOUBT]
        for record in doubtful:
            why = _("outcome of an earlier attempt unknown ({state})").format(state=record.state)
            unresolved = self.resolve(record, why)
            if unresolved is not None:
                return unresolved
        return self.send_due(None if doubtful else begun)

    def resolve(self, record: FragmentRecord, why: str, duplicate: bool = False) -> RunOutcome | None:
        """Settle a fragment whose request may have gone out. None when settled (sent or pending again)."""
        lookup = look_up(self.publisher, record.text)
        now = self.now()
        if lookup.found is not None:
            self.outbox.mark_sent(
                self.post.id, self.account, record.index, lookup.found.remote_id, lookup.found.url, now
            )
            self.say(
                logger.info,
                record,
                _("{record} found on the platform as {remote_id} ({why})"),
                remote_id=lookup.found.remote_id,
                why=why,
            )
            return None
        verdict = self.policy.settling.verdict(record, now, lookup.error is not None, duplicate)
        if verdict.resend:
            seconds = int(self.policy.settling.window.total_seconds())
            note = _("{why}; not found over the settling window ({seconds} s)").format(why=why, seconds=seconds)
            accepted = superseding(self.post, record)  # an edit accepted while it was in doubt: send the new text
            self.outbox.mark_pending(self.post.id, self.account, record.index, note, now, accepted)
            if record.index > len(self.post.fragments):  # the accepted edit has fewer fragments: this one is dropped
                self.outbox.accept_edit(self.post, now)
            text = _("{record} not found on the platform over the whole settling window; it will be sent again ({why})")
            self.say(logger.info, record, text, why=why)
            return None
        if verdict.next_at is not None:
            cause = settling_cause(record, why, lookup.error, verdict.ends_at, duplicate)
            self.outbox.mark_unknown(self.post.id, self.account, record.index, cause, now, duplicate=duplicate)
            at = verdict.next_at.isoformat(timespec="seconds")
            lookup_said = lookup.error or _("not found yet")
            text = _("{record} outcome unknown: {lookup}; looked up again at {at}; {cause}")
            self.say(logger.warning, record, text, lookup=lookup_said, at=at, cause=cause)
            message = _("{cause}; looked up again at {at}").format(cause=cause, at=at)
            return self.finish(Outcome.SETTLING, message, verdict.next_at)
        message = frag(
            _("fragment {index}/{total}: {why}, and {error}; it will be looked up again before anything is resent"),
            record,
            why=why,
            error=lookup.error,
        )
        self.outbox.mark_unknown(self.post.id, self.account, record.index, message, now)
        self.say(logger.error, record, _("{record} outcome unknown: {message}"), message=message)
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
                self.note(
                    logger.info,
                    _("post {post_id} account {account} done: {records} fragments sent"),
                    records=len(records),
                )
                return self.finish(Outcome.SENT, _("all {records} fragments sent").format(records=len(records)))
            record = pending[0]
            premarked = marked == record.index
            if self.stop_requested():
                self.say(logger.info, record, _("{record} not sent: stop requested"))
                if premarked:
                    self._unmark(record, _("not sent: stop requested"))
                return self.finish(Outcome.STOPPED, _("stop requested; the remaining fragments are pending"))
            due = self.due_at(record)
            now = self.now()
            if due > now:  # begin() marks only what is due by its own `now`: not reached when premarked
                if premarked:
                    self._unmark(record, None)
                self.say(logger.info, record, _("{record} waiting until {isoformat}"), isoformat=due.isoformat())
                return self.finish(Outcome.WAITING, frag(_("fragment {index}/{total} is due later"), record), due)
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
                    Outcome.FAILED,
                    frag(_("fragment {index}/{total} failed: {last_error}"), record, last_error=record.last_error),
                )
            if record.state == FragmentState.MISSED:
                return self.finish(
                    Outcome.FAILED,
                    frag(_("fragment {index}/{total} missed: {last_error}"), record, last_error=record.last_error),
                )
            if record.state in IN_DOUBT:
                return self.finish(
                    Outcome.UNKNOWN, frag(_("fragment {index}/{total} is {state}"), record, state=record.state)
                )
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

    def send(self, record: FragmentRecord, reply_to: str | None, premarked: bool = False) -> RunOutcome | None:
        """Send one fragment and record the result (`premarked`: begin() marked it `sending`). None: go on with the
        next pending fragment."""
        post_id, account, index = self.post.id, self.account, record.index
        if not premarked:
            self.outbox.mark_sending(post_id, account, index, self.now())
        try:
            self.outbox.assert_may_send()  # a shared store: this process still holds the post (its lease)
        except OutboxError as error:
            self._unmark(record, _("not sent: {error}").format(error=error))
            raise
        attempts = record.attempts + 1
        try:
            published = attach.publish(self.post, index, record.text, reply_to, self.publisher, self.outbox, self.now)
        except OutboxError as error:  # before the request (an upload's record, the lease): nothing was posted
            self._unmark(record, _("not sent: {error}").format(error=error))
            raise
        except RetryLater as error:
            return self.retry_later(record, attempts, error)
        except OutcomeUnknown as error:
            return self.resolve(record, _("outcome unknown: {error}").format(error=error))
        except AlreadyExists as error:
            if record.attempts > 0:  # sent before: evidence that an earlier attempt landed; look, never resend
                why = _("the platform says it already exists ({error})").format(error=error)
                return self.resolve(record, why, duplicate=True)
            lookup = look_up(self.publisher, record.text)
            if lookup.found is not None:
                self.outbox.mark_sent(post_id, account, index, lookup.found.remote_id, lookup.found.url, self.now())
                self.say(
                    logger.info, record, _("{record} already existed as {remote_id}"), remote_id=lookup.found.remote_id
                )
                return None
            if lookup.error is not None:
                message = _("the platform says it already exists ({error}), and {error2}").format(
                    error=error, error2=lookup.error
                )
                self.outbox.mark_unknown(post_id, account, index, message, self.now())
                self.say(logger.error, record, _("{record} outcome unknown: {message}"), message=message)
                return self.finish(Outcome.UNKNOWN, message)
            return self.fail(
                record, _("rejected as a duplicate, but no recent post has this text: {error}").format(error=error)
            )
        except ReplyRefused as error:
            return self.reply_refused(record, reply_to, error)
        except Rejected as error:
            return self.fail(
                record, _("rejected by {platform}: {error}").format(platform=self.publisher.platform, error=error)
            )
        except CredentialsError as error:
            variable = error.variable or "the account's credentials"
            reason = _("fix {variable} then restart ({error})").format(variable=variable, error=error)
            self.outbox.mark_pending(post_id, account, index, f"credentials: {error}", self.now())
            self.outbox.hold(account, reason, self.now())
            self.say(logger.error, record, _("{record} held: {reason}"), reason=reason)
            return self.finish(Outcome.HELD, f"held: {reason}")
        except PublishError as error:  # a PublishError subclass this runner does not know: do not guess
            message = _("unclassified {__name__}: {error}; it will be looked up before any resend").format(
                __name__=type(error).__name__, error=error
            )
            self.outbox.mark_unknown(post_id, account, index, message, self.now())
            self.say(logger.error, record, _("{record} outcome unknown: {message}"), message=message)
            return self.finish(Outcome.UNKNOWN, message)
        except Exception as error:
            message = _(
                "unexpected {__name__} from the publisher (a bug): {error}; it will be looked up before any resend"
            ).format(__name__=type(error).__name__, error=error)
            self.outbox.mark_unknown(post_id, account, index, message, self.now())
            self.say(logger.exception, record, _("{record} outcome unknown: {message}"), message=message)
            return self.finish(Outcome.UNKNOWN, message)
        self.outbox.mark_sent(post_id, account, index, published.remote_id, published.url, self.now())
        self.say(
            logger.info,
            record,
            _("{record} sent as {remote_id} (reply to {reply_to}) {url}"),
            remote_id=published.remote_id,
            reply_to=reply_to,
            url=published.url,
        )
        return None

    def retry_later(self, record: FragmentRecord, attempts: int, error: RetryLater) -> RunOutcome:
        now = self.now()
        if attempts >= self.policy.max_attempts:
            return self.give_up(record, attempts, _("retry later: {error}").format(error=error))
        retry_at = error.retry_at if error.retry_at is not None else now + self.policy.delay(attempts)
        retry_at = max(retry_at, now)
        self.outbox.mark_pending(
            self.post.id, self.account, record.index, _("retry later: {error}").format(error=error), now
        )
        logger.info(
            _("{record} not sent ({error}); attempt {attempts} of {max_attempts}, retrying at {isoformat}").format(
                record=self.where(record),
                error=error,
                attempts=attempts,
                max_attempts=self.policy.max_attempts,
                isoformat=retry_at.isoformat(),
            ),
        )
        outcome = self.finish(
            Outcome.RETRY, frag(_("fragment {index}/{total}: {error}"), record, error=error), retry_at
        )
        return replace(outcome, hold=error.hold)

    def reply_refused(self, record: FragmentRecord, reply_to: str | None, error: ReplyRefused) -> RunOutcome | None:
        platform = self.publisher.platform
        if reply_to is None:  # a refused reply without a reply: nothing sensible to fall back to
            return self.fail(record, _("rejected by {platform}: {error}").format(platform=platform, error=error))
        if self.post.account.on_reply_refused == "stop":
            return self.fail(
                record,
                _(
                    "{platform} refused the reply in the thread: {error}; to post the rest as standalone posts "
                    "set on_reply_refused: series for account {account} and run `python main.py resume {id}`"
                ).format(platform=platform, error=error, account=self.account, id=self.post.id),
            )
        note = _(
            "{platform} refused replies at fragment {index}/{total}; remaining fragments posted as standalone posts"
        ).format(platform=platform, index=record.index, total=record.total)
        now = self.now()
        self.outbox.mark_pending(
            self.post.id, self.account, record.index, _("reply refused: {error}").format(error=error), now
        )
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
    begun: Begun | None = None,
) -> RunOutcome:
    """Publish what is due of `post` now, recording every step in `outbox`; never sleeps. `begun`: what
    outbox.begin() would return, already done (frozen, first fragment marked) in the lease's round trip.

    Safe to call again at any time (after a crash, a retry time, a restart): it continues where the
    outbox says the post stopped. Two different posts may run at once in different threads.
    """
    run = _Run(post, outbox, publisher, now, policy, stop_requested)
    run.begun = begun
    return run.run()
