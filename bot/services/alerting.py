"""The daemon's alerting hook: turns what the daemon and the runner decided into alerts for a person.

The daemon calls `planned`, `after`, `missed` and `invalid_edit` at a few places; this module picks the alert
(bot/alerts/texts.py), fills in the account's variable, the failed fragment or the links from the outbox,
and hands it to the AlertSender, which only queues it: delivery happens on the sender's own thread, so
nothing here is on the publishing path. `NoEvents` is the hook of a daemon without alerts or pre-flight.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import Protocol

from bot import credentials
from bot.alerts import Alert, texts
from bot.model import Post
from bot.problems import Problem, report_lines
from bot.services.job import JobResult
from bot.services.preflight import Preflight, PreflightResult, SideTimers
from bot.states import FINAL, IN_DOUBT, FragmentState, Outcome
from bot.store import FragmentRecord, Outbox

logger = logging.getLogger("bot.daemon")

Key = tuple[str, str]


class Sends(Protocol):
    """What the hook needs of bot.alerts.AlertSender."""

    def send(self, alert: Alert) -> bool: ...


class DaemonEvents(Protocol):
    def planned(self, posts: Sequence[Post], timers: SideTimers) -> None: ...
    def after(self, key: Key, result: JobResult) -> None: ...
    def missed(self, post: Post, reason: str) -> None: ...
    def invalid_edit(self, schedule: str, problems: Sequence[Problem]) -> None: ...


class NoEvents:
    def planned(self, posts: Sequence[Post], timers: SideTimers) -> None:
        pass

    def after(self, key: Key, result: JobResult) -> None:
        pass

    def missed(self, post: Post, reason: str) -> None:
        pass

    def invalid_edit(self, schedule: str, problems: Sequence[Problem]) -> None:
        pass


class AlertHook:
    """DaemonEvents that alert through `sender` and run the pre-flight checks (when `preflight` is given)."""

    def __init__(self, sender: Sends, outbox: Outbox) -> None:
        self._sender = sender
        self._outbox = outbox
        self.preflight: Preflight | None = None  # set after: it reports to preflight_done
        self._posts: dict[Key, Post] = {}

    def planned(self, posts: Sequence[Post], timers: SideTimers) -> None:
        self._posts = {post.key: post for post in posts}
        if self.preflight is not None:
            self.preflight.plan(posts, timers)

    def after(self, key: Key, result: JobResult) -> None:
        """A post's run ended. UNKNOWN reaches here only once its look-ups are spent (the daemon decides)."""
        post_id, account = key
        kind = result.kind
        if kind == Outcome.HELD:
            reason = self._outbox.hold_reason(account) or result.message
            self._sender.send(texts.account_held(account, self._variable_in(account, reason), reason, post_id))
        elif kind == Outcome.FAILED:
            record = self._fragment(key, (FragmentState.FAILED, FragmentState.MISSED))
            index, total = (record.index, record.total) if record else (0, 0)
            self._sender.send(texts.fragment_refused(post_id, account, index, total, result.message))
        elif kind == Outcome.UNKNOWN:
            record = self._fragment(key, tuple(IN_DOUBT))
            index, total = (record.index, record.total) if record else (0, 0)
            self._sender.send(texts.unknown_after_lookups(post_id, account, index, total, result.message))
        elif kind == Outcome.CONFLICT:
            self._sender.send(texts.conflict(post_id, account, result.message))
        elif kind == Outcome.AWAITING:  # repeats (each re-check) are deduplicated by the sender's window
            self._sender.send(texts.awaiting_approval(post_id, account, result.message))
        elif kind == Outcome.SENT:
            urls = [f.url for f in self._outbox.fragments_of(post_id, account) if f.state == FragmentState.SENT]
            self._sender.send(texts.post_published(post_id, account, [u for u in urls if u]))

    def missed(self, post: Post, reason: str) -> None:
        self._sender.send(texts.missed(post.id, post.account.name, post.at, reason))

    def invalid_edit(self, schedule: str, problems: Sequence[Problem]) -> None:
        self._sender.send(texts.invalid_edit(schedule, report_lines(problems)))

    def preflight_done(self, result: PreflightResult) -> None:
        post = result.post
        name = post.account.name
        if result.problems:
            self._sender.send(texts.preflight_failed(post.id, name, post.at, result.problems))
        else:
            self._sender.send(texts.preflight_passed(post.id, name, post.at))

    def _variable_in(self, account: str, reason: str) -> str | None:
        """The credential variable the hold names (the platform's error says which one was refused)."""
        found = next((p.account for p in self._posts.values() if p.account.name == account), None)
        names = credentials.required_variables(found) if found is not None else ()
        return next((name for name in names if name in reason), None)

    def _fragment(self, key: Key, states: tuple[FragmentState, ...]) -> FragmentRecord | None:
        return next((f for f in self._outbox.fragments_of(*key) if f.state in states), None)


def posts_ahead(posts: Sequence[Post], outbox: Outbox) -> int:
    """Posts of the plan not yet in a final state, for the started and stopped alerts."""
    final = {str(outcome) for outcome in FINAL}
    done = {(s.post_id, s.account) for s in outbox.posts() if s.last_outcome in final}
    return sum(1 for post in posts if post.key not in done)
