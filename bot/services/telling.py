"""What `run` tells the outside world: alerts (ALERT_URLS), pre-flight, the heartbeat and systemd's notify.

`Telling.start` goes after the daemon has started (systemd READY=1, the started alert, the pulses);
`Telling.stop` before it stops (STOPPING=1) and after (the stopped alert, the queued alerts delivered).
Nothing here may stop the daemon: every failure is logged and the daemon goes on.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path

from bot import credentials
from bot.alerts import AlertSender, AppriseTarget, parse_alert_level, split_alert_urls, texts
from bot.credentials import ConnectionSettings, Environment
from bot.heartbeat import Pulse, heartbeat, parse_heartbeat_seconds, systemd_watchdog
from bot.i18n import ngettext
from bot.model import Plan, Schedule
from bot.sdnotify import Notifier
from bot.services.alerting import AlertHook, posts_ahead
from bot.services.preflight import Preflight, account_and_message_check
from bot.store import Outbox

logger = logging.getLogger("bot.daemon")

HEARTBEAT_URL = "HEARTBEAT_URL"
HEARTBEAT_SECONDS = "HEARTBEAT_SECONDS"


def secret_values(schedule: Schedule, env: Environment) -> list[str]:
    """Every credential value of the schedule's accounts: the sender masks them should one reach a text."""
    names = {name for account in schedule.accounts.values() for name in credentials.required_variables(account)}
    return [value for name in sorted(names) if (value := env.get(name))]


@dataclass
class Telling:
    sender: AlertSender
    hook: AlertHook
    outbox: Outbox
    state_dir: Path
    heartbeat_url: str | None
    heartbeat_seconds: float
    notifier: Notifier = field(default_factory=Notifier)
    pulses: list[Pulse] = field(default_factory=list)

    def start(self, plan: Plan, alive: Callable[[], bool]) -> None:
        def healthy() -> bool:
            return alive() and self._outbox_writable()

        planned = len(plan.posts)
        self.notifier.ready(ngettext("{n} post planned", "{n} posts planned", planned).format(n=planned))
        self.sender.send(texts.daemon_started(posts_ahead(plan.posts, self.outbox), *_next(plan, self.outbox)))
        if self.heartbeat_url:
            self.pulses.append(heartbeat(self.heartbeat_url, self.heartbeat_seconds, healthy).start())
        if self.notifier.watchdog_seconds:
            self.pulses.append(
                systemd_watchdog(self.notifier.watchdog, self.notifier.watchdog_seconds, healthy).start()
            )

    def stopping(self) -> None:
        self.notifier.stopping()
        for pulse in self.pulses:
            pulse.stop()

    def stopped(self, plan: Plan) -> None:
        self.sender.send(texts.daemon_stopped(posts_ahead(plan.posts, self.outbox)))
        self.sender.stop()

    def _outbox_writable(self) -> bool:
        probe = self.state_dir / ".heartbeat-probe"
        try:
            probe.write_bytes(b"")
            probe.unlink()
            return True
        except OSError:
            return False


def _next(plan: Plan, outbox: Outbox) -> tuple[str | None, datetime | None]:
    started = {(s.post_id, s.account) for s in outbox.posts()}
    ahead = [post for post in plan.posts if post.key not in started]
    return (f"{ahead[0].id} on {ahead[0].account.name}", ahead[0].at) if ahead else (None, None)


def telling(
    schedule: Schedule,
    env: Environment,
    settings: ConnectionSettings,
    outbox: Outbox,
    state_dir: Path,
    *,
    preflight: timedelta,
    env_now: Callable[[], Environment],
    clock: Callable[[], datetime],
) -> Telling:
    """Build from the environment (already checked by bot/services/settings.py)."""
    targets = [AppriseTarget(url.text, url.label) for url in split_alert_urls(env.get("ALERT_URLS"))]
    level = parse_alert_level(env.get("ALERT_LEVEL"))
    sender = AlertSender(targets, level, clock, secrets=secret_values(schedule, env)).start()
    hook = AlertHook(sender, outbox)
    if preflight > timedelta(0):
        check = account_and_message_check(schedule.path, env_now, settings, clock)
        hook.preflight = Preflight(preflight, check, hook.preflight_done, outbox, state_dir, clock)
    seconds = parse_heartbeat_seconds(env.get(HEARTBEAT_SECONDS))
    return Telling(sender, hook, outbox, state_dir, env.get(HEARTBEAT_URL), seconds)
