"""Figures, goals and the printed report; the machine the benchmarks ran on."""

from __future__ import annotations

import math
import os
import platform
import statistics
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from datetime import datetime
from pathlib import Path
from typing import Any


@dataclass(frozen=True)
class Check:
    """One figure against its goal. The goal is an upper bound: PASS when figure <= goal."""

    benchmark: str
    name: str
    figure: float
    goal: float
    unit: str
    note: str = ""
    measured: bool = True  # False: the benchmark could not measure it (see `unmeasured`); always a MISS

    @property
    def passed(self) -> bool:
        return self.measured and self.figure <= self.goal

    def line(self) -> str:
        verdict = "PASS" if self.passed else "MISS"
        figure = _fmt(self.figure, self.unit) if self.measured else "not measured"
        text = f"  {verdict}  {self.name}: {figure} (goal <= {_fmt(self.goal, self.unit)})"
        return text + (f"  [{self.note}]" if self.note else "")

    def as_dict(self) -> dict[str, Any]:
        return {**asdict(self), "passed": self.passed}


def unmeasured(benchmark: str, name: str, goal: float, unit: str, why: str) -> Check:
    """A goal the benchmark could not measure (PostgreSQL missing, say): counted as missed, never dropped."""
    return Check(benchmark, name, 0.0, goal, unit, why, measured=False)


def _fmt(value: float, unit: str) -> str:
    if unit == "s":
        return f"{value:.3f} s"
    if unit == "ms":
        return f"{value:.1f} ms"
    if unit == "MB":
        return f"{value:.1f} MB"
    if unit == "%":
        return f"{value:.2f} %"
    if unit == "x":
        return f"{value:.2f}x"
    return f"{value:g} {unit}".rstrip()


def percentile(values: Sequence[float], fraction: float) -> float:
    """Nearest-rank percentile (p95 of 48 values is the 46th smallest)."""
    ordered = sorted(values)
    rank = max(1, math.ceil(fraction * len(ordered)))
    return ordered[rank - 1]


def median(values: Sequence[float]) -> float:
    return float(statistics.median(values))


def load() -> str:
    """The 1-minute load average: other work on the machine skews every figure (see docs/benchmarks.md)."""
    return f"{os.getloadavg()[0]:.2f}"


def heading(title: str) -> None:
    print(f"\n== {title} ==  (load average {load()})", flush=True)


def say(text: str) -> None:
    print(f"  {text}", flush=True)


def show(checks: Sequence[Check]) -> None:
    for check in checks:
        print(check.line(), flush=True)


def cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text(encoding="utf-8").splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown CPU"


def machine() -> dict[str, str]:
    usable = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 0
    return {
        "date": datetime.now().astimezone().isoformat(timespec="seconds"),
        "cpu": cpu_model(),
        "cores": f"{usable} usable of {os.cpu_count()}",
        "python": platform.python_version(),
        "os": f"{platform.system()} {platform.release()}",
        "load": f"{load()} (1-minute load average at the start)",
    }
