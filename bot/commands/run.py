"""`run`: load, check credentials, lock the state folder, release holds, reconcile, run until stopped.

Invalid input exits before the state folder is created or locked: "nothing was sent or changed".
SIGTERM/SIGINT stop between fragments; SIGHUP re-reads the files.

Test hook: the environment variable BOT_TEST_RETRY_BASE_SECONDS sets the retry policy's first backoff
(default 30 s), so the end-to-end fault tests need not wait for real backoffs. It is read here only.
"""

from __future__ import annotations

import argparse
import logging
import os
import signal
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path
from types import FrameType

from bot import credentials
from bot.commands.common import EXIT_FAILURE, EXIT_INVALID, EXIT_OK, report
from bot.credentials import ConnectionSettings, Environment
from bot.i18n import _
from bot.model import Plan, Schedule
from bot.problems import Problem, errors
from bot.services import campaign, statefolder, stores
from bot.services.capholds import held_until
from bot.services.daemon import Daemon
from bot.services.environment import credential_problems, load_environment
from bot.services.publishing import LeaseSettings, Publishing
from bot.services.runner import RetryPolicy
from bot.services.settings import DATABASE_URL, LEASE_SECONDS, NAMES, setting_problems
from bot.services.settling import Settling
from bot.services.statelock import StateLock, StateLocked
from bot.services.telling import Telling, telling
from bot.store import OutboxError, fatal

logger = logging.getLogger("bot.daemon")  # its lines are the daemon's, under the name they have always had

RETRY_BASE_VARIABLE = "BOT_TEST_RETRY_BASE_SECONDS"


def configure_logging(level: int) -> None:
    """Log lines of the `bot` loggers (and APScheduler's warnings) to stderr; the root logger is left alone."""
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    for name, at_least in (("bot", level), ("apscheduler", max(level, logging.WARNING))):
        named = logging.getLogger(name)
        named.handlers[:] = [handler]
        named.setLevel(at_least)
        named.propagate = False


def _retry_policy(settings: ConnectionSettings) -> RetryPolicy:
    """The retry policy, with the settling window of SETTLE_SECONDS (issue 18)."""
    settling = Settling(window=timedelta(seconds=settings.settle_seconds))
    value = os.environ.get(RETRY_BASE_VARIABLE)
    if not value:
        return RetryPolicy(settling=settling)
    return RetryPolicy(base=timedelta(seconds=float(value)), settling=settling)


def main(args: argparse.Namespace) -> int:
    configure_logging(logging.DEBUG if args.verbose else logging.WARNING if args.quiet else logging.INFO)
    schedule, plan, problems = campaign.load_campaign(args.schedule, datetime.now(UTC))
    env, env_problems = load_environment(args.env_file)
    if schedule is not None and plan is not None:
        problems = problems + _startup_problems(schedule, env, env_problems, args.dry_run)
    problems = problems + _setting_problems(args, env)
    if schedule is None or plan is None or errors(problems):
        report(errors(problems), sys.stderr)
        return EXIT_INVALID
    try:
        settings = credentials.connection_settings(env)
        leasing = stores.lease_settings(args.lease, env, settings.timeout_seconds)
    except ValueError as error:
        print(_("error: {error}").format(error=error), file=sys.stderr)
        return EXIT_INVALID
    state_dir = statefolder.state_folder(args.state_dir, args.dry_run)
    try:
        lock = StateLock.acquire(state_dir)
    except StateLocked as error:
        print(_("error: {error}").format(error=error), file=sys.stderr)
        return EXIT_FAILURE
    except OSError as error:
        print(
            _("error: cannot use the state folder {state_dir}: {error}").format(state_dir=state_dir, error=error),
            file=sys.stderr,
        )
        return EXIT_FAILURE
    try:
        return _run_locked(args, state_dir, schedule, plan, env, settings, leasing)
    finally:
        lock.release()


def _setting_problems(args: argparse.Namespace, env: Environment) -> list[Problem]:
    """The settings' rule `validate` applies too; --lease and --database-url are checked where they win."""
    options = {LEASE_SECONDS: None if args.lease is None else str(args.lease), DATABASE_URL: args.database_url}
    used = [name for name in NAMES if not (args.dry_run and name == DATABASE_URL)]  # a dry run: its own outbox
    return setting_problems(env, options=options, only=used)


def _startup_problems(
    schedule: Schedule, env: Environment, env_problems: list[Problem], dry_run: bool
) -> list[Problem]:
    if dry_run:
        return []
    return env_problems + credential_problems(schedule, env, missing_is_error=True)


def _run_locked(
    args: argparse.Namespace,
    state_dir: Path,
    schedule: Schedule,
    plan: Plan,
    env: Environment,
    settings: ConnectionSettings,
    leasing: LeaseSettings,
) -> int:
    url = None if args.dry_run else stores.database_url(args.database_url, env)  # a dry run: its own outbox
    try:
        store = stores.open_store(url, state_dir, create=True)
        assert store is not None
    except OutboxError as error:  # a newer schema, a damaged or unreachable database
        print(_("error: {error}").format(error=error), file=sys.stderr)
        return EXIT_FAILURE
    outbox = store.outbox
    publishing = Publishing(outbox, store.leases, leasing, lambda: datetime.now(UTC))
    try:
        publishing.register(plan)
    except OutboxError as error:  # PlanMismatch: another daemon runs another schedule
        print(_("error: {error}").format(error=error), file=sys.stderr)
        outbox.close()
        return EXIT_FAILURE
    if store.leases is not None:
        logger.info(
            _("outbox {where} shared by several daemons; this one is {owner}").format(
                where=store.where, owner=publishing.owner
            )
        )
    try:
        for account, reason in outbox.holds().items():
            if (until := held_until(reason)) is not None and until > datetime.now(UTC):
                continue  # an X 24-hour cap: a restart does not make it reset sooner
            outbox.release(account)
            logger.info(
                _("account {account}: hold from the previous run released ({reason})").format(
                    account=account, reason=reason
                )
            )
        told = telling(
            schedule,
            env,
            settings,
            outbox,
            state_dir,
            preflight=timedelta(0) if args.dry_run else args.preflight,
            env_now=lambda: daemon.accounts.env,
            clock=lambda: datetime.now(UTC),
        )
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
            policy=_retry_policy(settings),
            report=lambda problems: report(problems, sys.stderr),
            events=told.hook,
            publishing=publishing,
        )
        return _serve(daemon, schedule, plan, told)
    finally:
        publishing.close()
        outbox.close()


def _serve(daemon: Daemon, schedule: Schedule, plan: Plan, told: Telling) -> int:
    received: list[str] = []

    def on_stop(signum: int, frame: FrameType | None) -> None:
        received.append(signal.Signals(signum).name)
        daemon.stop_requested.set()

    def on_hup(signum: int, frame: FrameType | None) -> None:
        daemon.reload_requested.set()

    signal.signal(signal.SIGTERM, on_stop)
    signal.signal(signal.SIGINT, on_stop)
    signal.signal(signal.SIGHUP, on_hup)
    failures: list[fatal.StoreFatal] = []

    def on_fatal(error: fatal.StoreFatal) -> None:  # a failed fsync: nothing more may be recorded
        failures.append(error)
        daemon.stop_requested.set()

    stop_listening = fatal.listen(on_fatal)
    try:
        daemon.start(schedule, plan)
        if not daemon.dry_run:  # X's who-am-I before the posts' time, not at it (issue 22)
            daemon.accounts.identify_ahead(plan.posts)
        told.start(plan, daemon.alive)
        while not daemon.stop_requested.is_set() and not daemon.finished.is_set():
            daemon.stop_requested.wait(0.2)
        if failures:
            logger.critical("%s", failures[0])
        elif received:
            logger.info(
                _("{received} received: finishing the request in flight, then stopping").format(received=received[0])
            )
        else:
            logger.info(_("every post reached a final state (--exit-when-done)"))
    finally:
        stop_listening()
        told.stopping()
        daemon.shutdown()
        told.stopped(plan)
    if failures:
        print(_("error: {error}").format(error=failures[0]), file=sys.stderr)
        return EXIT_FAILURE
    return EXIT_OK
