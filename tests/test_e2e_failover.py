"""PostgreSQL failover mid-thread (issue 18 item 6): a primary and a synchronous standby, the primary killed,
the standby promoted, and the thread finishes with every fragment exactly once.

Two private servers (tests/pgserver.py; as root they run as the `postgres` user): a primary with
`synchronous_standby_names = 'standby1'` (`synchronous_commit = on`, the default) and a standby made with
`pg_basebackup -R` that streams from it as `standby1`. The daemon (`python main.py run`, a subprocess) gets a
multi-host DATABASE_URL with `target_session_attrs=read-write`: it writes to whichever server is the primary.
When the fake X API receives the 5th post of the thread, the primary and all its processes are killed
(SIGKILL, as a machine that dies); the test promotes the standby; the daemon reconnects to it, looks up the
fragment in flight, and finishes. Every commit the daemon was told about is on the standby (synchronous
replication), so nothing it sent is forgotten and nothing is sent twice.

Own ports (from the OS) and folders for both servers: safe to run beside the other tests.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import subprocess
import tempfile
import threading
import time
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import psycopg
import pytest

from tests import secretscan
from tests.e2e import Campaign, finish, wait_for
from tests.fakeapi import FakeAPI, ServerEvent
from tests.pgserver import ROLE, PgServer, _free_port, find_bindir
from tests.test_e2e_daemon import THREAD

pytestmark = pytest.mark.slow

STANDBY_NAME = "standby1"
KILL_AT = 5  # the X post of the thread whose arrival kills the primary
LEASE = 2.0
HTTP_TIMEOUT = 1.0


class Standby(PgServer):
    """A streaming standby of `primary`, made with pg_basebackup -R (primary_conninfo and standby.signal)."""

    def __init__(self, primary: PgServer, name: str) -> None:
        self.bindir = primary.bindir
        self.durable = primary.durable
        self.as_root = primary.as_root
        self.folder = Path(tempfile.mkdtemp(prefix="pgstandby-"))
        self.data = self.folder / "data"
        self.log = self.folder / "server.log"
        self.port = _free_port()
        self.password = primary.password
        self.running = False
        if self.as_root:
            shutil.chown(self.folder, "postgres", "postgres")
        source = f"host=127.0.0.1 port={primary.port} user={ROLE} password={primary.password} application_name={name}"
        self._run("pg_basebackup", "-D", str(self.data), "-d", source, "-R", "-X", "stream", "--checkpoint=fast")

    def promote(self) -> None:
        """Promote it; it inherited `synchronous_standby_names` and has no standby of its own, so every commit
        would wait forever: the operator's second step is to attach a new standby or clear the setting."""
        self._run("pg_ctl", "-D", str(self.data), "-w", "-t", "60", "promote")
        with psycopg.connect(self.url(), autocommit=True) as db:
            db.execute("ALTER SYSTEM SET synchronous_standby_names = ''")
            db.execute("SELECT pg_reload_conf()")


def kill_server(server: PgServer) -> None:
    """SIGKILL the postmaster and every process it started: the machine died, nothing shut down cleanly."""
    lines = (server.data / "postmaster.pid").read_text().splitlines()
    pid = int(lines[0])
    shared_memory = lines[6].split()[1] if len(lines) > 6 and len(lines[6].split()) == 2 else None
    children = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                stat = (entry / "stat").read_text()
            except OSError:
                continue
            if int(stat.rsplit(")", 1)[1].split()[1]) == pid:
                children.append(int(entry.name))
    os.kill(pid, signal.SIGKILL)  # first the postmaster, so that it restarts nothing
    for child in children:
        with contextlib.suppress(ProcessLookupError):
            os.kill(child, signal.SIGKILL)
    if shared_memory is not None:  # the server's small System V segment: nobody attached any more, remove it
        wait_for(lambda: _gone(pid), 10, "the killed postmaster to be gone")
        subprocess.run(["ipcrm", "-m", shared_memory], capture_output=True, check=False)
    server.running = False


def _gone(pid: int) -> bool:
    try:
        return (Path("/proc") / str(pid) / "stat").read_text().rsplit(")", 1)[1].split()[0] == "Z"  # not reaped
    except (OSError, IndexError):
        return True


def sync_state(server: PgServer) -> str | None:
    with psycopg.connect(server.url(), autocommit=True) as db:
        row = db.execute(
            "SELECT sync_state FROM pg_stat_replication WHERE application_name = %s", (STANDBY_NAME,)
        ).fetchone()
    return str(row[0]) if row else None


@pytest.fixture(name="pair")
def pair_fixture() -> Iterator[tuple[PgServer, Standby]]:
    bindir = find_bindir()
    if bindir is None:
        message = "PostgreSQL is not installed (apt-get install postgresql)"
        if os.environ.get("REQUIRE_POSTGRES") == "1":
            pytest.fail(message + " and REQUIRE_POSTGRES=1")
        pytest.skip(message)
    primary = PgServer(bindir)
    standby: Standby | None = None
    try:
        primary.start()
        secretscan.register(primary.password, "the test PostgreSQL password")
        with psycopg.connect(primary.url(), autocommit=True) as db:
            db.execute(f"ALTER SYSTEM SET synchronous_standby_names = '{STANDBY_NAME}'")
            db.execute("ALTER SYSTEM SET synchronous_commit = 'on'")
            db.execute("SELECT pg_reload_conf()")
        standby = Standby(primary, STANDBY_NAME)
        standby.start()
        wait_for(lambda: sync_state(primary) == "sync", 30, "the standby to be synchronous", interval=0.2)
        yield primary, standby
    finally:
        if standby is not None:
            standby.remove()
        primary.remove()


def test_the_primary_dies_mid_thread_the_standby_is_promoted_and_every_fragment_goes_out_once(
    tmp_path: Path, pair: tuple[PgServer, Standby]
) -> None:
    primary, standby = pair
    name = "fo_" + uuid.uuid4().hex[:12]
    with psycopg.connect(primary.url(), autocommit=True) as admin:
        admin.execute(f'CREATE DATABASE "{name}"')  # replicated to the standby like everything else
    hosts = f"127.0.0.1:{primary.port},127.0.0.1:{standby.port}"
    url = f"postgresql://{ROLE}:{primary.password}@{hosts}/{name}?target_session_attrs=read-write"

    api = FakeAPI(latency=0.05).start()
    killed = threading.Event()
    refused: list[ServerEvent] = []
    try:
        campaign = Campaign(tmp_path / "campaign", api, timeout=HTTP_TIMEOUT)
        message = campaign.message("hilo.txt", THREAD)
        campaign.schedule([{"id": "mensaje", "message": message, "at": datetime.now(UTC) + timedelta(seconds=3)}])
        expected = campaign.fragments("mensaje", "cx")
        assert len(expected) > KILL_AT + 2

        def kill_primary() -> None:
            kill_server(primary)
            killed.set()

        api.before_request("x", "POST", KILL_AT, kill_primary)
        api.add_observer(lambda e: refused.append(e) if e.phase == "handled" and e.status in (400, 403) else None)
        env = {"DATABASE_URL": url, "LEASE_SECONDS": str(LEASE)}
        process = campaign.start("--exit-when-done", env_extra=env)
        try:
            wait_for(killed.is_set, 60, "the primary to be killed at the 5th post")
            killed_at = time.monotonic()
            assert len(campaign.x_posts()) <= KILL_AT  # the daemon could not go on without a database
            standby.promote()
            assert finish(process, timeout=120) == 0, campaign.logs()
        finally:
            if process.poll() is None:
                process.kill()
                process.wait()
        took = time.monotonic() - killed_at
        log = campaign.logs()
        campaign.assert_thread(expected)  # every fragment once, in order, each a reply to the previous one
        assert campaign.page_texts() == campaign.fragments("mensaje", "cf")
        assert refused == [], "a text was sent again"
        assert api.count("x", "POST") == len(expected)  # no resend at all, not even a refused one
        assert f"postgresql://{ROLE}@{hosts}/{name}" in log  # both hosts named, the password not
        campaign.assert_no_secrets()
        print(f"failover: thread finished {took:.1f} s after the primary was killed")
        with psycopg.connect(standby.url(name), autocommit=True) as db:
            states = db.execute("SELECT state, count(*) FROM fragments GROUP BY state").fetchall()
        assert dict(states) == {"sent": len(expected) + 1}  # the thread and the Page post
    finally:
        api.stop()
