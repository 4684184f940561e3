"""The daemon: one timer per post, crash recovery, retries and live reload.

The timers are APScheduler's (bot/services/timers.py, imported lazily in Daemon.start). The outbox, not the scheduler,
is the memory: jobs live in APScheduler's in-memory store only and are rebuilt from the plan and the outbox at start
and on every reload. A job never sleeps: publish_post() does what is due now and the job's completion listener adds
the next timer ("waiting", "retry"), after the executor has counted the finished run out (see timers.py).

Live edits: the schedule, its message files and the resume marker (`state/resume-requested`, touched by
`python main.py resume`) are polled every second; SIGHUP (the run command) forces a reload. A valid edit re-plans and
re-decides every post that is not running; an invalid one is reported and the previous plan kept.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path

from bot import config, credentials
from bot.credentials import ConnectionSettings, Environment
from bot.i18n import _
from bot.model import Account, Plan, Post, Schedule
from bot.problems import Problem, errors
from bot.publishers.base import Publisher
from bot.publishers.factory import make_publisher, preload
from bot.services import campaign, daemonlog
from bot.services.accounts import Accounts
from bot.services.alerting import DaemonEvents, NoEvents
from bot.services.approvalgate import ApprovalGate
from bot.services.decide import Decision, Step, decide
from bot.services.environment import credential_problems
from bot.services.firing import run_post
from bot.services.job import JobResult, RunSettings, mark_missed
from bot.services.publishing import LeaseSettings, Publishing
from bot.services.runner import RetryPolicy
from bot.services.statefolder import RESUME_MARKER
from bot.services.timers import Key, Timers
from bot.services.watcher import Watcher
from bot.states import FINAL, RESCHEDULE, Outcome
from bot.store import Outbox, OutboxError

logger = logging.getLogger("bot.daemon")  # the name its log lines have always had

WATCH_SECONDS = 1.0
BUSY_RETRY = timedelta(seconds=1)  # another post of the same account is publishing
ERROR_RETRY = timedelta(seconds=30)  # a job raised (e.g. the database was locked)
MAX_JOB_ERRORS = 3


def _utcnow() -> datetime:
    return datetime.now(UTC)


class Daemon:
    """Turns the plan into timers and the runner's outcomes into new timers. Thread-safe."""

    def __init__(
        self,
        schedule_path: Path,
        state_dir: Path,
        outbox: Outbox,
        env: Environment,
        env_file: Path | None,
        settings: ConnectionSettings,
        *,
        dry_run: bool = False,
        catch_up: timedelta = timedelta(hours=6),
        exit_when_done: bool = False,
        policy: RetryPolicy | None = None,
        clock: Callable[[], datetime] = _utcnow,
        publisher_factory: Callable[[Account, Environment], Publisher] | None = None,
        report: Callable[[Sequence[Problem]], None] = daemonlog.problems,
        events: DaemonEvents | None = None,
        publishing: Publishing | None = None,
    ) -> None:
        self.events = events or NoEvents()  # alerts and pre-flight (bot/services/alerting.py)
        self.schedule_path = schedule_path
        self.marker = state_dir / RESUME_MARKER
        self.outbox = outbox
        self.env_file = env_file
        self.settings = settings
        self.dry_run = dry_run
        self.catch_up = catch_up
        self.exit_when_done = exit_when_done
        self.policy = policy or RetryPolicy()
        self.clock = clock
        self.publishing = publishing or Publishing(outbox, None, LeaseSettings(), clock)  # leases: a shared store
        self.accounts = Accounts(env, publisher_factory or self._platform_publisher)
        self._report = report  # where a reload's problems go (the run command: stderr, as `validate` prints)
        self.stop_requested = threading.Event()
        self.finished = threading.Event()  # --exit-when-done: every post reached a final state
        self.reload_requested = threading.Event()
        self._lock = threading.RLock()
        self._posts: dict[Key, Post] = {}
        self._message_paths: tuple[Path, ...] = ()
        self._final: dict[Key, Outcome] = {}
        self._planned: dict[Key, datetime] = {}
        self._running: set[Key] = set()
        self._job_errors: dict[Key, int] = {}
        self._unknown_lookups: dict[Key, int] = {}  # lookups of a post in doubt that failed, in a row
        self._watcher: Watcher | None = None
        self._timers: Timers | None = None
        self.gate = ApprovalGate(outbox, enforce=not dry_run)  # `approval: required`: only approved texts go out

    # -- lifecycle -------------------------------------------------------------------------------

    def start(self, schedule: Schedule, plan: Plan) -> None:
        self._install(schedule, plan)
        if not self.dry_run:  # import tweepy / facebook-sdk now, not late at the first post's time
            preload(account.platform for account in schedule.accounts.values())
        # A worker per account (an account publishes one post at a time), so posts due at the same instant on
        # many accounts all start on time; at least 8 for accounts a live edit adds. Threads start on demand.
        self._timers = Timers(
            schedule.timezone,
            max(8, len(schedule.accounts) + 1),
            finished=self._on_finished,
            failed=self._on_failed,
            already_running=self._on_already_running,
            watch_failed=daemonlog.watch_failed,
        )
        self._watcher = Watcher(self._watched)
        self._timers.start(self._reconcile)  # the first timers are added while it is paused: no wake-up for each
        self._timers.watch(self._watch, WATCH_SECONDS, self.reload_requested)  # SIGHUP: looked at at once
        self.events.planned(plan.posts, self._timers)
        daemonlog.started(len(plan.posts), self.schedule_path, self.dry_run)

    def shutdown(self) -> None:
        """Stop between fragments: the request in flight finishes and is recorded, nothing new starts."""
        self.stop_requested.set()
        if self._timers is not None:
            self._timers.shutdown()
        daemonlog.stopped()

    def alive(self) -> bool:  # for the heartbeat: the scheduler's thread runs
        return self._timers is not None and self._timers.alive()

    def _install(self, schedule: Schedule, plan: Plan) -> None:
        with self._lock:
            self._posts = {post.key: post for post in plan.posts}
            self._message_paths = tuple(sorted({entry.message for entry in schedule.posts}))
        self.gate.install(plan)
        self.accounts.install(schedule.accounts.values())  # who shares an X app (capholds.py)

    # -- deciding and scheduling -----------------------------------------------------------------

    def _reconcile(self) -> None:
        """Re-decide every post that is not running, from the current plan and the outbox."""
        now = self.clock()
        holds = self.outbox.holds()
        summaries = {(s.post_id, s.account): s for s in self.outbox.posts()}
        with self._lock:
            posts = [p for p in self._posts.values() if p.key not in self._running]

        def in_doubt_first(post: Post) -> tuple[bool, datetime]:
            summary = summaries.get(post.key)
            return (not (summary is not None and summary.in_doubt), post.at)

        for post in sorted(posts, key=in_doubt_first):
            decision = decide(post, summaries.get(post.key), holds.get(post.account.name), now, self.catch_up)
            self._apply(post, decision)
        self._check_finished()

    def _apply(self, post: Post, decision: Decision) -> None:
        key = post.key
        if decision.kind == Step.RUN and decision.at is not None:
            self._schedule(key, decision.at, decision.reason)
            return
        if decision.kind == Step.MARK_MISSED:
            self._mark_missed(post, decision.reason)
            return
        if isinstance(decision.kind, Step):  # RUN without a time: nothing to schedule
            return
        self._unschedule(key)
        with self._lock:
            known = self._final.get(key)
            self._final[key] = decision.kind
        if known != decision.kind:
            daemonlog.decided(key, decision.kind, decision.reason)

    def _schedule(self, key: Key, at: datetime, reason: str) -> None:
        if self.stop_requested.is_set():
            return
        with self._lock:
            if key not in self._posts:
                return
            self._final.pop(key, None)
            changed = self._planned.get(key) != at
            self._planned[key] = at
        self._scheduler().add(key, at, self._job)
        if changed:
            daemonlog.runs_at(key, at, reason)

    def _unschedule(self, key: Key) -> None:
        with self._lock:
            self._planned.pop(key, None)
        self._scheduler().remove(key)

    def _scheduler(self) -> Timers:
        assert self._timers is not None, "start() first"
        return self._timers

    def _mark_missed(self, post: Post, reason: str) -> None:
        result = self.publishing.run(post, lambda o: mark_missed(post, reason, o, self.clock, self.events.missed))
        if result.kind == Outcome.MISSED:
            self._unschedule(post.key)
            with self._lock:
                self._final[post.key] = Outcome.MISSED
        elif result.at is not None:  # another daemon holds the post, or the database is unreachable
            self._schedule(post.key, result.at, result.message)

    def _run_settings(self) -> RunSettings:
        return RunSettings(self.catch_up, self.policy, self.stop_requested.is_set, self.gate, self.events.missed)

    def _check_finished(self) -> None:
        if not self.exit_when_done:
            return
        with self._lock:
            done = all(self._final.get(key) in FINAL for key in self._posts)
        if done:
            self.finished.set()

    # -- the job ---------------------------------------------------------------------------------

    def _job(self, key: Key) -> JobResult:
        with self._lock:
            post = self._posts.get(key)
            if post is None:
                return JobResult(Outcome.REMOVED)
            self._running.add(key)
        account_lock = self.accounts.lock_for(post.account.name)
        if not account_lock.acquire(blocking=False):  # one request at a time per account
            return JobResult(Outcome.BUSY, self.clock() + BUSY_RETRY, _("another post of this account is publishing"))
        try:
            settings = self._run_settings()
            return run_post(self.publishing, post, self.accounts, self.clock, settings)
        finally:
            account_lock.release()

    def _platform_publisher(self, account: Account, env: Environment) -> Publisher:
        return make_publisher(account, env, self.settings, dry_run=self.dry_run)

    def _on_already_running(self, key: Key) -> None:
        daemonlog.already_running(key)

    def _on_finished(self, key: Key, result: JobResult) -> None:
        self._ran(key)
        self._after(key, result)
        self._check_finished()

    def _on_failed(self, key: Key, error: BaseException) -> None:
        self._ran(key)
        self._job_failed(key, error)
        self._check_finished()

    def _ran(self, key: Key) -> None:
        with self._lock:
            self._running.discard(key)
            self._planned.pop(key, None)

    def _job_failed(self, key: Key, error: BaseException) -> None:
        with self._lock:
            count = self._job_errors[key] = self._job_errors.get(key, 0) + 1
        if count < MAX_JOB_ERRORS and not isinstance(error, OutboxError):
            daemonlog.run_failed(key, error, retrying=True)
            self._schedule(key, self.clock() + ERROR_RETRY, _("after an error"))
            return
        daemonlog.run_failed(key, error, retrying=False)
        with self._lock:
            self._final[key] = Outcome.ERROR

    def _after(self, key: Key, result: JobResult) -> None:
        account = key[1]
        kind = result.kind
        if kind == Outcome.UNKNOWN and self._look_up_later(key, result.message):
            return
        if kind not in (Outcome.UNKNOWN, Outcome.BUSY):
            with self._lock:
                self._unknown_lookups.pop(key, None)
        if kind in RESCHEDULE and result.at is not None:
            self._schedule(key, result.at, kind if not result.message else f"{kind}: {result.message}")
        elif kind == Outcome.HELD:
            self._hold_account(account, result.message)
        elif kind in (Outcome.FAILED, Outcome.UNKNOWN, Outcome.CONFLICT):
            daemonlog.ended(key, kind, result.message)
        elif kind == Outcome.SENT:
            daemonlog.published(key, result.message)
        elif kind == Outcome.STOPPED:
            daemonlog.stopped_between(key)
        if kind not in RESCHEDULE and kind not in (Outcome.STOPPED, Outcome.REMOVED):
            with self._lock:
                self._final[key] = kind
        self.events.after(key, result)

    def _look_up_later(self, key: Key, message: str) -> bool:
        """A post in doubt whose lookup failed: look it up again later, with the retry policy's backoff.

        The platform may answer then, and the thread goes on without anyone watching. False once the policy's
        attempts are spent: the post stays `unknown` until `resume`.
        """
        with self._lock:
            attempt = self._unknown_lookups[key] = self._unknown_lookups.get(key, 0) + 1
        if attempt > self.policy.max_attempts:
            return False
        at = self.clock() + self.policy.delay(attempt)
        daemonlog.look_up_later(key, message, at, attempt, self.policy.max_attempts)
        self._schedule(key, at, _("look it up again"))
        return True

    def _hold_account(self, account: str, reason: str) -> None:
        with self._lock:
            keys = [key for key in self._posts if key[1] == account]
        for key in keys:
            self._scheduler().remove(key)
            with self._lock:
                self._planned.pop(key, None)
                previous = self._final.get(key)
                self._final[key] = Outcome.HELD if previous != Outcome.SENT else previous
            if previous != Outcome.SENT:
                daemonlog.held(key, reason)

    # -- live edits ------------------------------------------------------------------------------

    def _watched(self) -> list[Path]:
        with self._lock:
            return [self.schedule_path, *self._message_paths, self.marker]

    def _watch(self) -> None:
        """Every second: reload when a watched file changed or SIGHUP asked for it."""
        if self.stop_requested.is_set() or self._watcher is None:
            return
        self.gate.poll(self._reconcile)  # an approval arrived: a post awaiting it may go now
        changed = self._watcher.changes()
        forced = self.reload_requested.is_set()
        self.reload_requested.clear()
        if not changed and not forced:
            return
        if self.marker in changed:
            self._reload_environment()
        self.reload("SIGHUP" if forced else ", ".join(config.display_path(p) for p in changed) + " changed")
        self._watcher.follow()  # the reload may have named other message files

    def _reload_environment(self) -> None:
        self.accounts.reset(credentials.load_environment(self.env_file))
        daemonlog.resume_requested()

    def reload(self, why: str) -> bool:
        """Re-plan from the files; on any error keep the previous plan. Returns whether the plan changed."""
        now = self.clock()
        schedule, plan, problems = campaign.load_campaign(self.schedule_path, now)
        if schedule is not None and plan is not None and not self.dry_run:
            problems = problems + credential_problems(schedule, self.accounts.env, missing_is_error=True)
        if schedule is None or plan is None or errors(problems):
            if schedule is not None:  # watch the messages it names, so fixing one is noticed
                with self._lock:
                    self._message_paths = tuple(sorted({e.message for e in schedule.posts}))
            self._report(errors(problems))
            self.events.invalid_edit(config.display_path(self.schedule_path), errors(problems))
            count = len(errors(problems))
            daemonlog.reload_failed(why, count)
            return False
        with self._lock:
            before = set(self._posts)
            self._install(schedule, plan)
            after = set(self._posts)
        for key in sorted(before - after):
            self._unschedule(key)
            with self._lock:
                self._final.pop(key, None)
            daemonlog.removed(key)
        for key in sorted(after - before):
            daemonlog.added(key)
        self.publishing.reloaded(plan)
        self._reconcile()
        daemonlog.reloaded(why, len(plan.posts))  # after the timers: the end of the reload
        self.events.planned(plan.posts, self._scheduler())
        return True
