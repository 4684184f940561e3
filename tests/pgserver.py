"""A throwaway PostgreSQL server for the tests: initdb in a temporary folder, 127.0.0.1 on a free port.

Debian's packages put the binaries under /usr/lib/postgresql/<version>/bin. As root, initdb and postgres
refuse to run, so the server runs as the `postgres` user through `runuser`; its folder is then owned by
that user. Without root the server runs as the current user. Clients connect over TCP with a password (the
URLs the bot is given in production look the same), as a role that may create databases, so that each test
can have a fresh one.
"""

from __future__ import annotations

import glob
import os
import shutil
import socket
import subprocess
import tempfile
import uuid
from pathlib import Path

ROLE = "bot"


def find_bindir() -> Path | None:
    """The newest installed PostgreSQL's bin folder, or None."""
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"), key=lambda p: int(Path(p).parent.parent.name))
    return Path(found[-1]).parent if found else None


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


class PgServer:
    """One server. start()/stop() may be called repeatedly (the data folder and the port are kept)."""

    def __init__(self, bindir: Path, *, durable: bool = False) -> None:
        self.bindir = bindir
        self.durable = durable  # fsync on, as in production (the benchmarks); off for the tests' speed
        self.as_root = os.geteuid() == 0
        self.folder = Path(tempfile.mkdtemp(prefix="pgtest-"))
        self.data = self.folder / "data"
        self.log = self.folder / "server.log"
        self.port = _free_port()
        # A fresh random password each run; the tests register it with the secrets scanner.
        self.password = "pw-" + uuid.uuid4().hex
        self.running = False
        if self.as_root:
            shutil.chown(self.folder, "postgres", "postgres")
        pwfile = self.folder / "pwfile"
        pwfile.write_text(self.password + "\n")
        if self.as_root:
            shutil.chown(pwfile, "postgres", "postgres")
        pwfile.chmod(0o600)
        self._run(
            "initdb",
            "-D",
            str(self.data),
            "-U",
            ROLE,
            f"--pwfile={pwfile}",
            "--auth-host=scram-sha-256",
            "--auth-local=trust",
            "--encoding=UTF8",
            "--locale=C.UTF-8",
            "--no-sync",
        )
        pwfile.unlink()

    def _run(self, program: str, *args: str) -> None:
        command = [str(self.bindir / program), *args]
        if self.as_root:
            command = ["runuser", "-u", "postgres", "--", *command]
        result = subprocess.run(command, capture_output=True, text=True, timeout=120, check=False)
        if result.returncode != 0:
            raise RuntimeError(f"{program} failed ({result.returncode}): {result.stdout}{result.stderr}")

    def start(self) -> None:
        options = " ".join(
            [
                "-c listen_addresses=127.0.0.1",
                f"-c port={self.port}",
                f"-c unix_socket_directories={self.folder}",
                "-c max_connections=200",
                *([] if self.durable else ["-c fsync=off", "-c full_page_writes=off"]),  # tests: speed first
            ]
        )
        self._run("pg_ctl", "-D", str(self.data), "-l", str(self.log), "-o", options, "-w", "-t", "60", "start")
        self.running = True

    def stop(self) -> None:
        if self.running:
            self._run("pg_ctl", "-D", str(self.data), "-m", "fast", "-w", "-t", "60", "stop")
            self.running = False

    def url(self, dbname: str = "postgres") -> str:
        return f"postgresql://{ROLE}:{self.password}@127.0.0.1:{self.port}/{dbname}"

    def remove(self) -> None:
        self.stop()
        shutil.rmtree(self.folder, ignore_errors=True)
