"""Fixtures shared by the outbox, runner, status and daemon tests; the secrets check and summary of every test."""

from __future__ import annotations

import compileall
import logging
import os
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from bot.i18n import install
from bot.store.sqlite import SqliteOutbox
from tests import secretscan
from tests.pgserver import PgServer, find_bindir


@pytest.fixture(autouse=True)
def english_by_default(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Tests pin English wording: BOT_LANG=en for the commands they run (in-process or as subprocesses, which
    inherit it), even on the committed campaign (`language: es`); tests of Spanish ask for it (--lang es or
    BOT_LANG=es). The catalog a test installed in-process is removed after it."""
    monkeypatch.setenv("BOT_LANG", "en")
    yield
    install(None, "en")


@pytest.fixture
def state_dir(tmp_path: Path) -> Path:
    return tmp_path / "state"


@pytest.fixture
def outbox(state_dir: Path) -> SqliteOutbox:
    return SqliteOutbox.open(state_dir)


# --- PostgreSQL: one server per session (tests/pgserver.py), a fresh database per test ------------------------


@pytest.fixture(scope="session")
def pg_server() -> Iterator[PgServer]:
    """A running PostgreSQL server; skipped when not installed, unless REQUIRE_POSTGRES=1 (CI)."""
    bindir = find_bindir()
    if bindir is None:
        message = "PostgreSQL is not installed (apt-get install postgresql)"
        if os.environ.get("REQUIRE_POSTGRES") == "1":
            pytest.fail(message + " and REQUIRE_POSTGRES=1")
        pytest.skip(message)
    server = PgServer(bindir)
    try:
        server.start()
        yield server
    finally:
        server.remove()


@pytest.fixture
def pg_url(pg_server: PgServer) -> Iterator[str]:
    """The URL (with its password) of a new, empty database, dropped after the test."""
    import psycopg

    name = "t_" + uuid.uuid4().hex[:16]
    secretscan.register(pg_server.password, "the test PostgreSQL password")
    with psycopg.connect(pg_server.url(), autocommit=True) as admin:
        admin.execute(f'CREATE DATABASE "{name}"')
    yield pg_server.url(name)
    if pg_server.running:
        with psycopg.connect(pg_server.url(), autocommit=True) as admin:
            admin.execute(f'DROP DATABASE "{name}" WITH (FORCE)')


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
SUMMARY_PROPERTY = "summary_line"


@pytest.fixture
def summary_line(request: pytest.FixtureRequest) -> Callable[[str], None]:
    """Print a line now (visible with -s) and again in the terminal summary (visible with plain -q).

    The line travels in the test's report (user_properties), so it reaches the terminal summary from an xdist
    worker too."""

    def add(line: str) -> None:
        print(line)
        request.node.user_properties.append((SUMMARY_PROPERTY, line))

    return add


def pytest_runtest_logreport(report: pytest.TestReport) -> None:
    """In the process that prints (the xdist controller, or the only process): collect the summary lines."""
    if report.when == "call":
        lines = [str(value) for name, value in report.user_properties if name == SUMMARY_PROPERTY]
        if lines:
            _CONFIG[0].stash.setdefault(SUMMARY, []).extend(lines)


_CONFIG: list[pytest.Config] = []


def pytest_configure(config: pytest.Config) -> None:
    _CONFIG[:] = [config]


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter, exitstatus: int, config: pytest.Config) -> None:
    lines = config.stash.get(SUMMARY, [])
    if lines:
        terminalreporter.write_sep("-", "fault injection")
        for line in lines:
            terminalreporter.write_line(line)


# --- running side by side (pytest-xdist): see tests/README.md for the rules every test keeps -----------------


@pytest.fixture(scope="session")
def run_folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A folder every xdist worker of this run shares (the parent of the workers' base folders), or this
    process's base folder without xdist. For figures that only the whole run can judge (tests/shards.py)."""
    base = tmp_path_factory.getbasetemp()
    return base.parent if os.environ.get("PYTEST_XDIST_WORKER") else base


WORKERS_PER_CPU = 3


def pytest_xdist_auto_num_workers(config: pytest.Config) -> int | None:
    """`-n auto`: three workers per processor this process may use, not xdist's one.

    Most of this suite's time is waiting, not computing: the end-to-end tests wait on their daemons, their
    fake servers and PostgreSQL (the crash and HA shards use a sixth of their time on a processor), so one
    worker per processor leaves the processors idle while the other tests queue. On the 2-core machine
    (docs/benchmarks.md, section 7b): 6 workers. PYTEST_XDIST_AUTO_NUM_WORKERS, when set, wins (xdist's own
    hook reads it: returning None hands over to it)."""
    if os.environ.get("PYTEST_XDIST_AUTO_NUM_WORKERS"):
        return None
    cpus = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1
    return WORKERS_PER_CPU * cpus


def pytest_sessionstart(session: pytest.Session) -> None:
    """Once per run (the controller, not each worker): compile bot/ to bytecode before the tests start their
    daemons, so the first ones (several at once under xdist) do not each compile it while their posts are due."""
    if "PYTEST_XDIST_WORKER" not in os.environ:
        compileall.compile_dir(Path(__file__).resolve().parent.parent / "bot", quiet=1)


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """The tests marked `long` start first, spread over the workers: started early, they run beside the many
    short ones instead of last and alone (a run is as long as its longest worker).

    xdist (load or worksteal) hands each worker a contiguous share of the collection to begin with, so the
    long tests are dealt one by one to the front of each share; the others keep their order. Every worker
    collects the same order (it depends only on the worker count)."""
    long = [item for item in items if item.get_closest_marker("long") is not None]
    rest = [item for item in items if item.get_closest_marker("long") is None]
    workers = int(os.environ.get("PYTEST_XDIST_WORKER_COUNT", "1"))
    order: list[pytest.Item] = []
    taken, remaining = 0, len(items)
    for worker in range(workers):
        share = remaining // (workers - worker)  # how xdist cuts the collection for the worker at its turn
        dealt = long[worker::workers]
        extra = max(0, share - len(dealt))
        order += dealt + rest[taken : taken + extra]
        taken += extra
        remaining -= share
    items[:] = order + rest[taken:]
