"""Fixtures shared by the outbox, runner, status and daemon tests; the secrets check and summary of every test."""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from bot.store.sqlite import SqliteOutbox
from tests import secretscan


@pytest.fixture
def state_dir(tmp_path: Path) -> Path:
    return tmp_path / "state"


@pytest.fixture
def outbox(state_dir: Path) -> SqliteOutbox:
    return SqliteOutbox.open(state_dir)


# --- secrets: no credential value in any log record or file of any test (see tests/secretscan.py) ----------


@pytest.fixture(autouse=True)
def _no_secret_leaks(request: pytest.FixtureRequest) -> Iterator[None]:
    """Every test: a fresh registry; afterwards no registered secret in the log records or under tmp_path."""
    secretscan.reset()
    folder: Path | None = request.getfixturevalue("tmp_path") if "tmp_path" in request.fixturenames else None
    handler = secretscan.LeakHandler()
    root = logging.getLogger()
    root.addHandler(handler)
    try:
        yield
    finally:
        root.removeHandler(handler)
    findings = list(handler.findings)
    if folder is not None:
        findings += secretscan.find_in_tree(folder)
    secretscan.fail_on(findings)


# --- summary lines: fault-injection tests report their numbers at the end of every run, even with -q --------

SUMMARY = pytest.StashKey[list[str]]()


@pytest.fixture
def summary_line(request: pytest.FixtureRequest) -> Callable[[str], None]:
    """Print a line now (visible with -s) and again in the terminal summary (visible with plain -q)."""

    def add(line: str) -> None:
        print(line)
        request.config.stash.setdefault(SUMMARY, []).append(line)

    return add


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter, exitstatus: int, config: pytest.Config) -> None:
    lines = config.stash.get(SUMMARY, [])
    if lines:
        terminalreporter.write_sep("-", "fault injection")
        for line in lines:
            terminalreporter.write_line(line)
