"""Processor time per test, for finding what makes the suite slow (docs/benchmarks.md, section 7b).

The workers' test times (`--durations`) are mostly waiting under xdist; this counts what each test costs the
processors: the user and system time of the worker and of the subprocesses it waited for (daemons, CLI runs,
node, Chromium through its driver), around each test. Servers that detach themselves (PostgreSQL's postmaster)
are not counted.

    TESTCPU_LOG=/tmp/cpu.log .venv/bin/python -m pytest -p tools.testcpu -n auto --dist worksteal
    .venv/bin/python -m tools.testcpu /tmp/cpu.log        # per file, heaviest first

Each line of the log: processor seconds, wall seconds, test id (tab-separated; every worker appends).
"""

from __future__ import annotations

import os
import resource
import sys
import time
from collections import Counter
from collections.abc import Generator

import pytest


def _processor_seconds() -> float:
    own, children = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_protocol(item: pytest.Item, nextitem: pytest.Item | None) -> Generator[None, None, None]:
    cpu, wall = _processor_seconds(), time.monotonic()
    yield
    path = os.environ.get("TESTCPU_LOG")
    if path:
        with open(path, "a", encoding="utf-8") as log:
            log.write(f"{_processor_seconds() - cpu:.3f}\t{time.monotonic() - wall:.3f}\t{item.nodeid}\n")


def summary(paths: list[str], top: int = 40) -> list[str]:
    cpu: dict[str, float] = {}
    wall: dict[str, float] = {}
    tests: Counter[str] = Counter()
    for path in paths:
        with open(path, encoding="utf-8") as log:
            for line in log:
                seconds, waited, node = line.rstrip("\n").split("\t")
                name = node.split("::")[0]
                cpu[name] = cpu.get(name, 0.0) + float(seconds)
                wall[name] = wall.get(name, 0.0) + float(waited)
                tests[name] += 1
    lines = [f"processor {sum(cpu.values()):.1f} s, test time {sum(wall.values()):.1f} s, {sum(tests.values())} tests"]
    heaviest = sorted(cpu, key=lambda name: -cpu[name])[:top]
    lines += [f"{cpu[name]:7.1f} {wall[name]:7.1f} {tests[name]:5d}  {name}" for name in heaviest]
    return lines


if __name__ == "__main__":
    if not sys.argv[1:]:
        sys.exit("usage: python -m tools.testcpu LOG [LOG...]")
    print("\n".join(summary(sys.argv[1:])))
