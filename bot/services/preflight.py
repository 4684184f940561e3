"""Pre-flight: a while before each post, check what `check` checks for its account, and that it still plans.

`run --preflight DURATION` (default 1h; 0 turns it off). For each post still ahead, a side timer fires at
`post.at - window` (at once when the daemon starts inside the window). The check asks the platform who the
credentials post as (and, on X, whether the token may write) and reloads the schedule and messages. A failure is
logged at ERROR, alerted, written to `state/preflight.json` (which `status` shows) and re-checked every
10 minutes until it passes or the post's time comes; the post itself is then published as usual. A pass is
logged at INFO and sent as an `info` alert. Timers, never a sleeping worker.
"""

from __future__ import annotations

import contextlib
import json
import logging
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Protocol

from bot.credentials import ConnectionSettings, Environment
from bot.i18n import _
from bot.model import Post
from bot.problems import errors, report_lines
from bot.services import campaign
from bot.store import Outbox

logger = logging.getLogger("bot.daemon")

RECHECK = timedelta(minutes=10)
PREFLIGHT_FILE = "preflight.json"
Key = tuple[str, str]


class SideTimers(Protocol):
    """What pre-flight needs of bot/services/timers.Timers."""

    def once(self, name: str, at: datetime, run: Callable[[], object]) -> None: ...
    def cancel(self, name: str) -> None: ...


@dataclass(frozen=True)
class PreflightResult:
    post: Post
    problems: tuple[str, ...]  # empty: passed


class Hold(str):
    """A pre-flight problem that holds the post's account at once (not only reported): the credentials post as
    another handle than the approved one. `resume` releases it once fixed."""


Checker = Callable[[Post], list[str]]
Report = Callable[[PreflightResult], None]


def account_and_message_check(
    schedule_path: Path,
    env: Callable[[], Environment],
    settings: ConnectionSettings,
    clock: Callable[[], datetime],
) -> Checker:
    """The production check: `check` for the post's account, then the schedule and messages reloaded."""

    def check(post: Post) -> list[str]:
        from bot.services.check import check_accounts, mismatches  # the publishers: already loaded by the daemon
        from bot.services.identity import wrong_handle

        (result,) = check_accounts([post.account], env(), settings)
        problems = [] if result.status == "ok" else list(result.messages)
        if result.identity is not None and (wrong := wrong_handle(post.account, result.identity)) is not None:
            said = set(mismatches(post.account, result.identity))  # check's own words for it: said once, as the hold
            problems = [Hold(wrong), *(p for p in problems if p not in said)]
        _schedule, plan, found = campaign.load_campaign(schedule_path, clock())
        if plan is None or errors(found):
            shown = report_lines(errors(found))[:3]
            problems.append(_("the schedule or its messages no longer validate: ") + " / ".join(shown))
        return problems

    return check


class Preflight:
    """One pre-flight per post ahead; thread-safe (timers call `_run` on the side executor)."""

    def __init__(
        self,
        window: timedelta,
        check: Checker,
        report: Report,
        outbox: Outbox,
        state_dir: Path,
        clock: Callable[[], datetime],
    ) -> None:
        self.window = window
        self._check = check
        self._report = report
        self._outbox = outbox
        self._file = state_dir / PREFLIGHT_FILE
        self._clock = clock
        self._lock = threading.Lock()
        self._save_lock = threading.Lock()  # orders the writes of state/preflight.json
        self._posts: dict[Key, Post] = {}
        self._passed: set[Key] = set()
        self._failures: dict[Key, dict[str, object]] = {}
        self._timers: SideTimers | None = None

    def plan(self, posts: Sequence[Post], timers: SideTimers) -> None:
        """At start and after each reload: a timer for every post ahead that has not passed yet."""
        now = self._clock()
        with self._lock:
            self._timers = timers
            before = set(self._posts)
            self._posts = {post.key: post for post in posts}
            for key in before - set(self._posts):
                timers.cancel(_name(key))
                self._failures.pop(key, None)
            todo = [p for p in posts if p.key not in self._passed and p.at > now and self._not_started(p)]
        for post in todo:
            timers.once(_name(post.key), max(now, post.at - self.window), self._runner(post.key))
        self._save()

    def _not_started(self, post: Post) -> bool:
        summary = self._outbox.post(post.id, post.account.name)
        return summary is None or summary.sent == 0

    def _runner(self, key: Key) -> Callable[[], None]:
        return lambda: self._run(key)

    def _run(self, key: Key) -> None:
        with self._lock:
            post = self._posts.get(key)
            timers = self._timers
        if post is None or timers is None:
            return
        try:
            problems = tuple(self._check(post))
        except Exception as error:  # a bug in a check must not end the daemon, nor pass silently
            logger.exception(
                _("pre-flight of post {post_id} account {account} could not run").format(post_id=key[0], account=key[1])
            )
            problems = (_("the check itself failed ({__name__})").format(__name__=type(error).__name__),)
        now = self._clock()
        for hold in (p for p in problems if isinstance(p, Hold)):
            self._outbox.hold(post.account.name, hold, now)
            logger.error(
                _("pre-flight of post {post} account {account}: account held: {reason}").format(
                    post=key[0], account=key[1], reason=hold
                )
            )
        with self._lock:
            if problems:
                self._failures[key] = {"checked_at": now.isoformat(), "problems": list(problems)}
            else:
                self._passed.add(key)
                self._failures.pop(key, None)
        if problems:
            logger.error(
                _("pre-flight of post {post_id} account {account} failed: {problems}").format(
                    post_id=key[0], account=key[1], problems="; ".join(problems)
                )
            )
            if now + RECHECK < post.at:
                timers.once(_name(key), now + RECHECK, self._runner(key))
        else:
            logger.info(
                _("pre-flight of post {post_id} account {account} passed: credentials and message OK").format(
                    post_id=key[0], account=key[1]
                )
            )
        self._save()
        self._report(PreflightResult(post, problems))

    def _save(self) -> None:
        """state/preflight.json: the failures `status` shows (a separate process: it reads the file)."""
        # One writer at a time, snapshot taken inside: two checks finishing together (one account failing, one
        # passing) must not write their snapshots in the wrong order and lose the failure.
        with self._save_lock:
            with self._lock:
                data = {f"{post_id}\t{account}": value for (post_id, account), value in self._failures.items()}
            try:
                temporary = self._file.with_suffix(".tmp")
                temporary.write_text(json.dumps(data, ensure_ascii=False, indent=1), encoding="utf-8")
                temporary.replace(self._file)
            except OSError as error:
                logger.warning(_("could not write {file}: {error}").format(file=self._file, error=error))


def _name(key: Key) -> str:
    return f"preflight {key[0]} {key[1]}"


def read_failures(state_dir: Path) -> dict[Key, str]:
    """For `status`: the pre-flight failures the running daemon recorded, as one line each."""
    with contextlib.suppress(OSError, ValueError):
        data = json.loads((state_dir / PREFLIGHT_FILE).read_text(encoding="utf-8"))
        found: dict[Key, str] = {}
        for name, value in data.items():
            post_id, _tab, account = str(name).partition("\t")
            problems = "; ".join(str(p) for p in value.get("problems", []))
            found[(post_id, account)] = _("pre-flight failed at {value}: {problems}").format(
                value=value.get("checked_at", "?"), problems=problems
            )
        return found
    return {}
