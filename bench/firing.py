"""3. Firing accuracy: from each post's scheduled time to its first request reaching the server.

Two campaigns against the fake server (100 ms round trip), each run by the daemon with --exit-when-done:
- staggered: 48 one-fragment posts on 16 accounts (8 X, 8 Facebook), 4 posts due every second for 12 s;
- burst: 50 accounts (25 X, 25 Facebook) due at the same instant with the full message (16-fragment X
  threads): missions in one time zone at 08:00 local time (the 250-mission campaign of the scale benchmark
  has 49 posts at 06:00 UTC, Central European Summer Time).
A post's delay is the arrival (RequestRecord-style received_at, before the injected latency) of the first
request for its account not taken by its previous post, minus its time: negative when it fired early. A post
sent more than EARLY_MS before its time is a miss, whatever the other figures. Only writes count (a post, an
upload): a GET publishes nothing, and X's who-am-I look-up is made at the daemon's start, long before the time.
"""

from __future__ import annotations

import tempfile
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

from bench.process import READY, Daemon
from bench.report import Check, heading, median, percentile, say, show, unmeasured
from bench.world import MESSAGE, AccountSpec, CampaignFolder, PostSpec, Server, connection_env, schedule_time

NAME = "firing"
LATENCY = 0.1
LEAD = 3  # seconds from the daemon's start to the first post
GOAL_MEDIAN_MS = 100.0
GOAL_P95_MS = 250.0  # issue 22
GOAL_MAX_MS = 1000.0
EARLY_MS = 50.0  # a post must not be sent sooner than this before its time


@dataclass(frozen=True)
class Scenario:
    name: str
    accounts: list[AccountSpec]
    posts: list[tuple[PostSpec, datetime]]  # each post to exactly one account, with its instant
    messages: dict[str, str]  # file name -> text


def _accounts(count: int) -> list[AccountSpec]:
    accounts = []
    for n in range(count):
        if n % 2 == 0:
            accounts.append(AccountSpec(f"mx{n:02d}", "x", f"MX{n:02d}", handle=f"EmbPeru{n:02d}"))
        else:
            accounts.append(AccountSpec(f"mf{n:02d}", "facebook", f"MF{n:02d}", page_id=f"{700 + n}"))
    return accounts


def staggered(start: datetime) -> Scenario:
    accounts = _accounts(16)
    posts: list[tuple[PostSpec, datetime]] = []
    messages: dict[str, str] = {}
    for round_ in range(3):
        for n, account in enumerate(accounts):
            second = round_ * 4 + n % 4
            post_id = f"aviso-{round_}-{account.name}"
            messages[f"{post_id}.txt"] = f"Aviso {round_}-{n}: horario especial de atención por Fiestas Patrias.\n"
            at = start + timedelta(seconds=second)
            posts.append((PostSpec(post_id, f"messages/{post_id}.txt", schedule_time(at), (account.name,)), at))
    return Scenario("staggered", accounts, posts, messages)


def burst(start: datetime) -> Scenario:
    accounts = _accounts(50)
    message = {"mensaje.txt": MESSAGE.read_text(encoding="utf-8")}
    posts = [
        (PostSpec(f"mensaje-{a.name}", "messages/mensaje.txt", schedule_time(start), (a.name,)), start)
        for a in accounts
    ]
    return Scenario("burst", accounts, posts, message)


def _register(server: Server, accounts: Sequence[AccountSpec]) -> dict[str, str]:
    env: dict[str, str] = {}
    for account in accounts:
        if account.platform == "x":
            env |= server.x_account(account.name, account.handle or account.name, account.credentials)
        else:
            env |= server.page_account(account.name, account.page_id or "0", account.credentials)
    return env


def measure(folder: Path, scenario_of: str, database_url: str | None = None) -> tuple[str, list[float]]:
    """Run one scenario (on the PostgreSQL outbox at `database_url` if given); the delay of every post, in s."""
    server = Server(latency=LATENCY).start()
    try:
        start = datetime.now(UTC).replace(microsecond=0) + timedelta(seconds=LEAD + 1)
        scenario = staggered(start) if scenario_of == "staggered" else burst(start)
        campaign = CampaignFolder(folder)
        database = {"DATABASE_URL": database_url} if database_url else {}
        campaign.env(_register(server, scenario.accounts) | connection_env(server) | database)
        for name, text in scenario.messages.items():
            campaign.message(name, text)
        campaign.schedule(scenario.accounts, [spec for spec, _ in scenario.posts])
        with Daemon(folder, "--exit-when-done") as daemon:
            daemon.wait_for(READY, 30)
            spare = (start - datetime.now(UTC)).total_seconds()
            say(f"{scenario.name}: the daemon was ready {spare:.2f} s before the first post's time")
            if daemon.finish(120) != 0:
                raise RuntimeError(f"the daemon failed:\n{daemon.log()}")
        found: list[float] = []
        for account in scenario.accounts:
            arrivals = sorted(a.at for a in server.arrivals(account.name) if a.method != "GET")  # writes only
            times = sorted(at for spec, at in scenario.posts if spec.to == (account.name,))
            for at in times:
                zero = at.timestamp()
                first = arrivals[0] if arrivals else None  # however early: firing early is a miss, not noise
                if first is None:
                    raise RuntimeError(f"no request for {account.name} at {at}:\n{daemon.log()}")
                found.append(first - zero)
                arrivals = [moment for moment in arrivals if moment > first + LATENCY]  # the next post's
        if len(found) != len(scenario.posts):
            raise RuntimeError(f"{len(found)} posts measured, {len(scenario.posts)} scheduled")
        return scenario.name + (" (PostgreSQL)" if database_url else ""), found
    finally:
        server.stop()


def _summary(name: str, found: Sequence[float]) -> list[Check]:
    ms = [value * 1000 for value in found]
    say(
        f"{name}: {len(ms)} posts, delay median {median(ms):.1f} ms, p95 {percentile(ms, 0.95):.1f} ms, "
        f"max {max(ms):.1f} ms, min {min(ms):.1f} ms"
    )
    early = [value for value in ms if value < -EARLY_MS]
    return [
        Check(NAME, f"{name}: median delay", median(ms), GOAL_MEDIAN_MS, "ms", f"p95 {percentile(ms, 0.95):.1f} ms"),
        Check(NAME, f"{name}: p95 delay", percentile(ms, 0.95), GOAL_P95_MS, "ms"),
        Check(NAME, f"{name}: max delay", max(ms), GOAL_MAX_MS, "ms"),
        Check(NAME, f"{name}: how early the earliest post fired", max(0.0, -min(ms)), EARLY_MS, "ms",
              f"min delay {min(ms):.1f} ms"),
        Check(NAME, f"{name}: posts sent more than {EARLY_MS:.0f} ms early", len(early), 0, ""),
    ]  # fmt: skip


def _unmeasured(name: str, why: str) -> list[Check]:
    """The goals of `_summary` for a scenario that could not run: each a MISS, none dropped."""
    return [
        unmeasured(NAME, f"{name}: median delay", GOAL_MEDIAN_MS, "ms", why),
        unmeasured(NAME, f"{name}: p95 delay", GOAL_P95_MS, "ms", why),
        unmeasured(NAME, f"{name}: max delay", GOAL_MAX_MS, "ms", why),
        unmeasured(NAME, f"{name}: how early the earliest post fired", EARLY_MS, "ms", why),
        unmeasured(NAME, f"{name}: posts sent more than {EARLY_MS:.0f} ms early", 0, "", why),
    ]


@contextmanager
def postgres() -> Iterator[str | None]:
    """A throwaway PostgreSQL server with fsync on, as in production (None when not installed)."""
    from tests.pgserver import PgServer, find_bindir

    bindir = find_bindir()
    if bindir is None:
        yield None
        return
    server = PgServer(bindir, durable=True)
    try:
        server.start()
        yield server.url()
    finally:
        server.remove()


def run(quick: bool) -> list[Check]:
    heading(f"3. firing accuracy: scheduled time -> first request on the server, latency {LATENCY * 1000:.0f} ms")
    checks: list[Check] = []
    everything: list[float] = []
    with tempfile.TemporaryDirectory(prefix="bench-firing-") as temp:
        for scenario in ("staggered", "burst"):
            name, found = measure(Path(temp) / scenario, scenario)
            everything += found
            checks += _summary(name, found)
        with postgres() as url:
            if url is None:
                checks += _unmeasured("burst (PostgreSQL)", "PostgreSQL is not installed")
            else:
                name, found = measure(Path(temp) / "burst-pg", "burst", url)
                checks += _summary(name, found)
    checks += _summary("all", everything)
    show(checks)
    return checks
