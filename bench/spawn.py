"""Wall time and peak memory of one command, measured in a fresh, small wrapper process.

`measure(argv)` starts `python -I -S bench/_wrapper.py ARGV...`. The wrapper (os, sys and time only, no
site-packages, about 8.5 MB resident) starts the command with posix_spawn, times it with perf_counter from
just before the spawn to the return of wait4(), and takes the child's peak resident set size from wait4's
rusage (ru_maxrss: the kernel's high-water mark for that child, in KiB on Linux).

Why a fresh wrapper: on Linux the high-water mark a child reports includes the peak of the address space it
was spawned from (exec keeps the old address space's peak), so spawning from the benchmark process itself,
which holds the fake server and its threads, would inflate the figure. The wrapper's own peak (its VmHWM) is
returned as `floor_mb`: a figure equal to it means the child stayed at or below the wrapper.
The command's stdout and stderr go to /dev/null: we time the program, not a terminal.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

WRAPPER = Path(__file__).with_name("_wrapper.py")


@dataclass(frozen=True)
class Sample:
    """One run of a command: wall seconds, peak RSS in MiB, exit status, the wrapper's own peak, and the
    command's CPU seconds (user + system, from the same rusage)."""

    wall: float
    peak_mb: float
    exit_code: int
    floor_mb: float
    cpu: float = 0.0


def measure(argv: list[str], cwd: Path, env: dict[str, str] | None = None) -> Sample:
    """Run `argv` (argv[0] an absolute path) in `cwd` through the wrapper.

    Bytecode caches are allowed even where PYTHONDONTWRITEBYTECODE is set (as in some CI shells): a user's
    installation compiles each module once, and a benchmark that recompiles the bot on every run measures the
    compiler (about 120 ms for preview), not the bot. The first run of a command writes them.
    """
    env = {k: v for k, v in (os.environ if env is None else env).items() if k != "PYTHONDONTWRITEBYTECODE"}
    result = subprocess.run(
        [sys.executable, "-I", "-S", str(WRAPPER), *argv],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        check=True,
    )
    data = json.loads(result.stdout)
    return Sample(data["wall"], data["maxrss_kb"] / 1024, data["exit"], data["floor_kb"] / 1024, data["cpu"])
