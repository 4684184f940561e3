"""4. Scale: a campaign of 250 missions (embassies and consulates), each posting at its own 08:00.

250 accounts alternate X and Facebook, each with its own credentials prefix and the time zone of its city
(a realistic list of cities where Peru has missions). One schedule entry, `at: 2027-07-28 08:00` without an
offset, goes to all of them, so each posts at 08:00 local time. Measured: `validate` and
`preview --format json` (wall time and peak memory, bench/spawn.py), the daemon's start-up until its "daemon
started" log line with its peak memory then (VmHWM), and its CPU use while every post waits (utime + stime
from /proc/PID/stat over the idle window). The daemon's URLs point at a closed local port: it sends nothing.
"""

from __future__ import annotations

import itertools
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

from bench.process import READY, Daemon, child_env, preview_json
from bench.report import Check, heading, median, say, show
from bench.spawn import Sample, measure
from bench.world import MESSAGE, ROOT, AccountSpec, CampaignFolder, PostSpec

NAME = "scale"
ACCOUNTS = 250
GOAL_PREVIEW_S = 2.0
GOAL_STARTUP_S = 3.0
GOAL_MEMORY_MB = 150.0
GOAL_IDLE_CPU = 1.0  # percent of one core
CLOSED_PORT_URL = "http://127.0.0.1:9"

CITIES = (
    ("washington", "America/New_York"), ("nueva_york", "America/New_York"), ("miami", "America/New_York"),
    ("chicago", "America/Chicago"), ("houston", "America/Chicago"), ("denver", "America/Denver"),
    ("phoenix", "America/Phoenix"), ("los_angeles", "America/Los_Angeles"), ("toronto", "America/Toronto"),
    ("montreal", "America/Toronto"), ("vancouver", "America/Vancouver"), ("mexico", "America/Mexico_City"),
    ("guatemala", "America/Guatemala"), ("san_jose", "America/Costa_Rica"), ("panama", "America/Panama"),
    ("la_habana", "America/Havana"), ("santo_domingo", "America/Santo_Domingo"), ("caracas", "America/Caracas"),
    ("bogota", "America/Bogota"), ("quito", "America/Guayaquil"), ("guayaquil", "America/Guayaquil"),
    ("la_paz", "America/La_Paz"), ("santiago", "America/Santiago"), ("arica", "America/Santiago"),
    ("buenos_aires", "America/Argentina/Buenos_Aires"), ("mendoza", "America/Argentina/Mendoza"),
    ("montevideo", "America/Montevideo"), ("asuncion", "America/Asuncion"), ("brasilia", "America/Sao_Paulo"),
    ("sao_paulo", "America/Sao_Paulo"), ("manaos", "America/Manaus"), ("madrid", "Europe/Madrid"),
    ("barcelona", "Europe/Madrid"), ("lisboa", "Europe/Lisbon"), ("paris", "Europe/Paris"),
    ("londres", "Europe/London"), ("bruselas", "Europe/Brussels"), ("la_haya", "Europe/Amsterdam"),
    ("berlin", "Europe/Berlin"), ("roma", "Europe/Rome"), ("milan", "Europe/Rome"), ("berna", "Europe/Zurich"),
    ("viena", "Europe/Vienna"), ("estocolmo", "Europe/Stockholm"), ("varsovia", "Europe/Warsaw"),
    ("atenas", "Europe/Athens"), ("moscu", "Europe/Moscow"), ("ankara", "Europe/Istanbul"),
    ("tel_aviv", "Asia/Jerusalem"), ("el_cairo", "Africa/Cairo"), ("rabat", "Africa/Casablanca"),
    ("pretoria", "Africa/Johannesburg"), ("abu_dabi", "Asia/Dubai"), ("doha", "Asia/Qatar"),
    ("nueva_delhi", "Asia/Kolkata"), ("bangkok", "Asia/Bangkok"), ("yakarta", "Asia/Jakarta"),
    ("singapur", "Asia/Singapore"), ("kuala_lumpur", "Asia/Kuala_Lumpur"), ("manila", "Asia/Manila"),
    ("pekin", "Asia/Shanghai"), ("shanghai", "Asia/Shanghai"), ("hong_kong", "Asia/Hong_Kong"),
    ("seul", "Asia/Seoul"), ("tokio", "Asia/Tokyo"), ("nagoya", "Asia/Tokyo"), ("sidney", "Australia/Sydney"),
    ("canberra", "Australia/Sydney"), ("wellington", "Pacific/Auckland"),
)  # fmt: skip


def build(folder: Path) -> CampaignFolder:
    """The 250-account campaign in `folder`."""
    campaign = CampaignFolder(folder)
    accounts: list[AccountSpec] = []
    env: dict[str, str] = {"X_API_BASE_URL": CLOSED_PORT_URL, "FACEBOOK_GRAPH_URL": CLOSED_PORT_URL}
    for n, (city, zone) in zip(range(1, ACCOUNTS + 1), itertools.cycle(CITIES), strict=False):
        prefix = f"MISION_{n:03d}"
        if n % 2:
            accounts.append(AccountSpec(f"{city}_{n:03d}_x", "x", prefix, handle=f"PeruEn{n:03d}", timezone=zone))
            for suffix in ("API_KEY", "API_SECRET", "ACCESS_TOKEN", "ACCESS_TOKEN_SECRET"):
                env[f"{prefix}_{suffix}"] = f"{1_000_000 + n}-{suffix.lower().replace('_', '-')}-{n:03d}abcdef"
        else:
            page = f"{100_000_000_000_000 + n}"
            accounts.append(AccountSpec(f"{city}_{n:03d}_fb", "facebook", prefix, page_id=page, timezone=zone))
            env[f"{prefix}_PAGE_TOKEN"] = f"EAAG-page-{page}-token-value"
    campaign.env(env)
    message = campaign.message("mensaje.txt", MESSAGE.read_text(encoding="utf-8"))
    to = tuple(a.name for a in accounts)
    campaign.schedule(accounts, [PostSpec("mensaje-fiestas-patrias", message, "2027-07-28 08:00", to)])
    return campaign


def instants(folder: Path) -> Counter[str]:
    """Posts per UTC instant, from `preview --format json`."""
    return Counter(post["at_utc"] for post in preview_json(folder)["posts"])


def _timed(name: str, argv: list[str], folder: Path, runs: int) -> list[Sample]:
    samples = []
    for _ in range(runs):
        sample = measure(argv, folder, child_env())
        if sample.exit_code != 0:
            raise RuntimeError(f"{name} exited {sample.exit_code}")
        samples.append(sample)
    walls = [s.wall for s in samples]
    say(
        f"{name:22} median {median(walls):.3f} s (min {min(walls):.3f}, max {max(walls):.3f}, {runs} runs)  "
        f"peak RSS {max(s.peak_mb for s in samples):.1f} MB"
    )
    return samples


def _startup(folder: Path, run: int) -> tuple[float, float, Daemon]:
    """Start the daemon on a fresh state folder; seconds until ready, peak memory then, and the process."""
    daemon = Daemon(folder, "--state-dir", f"state-{run}")
    try:
        ready = daemon.wait_for(READY, 60)
        return ready - daemon.started, daemon.memory_mb("VmHWM"), daemon
    except BaseException:
        daemon.kill()
        raise


def run(quick: bool) -> list[Check]:
    runs, startups, idle = (2, 1, 10.0) if quick else (5, 3, 60.0)
    heading(f"4. scale: {ACCOUNTS} accounts, each at 08:00 local time on 2027-07-28")
    checks: list[Check] = []
    with tempfile.TemporaryDirectory(prefix="bench-scale-") as temp:
        folder = Path(temp)
        build(folder)
        groups = instants(folder)
        say(
            f"{sum(groups.values())} posts on {len(groups)} distinct UTC instants; "
            f"the busiest instant has {max(groups.values())} posts ({max(groups, key=lambda k: groups[k])})"
        )
        main = str(ROOT / "main.py")
        validate = _timed("validate", [sys.executable, main, "validate"], folder, runs)
        preview = _timed("preview --format json", [sys.executable, main, "preview", "--format", "json"], folder, runs)
        starts: list[tuple[float, float]] = []
        daemon: Daemon | None = None
        try:
            for n in range(startups):
                seconds, peak, daemon = _startup(folder, n)
                starts.append((seconds, peak))
                if n < startups - 1:
                    daemon.stop()
            assert daemon is not None
            say(
                f"daemon start-up to {READY!r}: median {median([s for s, _ in starts]):.3f} s "
                f"({', '.join(f'{s:.3f}' for s, _ in starts)}), peak RSS at ready {max(m for _, m in starts):.1f} MB"
            )
            before, moment = daemon.cpu_seconds(), time.monotonic()
            time.sleep(idle)
            used, elapsed = daemon.cpu_seconds() - before, time.monotonic() - moment
            idle_peak = daemon.memory_mb("VmHWM")
            idle_rss = daemon.memory_mb("VmRSS")
            threads = len(list(Path(f"/proc/{daemon.process.pid}/task").iterdir()))
        finally:
            if daemon is not None:
                daemon.stop()
        cpu = used / elapsed * 100
        say(
            f"idle {elapsed:.1f} s with {sum(groups.values())} posts waiting: {used:.2f} s CPU ({cpu:.2f} % of one "
            f"core), RSS {idle_rss:.1f} MB (peak {idle_peak:.1f} MB), {threads} threads"
        )
    checks += [
        Check(NAME, "validate median wall time", median([s.wall for s in validate]), GOAL_PREVIEW_S, "s"),
        Check(NAME, "preview --format json median wall time", median([s.wall for s in preview]), GOAL_PREVIEW_S, "s"),
        Check(NAME, "daemon start-up to ready (median)", median([s for s, _ in starts]), GOAL_STARTUP_S, "s"),
        Check(NAME, "validate peak memory", max(s.peak_mb for s in validate), GOAL_MEMORY_MB, "MB"),
        Check(NAME, "preview peak memory", max(s.peak_mb for s in preview), GOAL_MEMORY_MB, "MB"),
        Check(
            NAME, "daemon peak memory (ready and idle)", max(idle_peak, *(m for _, m in starts)), GOAL_MEMORY_MB, "MB"
        ),
        Check(NAME, f"daemon idle CPU over {elapsed:.0f} s", cpu, GOAL_IDLE_CPU, "%"),
    ]
    show(checks)
    return checks
