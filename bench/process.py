"""The daemon (`python main.py run`) as a child process: its log lines with arrival times, CPU and memory.

CPU comes from /proc/PID/stat (utime + stime of all its threads, in clock ticks); memory from
/proc/PID/status (VmHWM: the peak resident set so far, and VmRSS: now). Linux only.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any, cast

from bench.world import CONNECTION_VARIABLES, ROOT

READY = "daemon started"  # logged by bot/services/daemon.py once every post has its timer
TICKS = os.sysconf("SC_CLK_TCK")


def child_env() -> dict[str, str]:
    """The inherited environment without connection settings (real variables would win over .env), and with
    bytecode caches allowed (see bench/spawn.py)."""
    dropped = (*CONNECTION_VARIABLES, "PYTHONDONTWRITEBYTECODE")
    return {k: v for k, v in os.environ.items() if k not in dropped}


class Daemon:
    """`main.py run` in `folder`, with its merged stdout/stderr read line by line on a thread."""

    def __init__(self, folder: Path, *extra: str) -> None:
        self.lines: list[tuple[float, str]] = []  # (time.monotonic() when read, line)
        self._changed = threading.Condition()
        self.started = time.monotonic()
        self.process = subprocess.Popen(
            [sys.executable, str(ROOT / "main.py"), "run", "--schedule", "schedule.yaml", "--state-dir", "state",
             "--env-file", ".env", "--preflight", "0", *extra],  # its start-up requests would count
            cwd=folder, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, env=child_env(),
        )  # fmt: skip
        self._reader = threading.Thread(target=self._read, name="daemon-log", daemon=True)
        self._reader.start()

    def _read(self) -> None:
        assert self.process.stdout is not None
        for raw in self.process.stdout:
            with self._changed:
                self.lines.append((time.monotonic(), raw.decode("utf-8", "replace").rstrip("\n")))
                self._changed.notify_all()
        with self._changed:
            self._changed.notify_all()

    def wait_for(self, text: str, timeout: float) -> float:
        """The monotonic time the first line containing `text` was read; raises after `timeout` seconds."""
        deadline = time.monotonic() + timeout
        with self._changed:
            while True:
                for moment, line in self.lines:
                    if text in line:
                        return moment
                remaining = deadline - time.monotonic()
                if remaining <= 0 or (self.process.poll() is not None and not self._reader.is_alive()):
                    raise RuntimeError(f"the daemon did not log {text!r} within {timeout}s:\n{self.log()}")
                self._changed.wait(min(remaining, 0.05))

    def log(self) -> str:
        with self._changed:
            return "\n".join(line for _, line in self.lines)

    def cpu_seconds(self) -> float:
        fields = Path(f"/proc/{self.process.pid}/stat").read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / TICKS  # utime and stime: fields 14 and 15 of stat

    def memory_mb(self, field: str = "VmHWM") -> float:
        for line in Path(f"/proc/{self.process.pid}/status").read_text().splitlines():
            if line.startswith(field + ":"):
                return int(line.split()[1]) / 1024
        raise RuntimeError(f"{field} not in /proc/{self.process.pid}/status")

    def finish(self, timeout: float) -> int:
        """Wait for the daemon to exit by itself (--exit-when-done); kill it after `timeout` seconds."""
        try:
            code = self.process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
            raise RuntimeError(f"the daemon did not finish within {timeout}s:\n{self.log()}") from None
        self._reader.join(timeout=5)
        return code

    def __enter__(self) -> Daemon:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.kill()

    def kill(self) -> None:
        """SIGKILL if still running (a benchmark that failed half-way leaves no daemon behind)."""
        if self.process.poll() is None:
            self.process.kill()
            self.process.wait()

    def stop(self) -> int:
        """SIGTERM, as systemd stops it; kill after 10 seconds."""
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
        return self.finish(10)


def preview_json(folder: Path) -> dict[str, Any]:
    """`python main.py preview --format json` of the campaign in `folder`."""
    result = subprocess.run(
        [sys.executable, str(ROOT / "main.py"), "preview", "--format", "json"],
        cwd=folder,
        capture_output=True,
        text=True,
        check=True,
        env=child_env(),
    )
    return cast("dict[str, Any]", json.loads(result.stdout))
