"""4. Scale: campaigns of 250, 1,000 and 5,000 missions (embassies and consulates), each at its own 08:00.

The accounts alternate X and Facebook, each with its own credentials prefix and the time zone of its city (a
realistic list of cities where Peru has missions; 10 or more zones at every size). One schedule entry,
`at: 2027-07-28 08:00` without an offset, goes to all of them, so each posts at 08:00 local time. Measured at
each size: `validate` and `preview --format json` (wall time, CPU time and peak memory, bench/spawn.py), and
the daemon's start-up until its "daemon started" log line (wall, CPU and peak memory then, VmHWM). At 5,000:
the start-up identity checks, apart (the daemon asks X, in the background after "daemon started", who each set of
X tokens posts as; seconds and CPU from "daemon started" to its "... X accounts checked in ..." line); after them,
its reload on SIGHUP (until its "reload (SIGHUP)" line, which it logs once every timer is set again; the
daemon takes the signal at once, no longer at its next one-second tick) and its CPU use while every post
waits (utime + stime from /proc/PID/stat over the idle window): neither measured while the checks still run.
Then `validate` of 10,000 accounts, and of 5,000 accounts with 5,000 entries (one per account, each at its own
minute). The daemon's URLs point at a closed local port: it sends nothing (every look-up fails at once, so the
checks' figure is their CPU cost, not X's latency).

The growth factor is the CPU time per account at the larger size over that at the smaller one: 1.0 is linear
(fixed costs such as the interpreter's start make it lower), 5.0 from 1,000 to 5,000 is quadratic. CPU time,
not wall time, because on a shared machine the wall time is mostly other people's work.
"""

from __future__ import annotations

import itertools
import signal
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
SIZES = (250, 1_000, 5_000)
LARGE = 10_000  # validate only: the 10,000-account check
GOAL_COMMAND_S = 2.0  # validate and preview --format json at 5,000 accounts
GOAL_STARTUP_S = 5.0
GOAL_RELOAD_S = 2.0
GOAL_MEMORY_MB = 300.0
GOAL_IDLE_CPU = 1.0  # percent of one core
GOAL_GROWTH = 1.5  # CPU time per account, larger size over smaller
CLOSED_PORT_URL = "http://127.0.0.1:9"
RELOADED = "reload (SIGHUP)"
IDENTIFIED = "X accounts checked in"  # "identities of 2500 X accounts checked in 3.8 s (look-ups: ...)"
IDENTITY_TIMEOUT_S = 600.0  # 2,500 look-ups, 8 at a time, against a closed port: seconds, not minutes

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


def build(folder: Path, accounts: int = ACCOUNTS, entries: int = 1) -> CampaignFolder:
    """A campaign of `accounts` missions in `folder`: one entry for all of them, or (`entries` = `accounts`)
    one entry per account, each at its own minute of 2027-07-28."""
    campaign = CampaignFolder(folder)
    specs: list[AccountSpec] = []
    env: dict[str, str] = {"X_API_BASE_URL": CLOSED_PORT_URL, "FACEBOOK_GRAPH_URL": CLOSED_PORT_URL}
    for n, (city, zone) in zip(range(1, accounts + 1), itertools.cycle(CITIES), strict=False):
        prefix = f"MISION_{n:03d}"
        if n % 2:
            specs.append(AccountSpec(f"{city}_{n:03d}_x", "x", prefix, handle=f"PeruEn{n:03d}", timezone=zone))
            for suffix in ("API_KEY", "API_SECRET", "ACCESS_TOKEN", "ACCESS_TOKEN_SECRET"):
                env[f"{prefix}_{suffix}"] = f"{1_000_000 + n}-{suffix.lower().replace('_', '-')}-{n:03d}abcdef"
        else:
            page = f"{100_000_000_000_000 + n}"
            specs.append(AccountSpec(f"{city}_{n:03d}_fb", "facebook", prefix, page_id=page, timezone=zone))
            env[f"{prefix}_PAGE_TOKEN"] = f"EAAG-page-{page}-token-value"
    campaign.env(env)
    message = campaign.message("mensaje.txt", MESSAGE.read_text(encoding="utf-8"))
    if entries == 1:
        to = tuple(a.name for a in specs)
        campaign.schedule(specs, [PostSpec("mensaje-fiestas-patrias", message, "2027-07-28 08:00", to)])
    else:
        assert entries == accounts, "one entry for all accounts, or one per account"
        posts = [
            PostSpec(f"mensaje-{n:05d}", message, f"2027-07-28 {8 + n // 60 % 12:02d}:{n % 60:02d}", (a.name,))
            for n, a in enumerate(specs)
        ]
        campaign.schedule(specs, posts)
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
        f"{name:28} median {median(walls):.3f} s (min {min(walls):.3f}, max {max(walls):.3f}, {runs} runs), "
        f"CPU {median([s.cpu for s in samples]):.3f} s, peak RSS {max(s.peak_mb for s in samples):.1f} MB"
    )
    return samples


def _startup(folder: Path, run: int) -> tuple[float, float, float, Daemon]:
    """Start the daemon on a fresh state folder: seconds until ready, its CPU seconds and peak memory then."""
    daemon = Daemon(folder, "--state-dir", f"state-{run}")
    try:
        ready = daemon.wait_for(READY, 120)
        return ready - daemon.started, daemon.cpu_seconds(), daemon.memory_mb("VmHWM"), daemon
    except BaseException:
        daemon.kill()
        raise


def _identities(daemon: Daemon, ready: float, ready_cpu: float) -> tuple[float, float, str]:
    """Wait for the end of the start-up identity checks: seconds from ready, CPU seconds since then, the line."""
    moment = daemon.wait_for(IDENTIFIED, IDENTITY_TIMEOUT_S)
    used = daemon.cpu_seconds() - ready_cpu
    line = next(text for when, text in daemon.lines if IDENTIFIED in text)
    return moment - ready, used, line.split(": ", 1)[-1]


def _reload(daemon: Daemon) -> tuple[float, float]:
    """SIGHUP; seconds until the daemon logs the end of its reload, and the CPU seconds it used."""
    seen = len(daemon.lines)
    cpu, start = daemon.cpu_seconds(), time.monotonic()
    daemon.process.send_signal(signal.SIGHUP)
    deadline = start + 120
    while time.monotonic() < deadline:
        found = [moment for moment, line in daemon.lines[seen:] if RELOADED in line]
        if found:
            return found[0] - start, daemon.cpu_seconds() - cpu
        time.sleep(0.02)
    raise RuntimeError(f"no {RELOADED!r} line within 120 s:\n{daemon.log()}")


def _growth(figures: dict[int, float], small: int, large: int) -> float:
    return (figures[large] / large) / (figures[small] / small)


def run(quick: bool) -> list[Check]:
    runs, startups, idle = (1, 1, 10.0) if quick else (3, 2, 60.0)
    heading(f"4. scale: {', '.join(f'{n:,}' for n in SIZES)} accounts, each at 08:00 local time on 2027-07-28")
    main = str(ROOT / "main.py")
    validate_argv = [sys.executable, main, "validate"]
    preview_argv = [sys.executable, main, "preview", "--format", "json"]
    cpu: dict[str, dict[int, float]] = {"validate": {}, "preview": {}, "start-up": {}}
    checks: list[Check] = []
    with tempfile.TemporaryDirectory(prefix="bench-scale-") as temp:
        for size in SIZES:
            folder = Path(temp) / f"accounts-{size}"
            build(folder, size)
            if size == SIZES[0]:
                measure(validate_argv, folder, child_env())  # writes the bytecode caches: not timed
                groups = instants(folder)
                say(f"{size} accounts: {sum(groups.values())} posts on {len(groups)} distinct UTC instants")
            say(f"-- {size:,} accounts")
            validate = _timed("validate", validate_argv, folder, runs)
            preview = _timed("preview --format json", preview_argv, folder, runs)
            cpu["validate"][size] = median([s.cpu for s in validate])
            cpu["preview"][size] = median([s.cpu for s in preview])
            starts: list[tuple[float, float, float]] = []
            daemon: Daemon | None = None
            try:
                for n in range(startups):
                    seconds, used, peak, daemon = _startup(folder, n)
                    starts.append((seconds, used, peak))
                    if n < startups - 1 or size != SIZES[-1]:
                        daemon.stop()
                cpu["start-up"][size] = median([c for _, c, _ in starts])
                say(
                    f"daemon start-up to {READY!r}: median {median([s for s, _, _ in starts]):.3f} s, "
                    f"CPU {cpu['start-up'][size]:.3f} s, peak RSS at ready {max(m for _, _, m in starts):.1f} MB"
                )
                if size == SIZES[-1]:
                    assert daemon is not None
                    checked_s, checked_cpu, checked = _identities(daemon, daemon.started + seconds, used)
                    identities = f"after the identity checks: {checked_s:.1f} s, CPU {checked_cpu:.2f} s"
                    say(
                        f"start-up identity checks (background, after ready): {checked_s:.3f} s, CPU "
                        f"{checked_cpu:.3f} s; the daemon: {checked}"
                    )
                    reloads = [_reload(daemon) for _ in range(startups)]
                    say(
                        f"reload on SIGHUP: median {median([r for r, _ in reloads]):.3f} s "
                        f"({', '.join(f'{r:.3f}' for r, _ in reloads)}), CPU {median([c for _, c in reloads]):.3f} s"
                    )
                    before, moment = daemon.cpu_seconds(), time.monotonic()
                    time.sleep(idle)
                    used_idle, elapsed = daemon.cpu_seconds() - before, time.monotonic() - moment
                    idle_peak, idle_rss = daemon.memory_mb("VmHWM"), daemon.memory_mb("VmRSS")
                    idle_cpu = used_idle / elapsed * 100
                    say(
                        f"idle {elapsed:.1f} s with {size:,} posts waiting: {used_idle:.2f} s CPU ({idle_cpu:.2f} % of "
                        f"one core), RSS {idle_rss:.1f} MB (peak {idle_peak:.1f} MB)"
                    )
                    checks += [
                        Check(NAME, f"validate at {size:,} (median)", median([s.wall for s in validate]),
                              GOAL_COMMAND_S, "s", f"CPU {cpu['validate'][size]:.3f} s"),
                        Check(NAME, f"preview --format json at {size:,} (median)", median([s.wall for s in preview]),
                              GOAL_COMMAND_S, "s", f"CPU {cpu['preview'][size]:.3f} s"),
                        Check(NAME, f"validate peak memory at {size:,}", max(s.peak_mb for s in validate),
                              GOAL_MEMORY_MB, "MB"),
                        Check(NAME, f"preview peak memory at {size:,}", max(s.peak_mb for s in preview),
                              GOAL_MEMORY_MB, "MB"),
                        Check(NAME, f"daemon start-up to ready at {size:,} (median)",
                              median([s for s, _, _ in starts]), GOAL_STARTUP_S, "s",
                              f"CPU {cpu['start-up'][size]:.3f} s"),
                        Check(NAME, f"daemon peak memory at {size:,} (ready, reloaded, idle)",
                              max(idle_peak, *(m for _, _, m in starts)), GOAL_MEMORY_MB, "MB"),
                        Check(NAME, f"reload on SIGHUP at {size:,} (median)", median([r for r, _ in reloads]),
                              GOAL_RELOAD_S, "s", f"CPU {median([c for _, c in reloads]):.3f} s; {identities}"),
                        Check(NAME, f"daemon idle CPU over {elapsed:.0f} s", idle_cpu, GOAL_IDLE_CPU, "%",
                              identities),
                    ]  # fmt: skip
            finally:
                if daemon is not None:
                    daemon.stop()
        say(f"-- {LARGE:,} accounts, and {SIZES[-1]:,} accounts with {SIZES[-1]:,} entries")
        large = Path(temp) / f"accounts-{LARGE}"
        build(large, LARGE)
        cpu["validate"][LARGE] = median([s.cpu for s in _timed("validate", validate_argv, large, runs)])
        entries = Path(temp) / "entries"
        build(entries, SIZES[-1], SIZES[-1])
        entries_run = _timed(f"validate, {SIZES[-1]:,} entries", validate_argv, entries, runs)
    small, middle, big = SIZES
    for what, figures in cpu.items():
        say(
            f"growth of {what} CPU per account: {small:,} -> {middle:,} {_growth(figures, small, middle):.2f}x, "
            f"{middle:,} -> {big:,} {_growth(figures, middle, big):.2f}x"
            + (f", {big:,} -> {LARGE:,} {_growth(figures, big, LARGE):.2f}x" if LARGE in figures else "")
        )
        checks.append(Check(NAME, f"{what} growth per account, {middle:,} -> {big:,}",
                            _growth(figures, middle, big), GOAL_GROWTH, "x", "CPU time; 1.0 is linear"))  # fmt: skip
    checks += [
        Check(NAME, f"validate growth per account, {big:,} -> {LARGE:,}", _growth(cpu["validate"], big, LARGE),
              GOAL_GROWTH, "x", "CPU time; 1.0 is linear"),
        Check(NAME, f"validate of {big:,} accounts with {big:,} entries (median)",
              median([s.wall for s in entries_run]), GOAL_COMMAND_S, "s",
              f"CPU {median([s.cpu for s in entries_run]):.3f} s"),
    ]  # fmt: skip
    show(checks)
    return checks
