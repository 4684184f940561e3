"""The state folder's lock: one daemon per folder, held for the life of the process (POSIX fcntl.flock)."""

from __future__ import annotations

import fcntl
import os
from pathlib import Path
from typing import IO

from bot.i18n import _

LOCK_NAME = "daemon.lock"


class StateLocked(Exception):
    """Another daemon holds the state folder."""


class StateLock:
    """An exclusive fcntl.flock on `state/daemon.lock`, held for the life of the process."""

    def __init__(self, handle: IO[str]) -> None:
        self._handle = handle

    @classmethod
    def acquire(cls, state_dir: Path) -> StateLock:
        state_dir.mkdir(mode=0o700, parents=True, exist_ok=True)
        path = state_dir / LOCK_NAME
        handle = open(path, "a+", encoding="utf-8")  # noqa: SIM115 - kept open while the lock is held
        try:
            fcntl.flock(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            handle.seek(0)
            holder = handle.read().strip() or "unknown"
            handle.close()
            raise StateLocked(
                _(
                    "another daemon (pid {holder}) is already running on the state folder {state_dir}; stop it "
                    "first, or give this one another --state-dir"
                ).format(holder=holder, state_dir=state_dir)
            ) from None
        handle.seek(0)
        handle.truncate()
        handle.write(f"{os.getpid()}\n")
        handle.flush()
        return cls(handle)

    def release(self) -> None:
        fcntl.flock(self._handle.fileno(), fcntl.LOCK_UN)
        self._handle.close()
