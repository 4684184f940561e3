"""The end-to-end harness: a campaign folder, the daemon as a real subprocess, the fake X and Graph APIs.

Each test builds a folder with its own schedule.yaml, messages/ and .env (credentials of the fake accounts,
X_API_BASE_URL and FACEBOOK_GRAPH_URL pointing at the fake server), runs `python main.py run` there and checks
what the server holds and what `python main.py status` says. Every command goes through `run_cli` and every
log is read through `Campaign.log`, both of which fail on a leaked secret (tests/secretscan.py); the autouse
fixture of tests/conftest.py also scans the whole folder, outbox database included, after each test.

Fixtures: `from tests.e2e import api_fixture, campaign_fixture  # noqa: F401`, then take `api`, `campaign`.
"""

from __future__ import annotations

import itertools
import json
import os
import subprocess
import sys
import time
import unicodedata
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from bot.services.campaign import load_campaign
from tests import secretscan
from tests.fakeapi import CreatedPost, FacebookPage, FakeAPI, XUser
from tests.helpers import ROOT, run_cli

MESSAGE = ROOT / "messages" / "mensaje-canciller-fiestas-patrias.txt"
PYTHON = sys.executable


def at_text(moment: datetime) -> str:
    """A schedule time with seconds and an explicit offset."""
    return moment.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S+00:00")


def wait_for(condition: Callable[[], bool], timeout: float, what: str, interval: float = 0.02) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(interval)
    raise AssertionError(f"timed out after {timeout}s waiting for {what}")


def finish(process: subprocess.Popen[bytes], timeout: float = 60) -> int:
    """The exit status of a daemon run; `timeout` only bounds a hung run (generous: a loaded machine)."""
    try:
        return process.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()
        raise


class Campaign:
    """A working folder for the daemon, the fake accounts in it, and helpers to run the commands."""

    def __init__(self, folder: Path, api: FakeAPI, timeout: float = 1.0, settle: float = 2.0) -> None:
        self.folder = folder
        self.api = api
        folder.mkdir(parents=True, exist_ok=True)
        (folder / "messages").mkdir(exist_ok=True)
        (folder / "messages" / "mensaje.txt").write_text(MESSAGE.read_text(encoding="utf-8"), encoding="utf-8")
        self.x_user: XUser
        self.page: FacebookPage
        self.x_user, x_env = api.add_x_user("CancilleriaPeru", "Cancillería del Perú", "CX")
        self.page, fb_env = api.add_page("104", "Cancillería del Perú", "CF")
        self.secrets = {**x_env, **fb_env}
        settings = {
            "X_API_BASE_URL": api.url,
            "FACEBOOK_GRAPH_URL": api.url,
            "HTTP_TIMEOUT_SECONDS": str(timeout),
            "SETTLE_SECONDS": str(settle),  # issue 18: a short settling window keeps the suite fast
        }
        lines = [f"{name}={value}" for name, value in {**self.secrets, **settings}.items()]
        (folder / ".env").write_text("\n".join(lines) + "\n", encoding="utf-8")
        secretscan.register_env_file(folder / ".env")
        self.runs = 0

    def message(self, name: str, text: str) -> str:
        (self.folder / "messages" / name).write_text(text, encoding="utf-8")
        return f"messages/{name}"

    def schedule(self, posts: list[dict[str, Any]], extra: str = "", x_options: str = "") -> None:
        lines = [
            "timezone: America/Lima",
            "accounts:",
            f"  cx: {{platform: x, handle: CancilleriaPeru, credentials: CX{x_options}}}",
            '  cf: {platform: facebook, page_id: "104", credentials: CF}',
            "posts:",
        ]
        for post in posts:
            lines.append(f"  - id: {post['id']}")
            lines.append(f"    message: {post.get('message', 'messages/mensaje.txt')}")
            lines.append(f"    at: {at_text(post['at'])}")
            lines.append(f"    to: [{', '.join(post.get('to', ['cx', 'cf']))}]")
            if "every" in post:
                lines.append(f"    every: {post['every']}")
            if "media" in post:  # [(file, alt), ...], files relative to the campaign folder
                lines.append("    media:")
                lines += [f"      - {{file: {file}, alt: {json.dumps(alt)}}}" for file, alt in post["media"]]
        (self.folder / "schedule.yaml").write_text("\n".join(lines) + "\n" + extra, encoding="utf-8")

    def start(self, *extra: str, env_extra: dict[str, str] | None = None) -> subprocess.Popen[bytes]:
        """`run` in the folder. Pre-flight is off unless asked for (`--preflight 1h`): its `whoami` requests at
        start would take the faults the tests inject for the posts (tests/test_alerts_daemon.py tests it)."""
        if "--preflight" not in extra:
            extra = (*extra, "--preflight", "0")
        self.runs += 1
        log = open(self.folder / f"run-{self.runs}.log", "wb")  # noqa: SIM115 - closed with the process
        env = {k: v for k, v in os.environ.items() if not k.startswith(("CX_", "CF_"))} | (env_extra or {})
        process = subprocess.Popen(
            [PYTHON, str(ROOT / "main.py"), "run", "--schedule", "schedule.yaml", "--state-dir", "state",
             "--env-file", ".env", *extra],
            cwd=self.folder, stdout=log, stderr=subprocess.STDOUT, env=env,
        )  # fmt: skip
        log.close()
        return process

    def log(self, run: int | None = None) -> str:
        """The output of a daemon run (default: the last one); fails if it holds a secret."""
        path = self.folder / f"run-{run or self.runs}.log"
        text = path.read_text(encoding="utf-8", errors="replace")
        secretscan.assert_clean_text(text, str(path))
        return text

    def logs(self) -> str:
        return "".join(self.log(run) for run in range(1, self.runs + 1))

    def command(self, *args: str) -> subprocess.CompletedProcess[str]:
        """`python main.py ARGS` in the folder, through run_cli (its output is scanned for secrets)."""
        return run_cli(*args, cwd=self.folder, timeout=30)

    def status(self) -> dict[str, Any]:
        result = self.command("status", "--state-dir", "state", "--format", "json")
        assert result.returncode == 0, result.stderr
        data: dict[str, Any] = json.loads(result.stdout)
        return data

    def status_text(self) -> str:
        result = self.command("status", "--state-dir", "state")
        assert result.returncode == 0, result.stderr
        return result.stdout

    def post_status(self, post_id: str, account: str) -> dict[str, Any]:
        found: list[dict[str, Any]] = [
            p for p in self.status()["posts"] if p["id"] == post_id and p["account"] == account
        ]
        assert len(found) == 1, found
        return found[0]

    def account_status(self, account: str) -> dict[str, Any]:
        (found,) = [a for a in self.status()["accounts"] if a["name"] == account]
        return dict(found)

    def fragments(self, post_id: str, account: str) -> list[str]:
        """The texts the current files plan for a post, NFC as the server stores them."""
        _, plan, problems = load_campaign(self.folder / "schedule.yaml", datetime.now(UTC))
        assert plan is not None, problems
        (post,) = [p for p in plan.posts if p.key == (post_id, account)]
        return [unicodedata.normalize("NFC", f.text) for f in post.fragments]

    def x_posts(self) -> list[CreatedPost]:
        return self.api.posts("x", self.x_user.user_id)

    def x_texts(self) -> list[str]:
        return [p.text for p in self.x_posts()]

    def page_texts(self) -> list[str]:
        return [p.text for p in self.api.posts("facebook", self.page.page_id)]

    def assert_thread(self, texts: list[str]) -> None:
        """Exactly these posts on X, each once, in order, each a reply to the previous one."""
        posts = self.x_posts()
        assert [p.text for p in posts] == texts
        assert posts[0].reply_to is None
        for previous, post in itertools.pairwise(posts):
            assert post.reply_to == previous.id

    def assert_no_secrets(self) -> None:
        """No secret in any file of the folder: logs, outbox database and WAL, anything but .env."""
        secretscan.assert_clean_tree(self.folder)


@pytest.fixture(name="api")
def api_fixture() -> Iterator[FakeAPI]:
    api = FakeAPI().start()
    try:
        yield api
    finally:
        api.stop()


@pytest.fixture(name="campaign")
def campaign_fixture(tmp_path: Path, api: FakeAPI) -> Campaign:
    return Campaign(tmp_path / "campaign", api)
