"""Helpers shared by the test modules: running the real CLI as a user would."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DATA = ROOT / "tests" / "data"


def run_cli(*args: str, cwd: Path = ROOT, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    """`python main.py ARGS` in a subprocess, with no credentials from the developer's environment."""
    clean = {k: v for k, v in os.environ.items() if not k.startswith(("CANCILLERIA_", "EMBAJADA_"))}
    clean.update(env or {})
    return subprocess.run(
        [sys.executable, str(ROOT / "main.py"), *args],
        cwd=cwd,
        env=clean,
        capture_output=True,
        text=True,
        timeout=60,
    )
