"""The daemon: one timer per post, crash recovery, retries, live reload, signals and the state-folder lock.

The only module that imports apscheduler (lazily, in Daemon.start). The outbox, not the scheduler, is the
memory: jobs live in APScheduler's in-memory store only and are rebuilt from the plan and the outbox at start
and on every reload. A job never sleeps: publish_post() does what is due now and the job's completion
listener adds the next timer ("waiting", "retry"). Listeners run after the executor has counted the
finished instance out, so the next timer of a post can never collide with the run that created it (nor be
deleted with it: see _on_job_event).

Live edits: the schedule, its message files and the resume marker (`state/resume-requested`, touched by
`python main.py resume`) are polled every second; SIGHUP forces a reload. A valid edit re-plans and
re-decides every post that is not running; an invalid one is reported and the previous plan kept.
"""

from __future__ import annotations

import argparse
import fcntl
import json
import logging
import os
import signal
import sys
import threading
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from types import FrameType
from typing import IO, Any, Literal

from bot import campaign, cli, config, credentials
from bot.credentials import ConnectionSettings, Environment
from bot.model import Account, Plan, Post, Schedule
from bot.outbox import Outbox, OutboxError, PostSummary
from bot.problems import Problem, errors
from bot.publishers.base import CredentialsError, Publisher
from bot.publishers.factory import make_publisher, preload
from bot.runner import RetryPolicy, publish_post
from bot.status import RESUME_MARKER  # `resume` touches it: re-read .env and the outbox

logger = logging.getLogger(__name__)

LOCK_NAME = "daemon.lock"
DRY_RUN_FOLDER = "dry-run"
WATCH_SECONDS = 1.0
BUSY_RETRY = timedelta(seconds=1)  # another post of the same account is publishing
ERROR_RETRY = timedelta(seconds=30)  # a job raised (e.g. the database was locked)
MAX_JOB_ERRORS = 3
# States in which a post needs nothing more from this run (for --exit-when-done).
FINAL_STATES = frozenset({"sent", "done", "failed", "missed", "unknown", "conflict", "held", "error"})

Key = tuple[str, str]  # (post id, account)
DecisionKind = Literal["sent", "held", "failed", "missed", "run", "miss"]


@dataclass(frozen=True)
class Decision:
    """What to do with a post now: run it at `at`, mark it missed ("miss"), or nothing (a final state)."""

    kind: DecisionKind
    at: datetime | None = None
    reason: str = ""


def decide(post: Post, summary: PostSummary | None, hold: str | None, now: datetime, catch_up: timedelta) -> Decision:
    """The catch-up rule, as a pure function of the plan's post, its outbox record and now.

    A post that has started (a fragment sent, or in doubt) always continues. One that has not is run at its
    time, or at once if it is at most `catch_up` late, else it is missed. A retry time or a person's
    `resume` (both recorded as next_at) moves the time the lateness is measured from.
    """
    counts = summary.counts if summary is not None else {}
    if summary is not None and summary.total and summary.sent == summary.total:
        return Decision("sent")
    if hold is not None:
        return Decision("held", reason=hold)
    if counts.get("sending") or counts.get("unknown"):
        return Decision("run", now, "outcome of an earlier attempt unknown: look it up first")
    last_error = (summary.last_error if summary is not None else None) or ""
    if counts.get("failed"):
        return Decision("failed", reason=last_error)
    if counts.get("missed"):
        return Decision("missed", reason=last_error)
    planned_retry = None
    if summary is not None and summary.last_outcome in ("retry", "resumed"):
        planned_retry = summary.next_at
    if counts.get("sent") or (summary is not None and summary.conflict):
        return Decision("run", max(now, planned_retry) if planned_retry else now, "continue the thread")
    due = max(post.at, planned_retry) if planned_retry else post.at
    if due > now:
        return Decision("run", due, "scheduled")
    late = now - due
    if late <= catch_up:
        return Decision("run", now, f"{_short(late)} late, within --catch-up {_short(catch_up)}")
    return Decision("miss", None, f"{_short(late)} late, more than --catch-up {_short(catch_up)}")


def _short(delta: timedelta) -> str:
    seconds = int(delta.total_seconds())
    if seconds >= 3600:
        return f"{seconds // 3600}h{seconds % 3600 // 60:02d}m"
    if seconds >= 60:
        return f"{seconds // 60}m{seconds % 60:02d}s"
    return f"{seconds}s"


def _utcnow() -> datetime:
    return datetime.now(UTC)


class StateLocked(Exception):
    """Another daemon holds the state folder."""


class StateLock:
    """An exclusive fcntl.flock on `state/daemon.lock`, held for the life of the process."""

    def __init__(self, handle: IO[str]) -> None:
        self._handle = handle

    @classmethod
    def acquire(cls, state_dir: Path) -> StateLock:
        state_dir.mkdir(mode=0o700, parents=True, exist_ok=True)
        path = state_dir / LOCK_NAME
        handle = open(path, "a+", encoding="utf-8")  # noqa: SIM115 - kept open while the lock is held
        try:
            fcntl.flock(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            handle.seek(0)
            holder = handle.read().strip() or "unknown"
            handle.close()
            raise StateLocked(
                f"another daemon (pid {holder}) is already running on the state folder {state_dir}; "
                "stop it first, or give this one another --state-dir"
            ) from None
        handle.seek(0)
        handle.truncate()
        handle.write(f"{os.getpid()}\n")
        handle.flush()
        return cls(handle)

    def release(self) -> None:
        fcntl.flock(self._handle.fileno(), fcntl.LOCK_UN)
        self._handle.close()


@dataclass(frozen=True)
class JobResult:
    """What one run of a post's job ended with; `at`: when to run it again."""

    kind: str
    at: datetime | None = None
    message: str = ""


def _job_id(key: Key) -> str:
    return json.dumps(["post", *key])


def _key_of(job_id: str) -> Key | None:
    try:
        parts = json.loads(job_id)
    except ValueError:
        return None
    if isinstance(parts, list) and len(parts) == 3 and parts[0] == "post":
        return (str(parts[1]), str(parts[2]))
    return None


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
    ) -> None:
        self.schedule_path = schedule_path
        self.marker = state_dir / RESUME_MARKER
        self.outbox = outbox
        self.env = env
        self.env_file = env_file
        self.settings = settings
        self.dry_run = dry_run
        self.catch_up = catch_up
        self.exit_when_done = exit_when_done
        self.policy = policy or RetryPolicy()
        self.clock = clock
        self._make_publisher = publisher_factory or self._platform_publisher
        self.stop_requested = threading.Event()
        self.finished = threading.Event()  # --exit-when-done: every post reached a final state
        self.reload_requested = threading.Event()
        self._lock = threading.RLock()
        self._posts: dict[Key, Post] = {}
        self._message_paths: tuple[Path, ...] = ()
        self._final: dict[Key, str] = {}
        self._planned: dict[Key, datetime] = {}
        self._running: set[Key] = set()
        self._job_errors: dict[Key, int] = {}
        self._unknown_lookups: dict[Key, int] = {}  # lookups of a post in doubt that failed, in a row
        self._account_locks: dict[str, threading.Lock] = {}
        self._publishers: dict[str, Publisher] = {}
        self._signature: dict[Path, tuple[int, int] | None] = {}
        self._scheduler: Any = None

    # -- lifecycle -------------------------------------------------------------------------------

    def start(self, schedule: Schedule, plan: Plan) -> None:
        from apscheduler.events import EVENT_JOB_ERROR, EVENT_JOB_EXECUTED, EVENT_JOB_MAX_INSTANCES
        from apscheduler.executors.pool import ThreadPoolExecutor
        from apscheduler.schedulers.background import BackgroundScheduler

        self._install(schedule, plan)
        if not self.dry_run:  # import tweepy / facebook-sdk now, not late at the first post's time
            preload(account.platform for account in schedule.accounts.values())
        # A worker per account (an account publishes one post at a time), so posts due at the same instant on
        # many accounts all start on time; at least 8 for accounts a live edit adds. Threads start on demand.
        workers = max(8, len(schedule.accounts) + 1)
        self._scheduler = BackgroundScheduler(
            timezone=schedule.timezone,
            executors={"default": ThreadPoolExecutor(workers), "watch": ThreadPoolExecutor(1)},
            # One run of a post at a time; lateness is judged by decide() against --catch-up when the job
            # runs, so APScheduler itself never drops a late run (its default grace is 1 second).
            job_defaults={"max_instances": 1, "coalesce": True, "misfire_grace_time": None},
        )
        self._scheduler.add_listener(self._on_job_event, EVENT_JOB_EXECUTED | EVENT_JOB_ERROR | EVENT_JOB_MAX_INSTANCES)
        self._signature = self._read_signature()
        self._scheduler.start()
        self._reconcile()
        self._scheduler.add_job(
            self._watch, "interval", seconds=WATCH_SECONDS, id="watch", executor="watch", max_instances=1
        )
        logger.info(
            "daemon started: %d posts in %s%s",
            len(plan.posts),
            self.schedule_path,
            " (dry run)" * self.dry_run,
        )

    def shutdown(self) -> None:
        """Stop between fragments: the request in flight finishes and is recorded, nothing new starts."""
        self.stop_requested.set()
        if self._scheduler is not None and self._scheduler.running:
            self._scheduler.shutdown(wait=True)
        logger.info("daemon stopped")

    def _install(self, schedule: Schedule, plan: Plan) -> None:
        with self._lock:
            self._posts = {post.key: post for post in plan.posts}
            self._message_paths = tuple(sorted({entry.message for entry in schedule.posts}))

    # -- deciding and scheduling -----------------------------------------------------------------

    def _reconcile(self) -> None:
        """Re-decide every post that is not running, from the current plan and the outbox."""
        now = self.clock()
        holds = self.outbox.holds()
        summaries = {(s.post_id, s.account): s for s in self.outbox.posts()}
        with self._lock:
            posts = [p for p in self._posts.values() if p.key not in self._running]

        def in_doubt_first(post: Post) -> tuple[bool, datetime]:
            counts = summaries[post.key].counts if post.key in summaries else {}
            return (not (counts.get("sending") or counts.get("unknown")), post.at)

        for post in sorted(posts, key=in_doubt_first):
            decision = decide(post, summaries.get(post.key), holds.get(post.account.name), now, self.catch_up)
            self._apply(post, decision)
        self._check_finished()

    def _apply(self, post: Post, decision: Decision) -> None:
        key = post.key
        if decision.kind == "run" and decision.at is not None:
            self._schedule(key, decision.at, decision.reason)
            return
        if decision.kind == "miss":
            self._mark_missed(post, decision.reason)
            return
        self._unschedule(key)
        with self._lock:
            known = self._final.get(key)
            self._final[key] = decision.kind
        if known != decision.kind:
            logger.info("post %s account %s: %s %s", post.id, post.account.name, decision.kind, decision.reason)

    def _schedule(self, key: Key, at: datetime, reason: str) -> None:
        if self.stop_requested.is_set():
            return
        with self._lock:
            if key not in self._posts:
                return
            self._final.pop(key, None)
            changed = self._planned.get(key) != at
            self._planned[key] = at
        self._scheduler.add_job(
            self._job,
            "date",
            run_date=at,
            args=[key],
            id=_job_id(key),
            name=f"{key[0]}/{key[1]}",
            replace_existing=True,
        )
        if changed:
            logger.info("post %s account %s: runs at %s (%s)", key[0], key[1], at.isoformat(), reason)

    def _unschedule(self, key: Key) -> None:
        with self._lock:
            self._planned.pop(key, None)
        if self._scheduler.get_job(_job_id(key)) is not None:
            self._scheduler.remove_job(_job_id(key))

    def _mark_missed(self, post: Post, reason: str) -> None:
        now = self.clock()
        name = post.account.name
        self.outbox.freeze(post, now)
        self.outbox.mark_missed(post.id, name, reason, now)
        self.outbox.record_outcome(post.id, name, "missed", f"missed: {reason}", None, now)
        self._unschedule(post.key)
        with self._lock:
            self._final[post.key] = "missed"
        logger.error(
            "post %s account %s missed: %s (due %s); `python main.py resume %s --account %s` publishes it",
            post.id,
            name,
            reason,
            post.at.isoformat(),
            post.id,
            name,
        )

    def _check_finished(self) -> None:
        if not self.exit_when_done:
            return
        with self._lock:
            done = all(self._final.get(key) in FINAL_STATES for key in self._posts)
        if done:
            self.finished.set()

    # -- the job ---------------------------------------------------------------------------------

    def _job(self, key: Key) -> JobResult:
        with self._lock:
            post = self._posts.get(key)
            if post is None:
                return JobResult("removed")
            self._running.add(key)
            account_lock = self._account_locks.setdefault(post.account.name, threading.Lock())
        if not account_lock.acquire(blocking=False):  # one request at a time per account
            return JobResult("busy", self.clock() + BUSY_RETRY, "another post of this account is publishing")
        try:
            now = self.clock()
            name = post.account.name
            summary = self.outbox.post(post.id, name)
            decision = decide(post, summary, self.outbox.hold_reason(name), now, self.catch_up)
            if decision.kind == "miss":
                self._mark_missed(post, decision.reason)
                return JobResult("missed", None, decision.reason)
            if decision.kind != "run" or decision.at is None:
                return JobResult(decision.kind, None, decision.reason)
            if decision.at > now:
                return JobResult("later", decision.at, decision.reason)
            publisher = self._publisher(post)
            if publisher is None:
                return JobResult("held", None, self.outbox.hold_reason(name) or "")
            outcome = publish_post(post, self.outbox, publisher, self.clock, self.policy, self.stop_requested.is_set)
            return JobResult(outcome.kind, outcome.next_at, outcome.message)
        finally:
            account_lock.release()

    def _publisher(self, post: Post) -> Publisher | None:
        account = post.account
        with self._lock:
            found = self._publishers.get(account.name)
            env = self.env
        if found is not None:
            return found
        try:
            publisher = self._make_publisher(account, env)
        except CredentialsError as error:
            reason = f"fix {error.variable or 'the credentials'} then restart ({error})"
            self.outbox.hold(account.name, reason, self.clock())
            logger.error("post %s account %s held: %s", post.id, account.name, reason)
            return None
        with self._lock:
            self._publishers[account.name] = publisher
        return publisher

    def _platform_publisher(self, account: Account, env: Environment) -> Publisher:
        return make_publisher(account, env, self.settings, dry_run=self.dry_run)

    def _on_job_event(self, event: Any) -> None:
        """Runs after the executor counted the run out: safe to add the post's next timer here."""
        from apscheduler.events import EVENT_JOB_ERROR, EVENT_JOB_MAX_INSTANCES

        key = _key_of(event.job_id)
        if key is None:
            if event.code == EVENT_JOB_ERROR:
                logger.error("reload check failed: %s", event.exception)
            return
        if event.code == EVENT_JOB_MAX_INSTANCES:
            logger.info("post %s account %s: already publishing; its run decides what comes next", *key)
            return
        if threading.current_thread() is getattr(self._scheduler, "_thread", None):
            # The run ended before APScheduler attached its completion callback (a "busy" run returns at once),
            # so this is called from inside the scheduler's job loop, which then deletes the finished date job
            # by its id: a next timer added here under that id would be deleted too, and the post never run.
            # Hand over to a thread that waits for the loop to let go of the job store.
            threading.Thread(target=self._on_job_event, args=(event,), name="after-job", daemon=True).start()
            return
        with self._lock:
            self._running.discard(key)
            self._planned.pop(key, None)
        if event.code == EVENT_JOB_ERROR:
            self._job_failed(key, event.exception)
        else:
            self._after(key, event.retval)
        self._check_finished()

    def _job_failed(self, key: Key, error: BaseException) -> None:
        with self._lock:
            count = self._job_errors[key] = self._job_errors.get(key, 0) + 1
        if count < MAX_JOB_ERRORS and not isinstance(error, OutboxError):
            logger.error("post %s account %s: run failed (%s: %s); retrying", *key, type(error).__name__, error)
            self._schedule(key, self.clock() + ERROR_RETRY, "after an error")
            return
        logger.error(
            "post %s account %s: run failed (%s: %s); giving up until restart",
            *key,
            type(error).__name__,
            error,
        )
        with self._lock:
            self._final[key] = "error"

    def _after(self, key: Key, result: JobResult) -> None:
        post_id, account = key
        kind = result.kind
        if kind == "unknown" and self._look_up_later(key, result.message):
            return
        if kind not in ("unknown", "busy"):
            with self._lock:
                self._unknown_lookups.pop(key, None)
        if kind in ("waiting", "retry", "busy", "later") and result.at is not None:
            self._schedule(key, result.at, kind if not result.message else f"{kind}: {result.message}")
        elif kind == "held":
            self._hold_account(account, result.message)
        elif kind in ("failed", "unknown", "conflict"):
            logger.error(
                "post %s account %s %s: %s; see `python main.py status`",
                post_id,
                account,
                kind,
                result.message,
            )
        elif kind == "done":
            logger.info("post %s account %s published: %s", post_id, account, result.message)
        elif kind == "stopped":
            logger.info("post %s account %s stopped between fragments; a restart continues it", *key)
        if kind not in ("waiting", "retry", "busy", "later", "stopped", "removed"):
            with self._lock:
                self._final[key] = kind

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
        logger.warning(
            "post %s account %s: outcome unknown (%s); looked up again at %s (%d/%d)",
            *key,
            message,
            at.isoformat(timespec="seconds"),
            attempt,
            self.policy.max_attempts,
        )
        self._schedule(key, at, "look it up again")
        return True

    def _hold_account(self, account: str, reason: str) -> None:
        with self._lock:
            keys = [key for key in self._posts if key[1] == account]
        for key in keys:
            if self._scheduler.get_job(_job_id(key)) is not None:
                self._scheduler.remove_job(_job_id(key))
            with self._lock:
                self._planned.pop(key, None)
                previous = self._final.get(key)
                self._final[key] = "held" if previous not in ("sent", "done") else previous
            if previous not in ("sent", "done"):
                logger.error("post %s account %s held, not sent: %s", key[0], account, reason)

    # -- live edits ------------------------------------------------------------------------------

    def _watched(self) -> list[Path]:
        with self._lock:
            return [self.schedule_path, *self._message_paths, self.marker]

    def _read_signature(self) -> dict[Path, tuple[int, int] | None]:
        signature: dict[Path, tuple[int, int] | None] = {}
        for path in self._watched():
            try:
                stat = path.stat()
                signature[path] = (stat.st_mtime_ns, stat.st_size)
            except OSError:
                signature[path] = None
        return signature

    def _watch(self) -> None:
        """Every second: reload when a watched file changed or SIGHUP asked for it."""
        if self.stop_requested.is_set():
            return
        signature = self._read_signature()
        forced = self.reload_requested.is_set()
        self.reload_requested.clear()
        if signature == self._signature and not forced:
            return
        changed = [path for path in signature if signature[path] != self._signature.get(path)]
        self._signature = signature
        if self.marker in changed:
            self._reload_environment()
        why = "SIGHUP" if forced else ", ".join(config.display_path(p) for p in changed) + " changed"
        self.reload(why)
        # The reload may have changed which message files are watched: start watching new ones as they are.
        now_watched = self._read_signature()
        self._signature = {path: signature.get(path, now_watched[path]) for path in now_watched}

    def _reload_environment(self) -> None:
        env = credentials.load_environment(self.env_file)
        with self._lock:
            self.env = env
            self._publishers.clear()
        logger.info("resume requested: credentials re-read, outbox re-read")

    def reload(self, why: str) -> bool:
        """Re-plan from the files; on any error keep the previous plan. Returns whether the plan changed."""
        now = self.clock()
        schedule, plan, problems = campaign.load_campaign(self.schedule_path, now)
        if schedule is not None and plan is not None and not self.dry_run:
            problems = problems + cli.credential_problems(schedule, self.env, missing_is_error=True)
        if schedule is None or plan is None or errors(problems):
            if schedule is not None:  # watch the messages it names, so fixing one is noticed
                with self._lock:
                    self._message_paths = tuple(sorted({e.message for e in schedule.posts}))
            cli.report([p for p in problems if p.severity == "error"], sys.stderr)
            logger.error(
                "reload (%s): %d errors, listed above; the previous plan keeps running",
                why,
                len(errors(problems)),
            )
            return False
        with self._lock:
            before = set(self._posts)
            self._install(schedule, plan)
            after = set(self._posts)
        for key in sorted(before - after):
            self._unschedule(key)
            with self._lock:
                self._final.pop(key, None)
            logger.info("post %s account %s removed from the schedule: it will not be published", *key)
        for key in sorted(after - before):
            logger.info("post %s account %s added to the schedule", *key)
        logger.info("reload (%s): %d posts", why, len(plan.posts))
        self._reconcile()
        return True


def _configure_logging() -> None:
    logging.basicConfig(stream=sys.stderr, level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    logging.getLogger("apscheduler").setLevel(logging.WARNING)


def state_folder(state_dir: Path, dry_run: bool) -> Path:
    """The outbox folder: a dry run keeps its own, so it never marks real posts as sent."""
    return state_dir / DRY_RUN_FOLDER if dry_run else state_dir


def _startup_problems(
    schedule: Schedule, env: Environment, env_problems: list[Problem], dry_run: bool
) -> list[Problem]:
    if dry_run:
        return []
    return env_problems + cli.credential_problems(schedule, env, missing_is_error=True)


def main_run(args: argparse.Namespace) -> int:
    """`python main.py run`: load, check credentials, lock, release holds, reconcile, run until stopped."""
    _configure_logging()
    # Invalid input exits before the state folder is created or locked: "nothing was sent or changed".
    schedule, plan, problems = campaign.load_campaign(args.schedule, _utcnow())
    env, env_problems = cli.load_environment(args.env_file)
    if schedule is not None and plan is not None:
        problems = problems + _startup_problems(schedule, env, env_problems, args.dry_run)
    if schedule is None or plan is None or errors(problems):
        cli.report([p for p in problems if p.severity == "error"], sys.stderr)
        return cli.EXIT_INVALID
    try:
        settings = credentials.connection_settings(env)
    except ValueError as error:
        print(f"error: {error}", file=sys.stderr)
        return cli.EXIT_INVALID
    state_dir = state_folder(args.state_dir, args.dry_run)
    try:
        lock = StateLock.acquire(state_dir)
    except StateLocked as error:
        print(f"error: {error}", file=sys.stderr)
        return cli.EXIT_FAILURE
    except OSError as error:
        print(f"error: cannot use the state folder {state_dir}: {error}", file=sys.stderr)
        return cli.EXIT_FAILURE
    try:
        return _run_locked(args, state_dir, schedule, plan, env, settings)
    finally:
        lock.release()


def _run_locked(
    args: argparse.Namespace,
    state_dir: Path,
    schedule: Schedule,
    plan: Plan,
    env: Environment,
    settings: ConnectionSettings,
) -> int:
    try:
        outbox = Outbox.open(state_dir)
    except OutboxError as error:
        print(f"error: {error}", file=sys.stderr)
        return cli.EXIT_FAILURE
    try:
        for account, reason in outbox.holds().items():
            outbox.release(account)
            logger.info("account %s: hold from the previous run released (%s)", account, reason)
        daemon = Daemon(
            args.schedule,
            state_dir,
            outbox,
            env,
            args.env_file,
            settings,
            dry_run=args.dry_run,
            catch_up=args.catch_up,
            exit_when_done=args.exit_when_done,
        )
        return _serve(daemon, schedule, plan)
    finally:
        outbox.close()


def _serve(daemon: Daemon, schedule: Schedule, plan: Plan) -> int:
    received: list[str] = []

    def on_stop(signum: int, frame: FrameType | None) -> None:
        received.append(signal.Signals(signum).name)
        daemon.stop_requested.set()

    def on_hup(signum: int, frame: FrameType | None) -> None:
        daemon.reload_requested.set()

    signal.signal(signal.SIGTERM, on_stop)
    signal.signal(signal.SIGINT, on_stop)
    signal.signal(signal.SIGHUP, on_hup)
    try:
        daemon.start(schedule, plan)
        while not daemon.stop_requested.is_set() and not daemon.finished.is_set():
            daemon.stop_requested.wait(0.2)
        if received:
            logger.info("%s received: finishing the request in flight, then stopping", received[0])
        else:
            logger.info("every post reached a final state (--exit-when-done)")
    finally:
        daemon.shutdown()
    return cli.EXIT_OK
