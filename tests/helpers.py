"""Helpers shared by the test modules: running the real CLI as a user would."""

from __future__ import annotations

import contextlib
import io
import logging
import os
import subprocess
import sys
import traceback
from collections.abc import Sequence
from pathlib import Path

import pytest

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


def run_main(
    *args: str, monkeypatch: pytest.MonkeyPatch, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    """What `run_cli(*args, env=env)` returns, from `bot.commands.main(args)` called in this process: the same
    exit status, stdout and stderr (a traceback in stderr, status 1, if it raises), with the same secrets checks.

    For the tests that run one command on many inputs (tests/test_bad_input.py: 64 schedules x 4 commands and
    12 .env files x 3): a Python start-up with the bot's imports costs 0.1-0.3 s of processor time, the command
    on a bad file a few ms. Every command those tests run in-process is also run as a real subprocess by some
    test (run_cli).
    Relative paths are taken from ROOT, as run_cli's: when pytest runs from another folder (tests never chdir),
    the command runs as a subprocess after all. The environment is set through `monkeypatch` as run_cli sets the
    child's (no credentials but `env`'s). Not thread-safe (stdout and stderr are redirected for the call): one
    call at a time. The `bot` and `apscheduler` loggers, which `run` points at its stderr, are put back as they
    were."""
    if Path.cwd() != ROOT:
        return run_cli(*args, env=env)
    for name in [name for name in os.environ if name.startswith(secretscan.CREDENTIAL_PREFIXES)]:
        monkeypatch.delenv(name)
    for name, value in (env or {}).items():
        monkeypatch.setenv(name, value)
    secretscan.register_env(env)
    secretscan.register_env_file(env_file_of(args, ROOT))
    from bot.commands import main

    loggers = [logging.getLogger(name) for name in ("bot", "apscheduler")]
    saved = [(logger.handlers[:], logger.level, logger.propagate) for logger in loggers]
    out, err = io.StringIO(), io.StringIO()
    try:
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            try:
                code = main(list(args))
            except SystemExit as exit_:  # argparse's usage errors
                code = exit_.code if isinstance(exit_.code, int) else 1
            except Exception:  # what the interpreter would print, and its exit status
                traceback.print_exc()
                code = 1
    finally:
        for logger, (handlers, level, propagate) in zip(loggers, saved, strict=True):
            logger.handlers[:] = handlers
            logger.setLevel(level)
            logger.propagate = propagate
    result = subprocess.CompletedProcess(["main.py", *args], code, out.getvalue(), err.getvalue())
    command = secretscan.redact("main.py " + " ".join(args))
    secretscan.assert_clean_text(result.stdout, f"the stdout of `{command}` (in-process)")
    secretscan.assert_clean_text(result.stderr, f"the stderr of `{command}` (in-process)")
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
