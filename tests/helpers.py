"""Helpers shared by the test modules: running the real CLI as a user would."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Sequence
from pathlib import Path

from tests import secretscan

ROOT = Path(__file__).resolve().parent.parent
DATA = ROOT / "tests" / "data"


def env_file_of(args: Sequence[str], cwd: Path) -> Path:
    """The .env file a command reads: --env-file PATH (relative to cwd), else .env in cwd."""
    for position, arg in enumerate(args):
        if arg == "--env-file" and position + 1 < len(args):
            return cwd / args[position + 1]
        if arg.startswith("--env-file="):
            return cwd / arg.split("=", 1)[1]
    return cwd / ".env"


def run_cli(
    *args: str, cwd: Path = ROOT, env: dict[str, str] | None = None, timeout: float = 60
) -> subprocess.CompletedProcess[str]:
    """`python main.py ARGS` in a subprocess, with no credentials from the developer's environment.

    Every credential value passed in `env` or held by the .env file the command reads is registered as a
    secret, and the command's stdout and stderr are scanned for all registered secrets (tests/secretscan.py):
    a leak raises SecretLeak.
    """
    clean = {k: v for k, v in os.environ.items() if not k.startswith(secretscan.CREDENTIAL_PREFIXES)}
    clean.update(env or {})
    secretscan.register_env(env)
    secretscan.register_env_file(env_file_of(args, Path(cwd)))
    result = subprocess.run(
        [sys.executable, str(ROOT / "main.py"), *args],
        cwd=cwd,
        env=clean,
        capture_output=True,
        text=True,
        timeout=timeout,
    )
    command = secretscan.redact("main.py " + " ".join(args))
    secretscan.assert_clean_text(result.stdout, f"the stdout of `{command}`")
    secretscan.assert_clean_text(result.stderr, f"the stderr of `{command}`")
    return result


def text_only_campaign(folder: Path) -> Path:
    """The committed campaign without its `media:` list (a text-only campaign), written into `folder`."""
    import re
    import shutil

    text = (ROOT / "schedule.yaml").read_text(encoding="utf-8")
    without = re.sub(r"\n    media:.*?(?=\n    #|\n  - |\Z)", "", text, flags=re.DOTALL)
    assert "media" not in without.split("posts:")[1], "the committed schedule's media list moved: update this helper"
    shutil.copytree(ROOT / "messages", folder / "messages", dirs_exist_ok=True)
    path = folder / "schedule.yaml"
    path.write_text(without, encoding="utf-8")
    return path
