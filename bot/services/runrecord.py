"""What a run of publish_post records and logs: its outcome, and the helpers that word and store each step
(moved out of runner.py, which keeps the steps themselves)."""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Literal

from bot.i18n import _
from bot.model import Post
from bot.publishers.base import Publisher
from bot.services.retrypolicy import RetryPolicy
from bot.states import Outcome
from bot.store import FragmentRecord, Outbox, OutboxError

logger = logging.getLogger("bot.runner")  # the runner's log lines keep their name


@dataclass(frozen=True)
class RunOutcome:
    """What a run achieved. `next_at`: when to call again ("waiting", "retry"); None otherwise."""

    kind: Outcome  # sent, waiting, retry, held, failed, unknown, conflict or stopped
    next_at: datetime | None
    message: str
    hold: Literal["app", "user"] | None = None  # retry: an X 24-hour cap used up until next_at (capholds.py)


def frag(text: str, record: FragmentRecord, /, **values: object) -> str:
    """`text` (a translated sentence about fragment {index}/{total}) about `record`."""
    return text.format(index=record.index, total=record.total, **values)


class RunRecorder:
    """One call of publish_post: the post, its collaborators, and the helpers that log and record each step."""

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
        return _("post {post_id} account {account} fragment {index}/{total}").format(
            post_id=self.post.id, account=self.account, index=record.index, total=record.total
        )

    def note(self, log: Callable[[str], None], text: str, /, **values: object) -> None:
        """Log `text` (a translated sentence starting with the post and account) about this run."""
        log(text.format(post_id=self.post.id, account=self.account, **values))

    def say(self, log: Callable[[str], None], record: FragmentRecord, text: str, /, **values: object) -> None:
        """Log `text` (a translated sentence starting with {record}) about `record`."""
        log(text.format(record=self.where(record), **values))

    def finish(self, kind: Outcome, message: str, next_at: datetime | None = None) -> RunOutcome:
        self.outbox.record_outcome(self.post.id, self.account, kind, message, next_at, self.now())
        return RunOutcome(kind, next_at, message)

    def records(self) -> list[FragmentRecord]:
        return self.outbox.fragments_of(self.post.id, self.account)

    def give_up(self, record: FragmentRecord, attempts: int, reason: str) -> RunOutcome:
        return self.fail(
            record, _("gave up after {attempts} attempts: {reason}").format(attempts=attempts, reason=reason)
        )

    def fail(self, record: FragmentRecord, reason: str) -> RunOutcome:
        message = frag(_("fragment {index}/{total}: {reason}"), record, reason=reason)
        self.outbox.mark_failed(self.post.id, self.account, record.index, message, self.now())
        self.say(logger.error, record, _("{record} failed: {reason}"), reason=reason)
        return self.finish(Outcome.FAILED, message)

    def _unmark(self, record: FragmentRecord, why: str | None) -> None:
        """Nothing left: put the fragment back to pending if the store still lets us (else the next holder
        looks it up, as after a crash)."""
        try:
            self.outbox.mark_pending(self.post.id, self.account, record.index, why, self.now())
        except OutboxError:
            self.say(logger.warning, record, _("{record} left sending: {why}"), why=why)
