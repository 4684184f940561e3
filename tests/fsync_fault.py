"""Run a command of main.py with a failing fsync: `python tests/fsync_fault.py TRIGGER main.py ARGS...`.

Once the file TRIGGER exists, every os.fsync fails with EIO, as Linux reports a lost write-back. Installed
before the bot is imported, so the group commit of the SQLite outbox (bot/store/sqlite_sync.py) gets it as
the file-descriptor sync function it is given by default; nothing of the bot itself is replaced.
"""

from __future__ import annotations

import errno
import os
import runpy
import sys
from pathlib import Path
from typing import Any

_real_fsync = os.fsync


def _failing_fsync(fd: Any) -> None:
    if TRIGGER.exists():
        raise OSError(errno.EIO, os.strerror(errno.EIO))
    _real_fsync(fd)


if __name__ == "__main__":
    TRIGGER = Path(sys.argv[1])
    sys.argv = sys.argv[2:]
    sys.path.insert(0, str(Path(sys.argv[0]).resolve().parent))
    os.fsync = _failing_fsync
    runpy.run_path(sys.argv[0], run_name="__main__")
