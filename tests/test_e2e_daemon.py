"""End to end: `python main.py run` as a real subprocess against the fake X and Graph APIs (tests/fakeapi.py).

Each test builds a folder with its own schedule.yaml, messages/ and .env (credentials of the fake accounts,
X_API_BASE_URL and FACEBOOK_GRAPH_URL pointing at the fake server), runs the daemon there and checks what the
server holds: every fragment exactly once, in order, each reply to the previous one.
"""

from __future__ import annotations

import itertools
import json
import os
import random
import signal
import subprocess
import sys
import time
import unicodedata
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from bot.campaign import load_campaign
from tests.fakeapi import FacebookPage, FakeAPI, XUser

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parents[1]
MESSAGE = ROOT / "messages" / "mensaje-canciller-fiestas-patrias.txt"
PYTHON = sys.executable
LIMA_OFFSET = "-05:00"


def _at(moment: datetime) -> str:
    """A schedule time with seconds and an explicit offset."""
    return moment.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S+00:00")


def wait_for(condition: Callable[[], bool], timeout: float, what: str, interval: float = 0.02) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(interval)
    raise AssertionError(f"timed out after {timeout}s waiting for {what}")


class Campaign:
    """A working folder for the daemon, the fake accounts in it, and helpers to run the commands."""

    def __init__(self, folder: Path, api: FakeAPI) -> None:
        self.folder = folder
        self.api = api
        folder.mkdir(parents=True, exist_ok=True)
        (folder / "messages").mkdir(exist_ok=True)
        (folder / "messages" / "mensaje.txt").write_text(MESSAGE.read_text(encoding="utf-8"), encoding="utf-8")
        self.x_user: XUser
        self.page: FacebookPage
        self.x_user, x_env = api.add_x_user("CancilleriaPeru", "Cancillería del Perú", "CX")
        self.page, fb_env = api.add_page("104", "Cancillería del Perú", "CF")
        settings = {"X_API_BASE_URL": api.url, "FACEBOOK_GRAPH_URL": api.url, "HTTP_TIMEOUT_SECONDS": "1"}
        lines = [f"{name}={value}" for name, value in {**x_env, **fb_env, **settings}.items()]
        (folder / ".env").write_text("\n".join(lines) + "\n", encoding="utf-8")
        self.runs = 0

    def message(self, name: str, text: str) -> str:
        (self.folder / "messages" / name).write_text(text, encoding="utf-8")
        return f"messages/{name}"

    def schedule(self, posts: list[dict[str, Any]], extra: str = "") -> None:
        lines = [
            "timezone: America/Lima",
            "accounts:",
            "  cx: {platform: x, handle: CancilleriaPeru, credentials: CX}",
            '  cf: {platform: facebook, page_id: "104", credentials: CF}',
            "posts:",
        ]
        for post in posts:
            lines.append(f"  - id: {post['id']}")
            lines.append(f"    message: {post.get('message', 'messages/mensaje.txt')}")
            lines.append(f"    at: {_at(post['at'])}")
            lines.append(f"    to: [{', '.join(post.get('to', ['cx', 'cf']))}]")
            if "every" in post:
                lines.append(f"    every: {post['every']}")
        (self.folder / "schedule.yaml").write_text("\n".join(lines) + "\n" + extra, encoding="utf-8")

    def start(self, *extra: str) -> subprocess.Popen[bytes]:
        self.runs += 1
        log = open(self.folder / f"run-{self.runs}.log", "wb")  # noqa: SIM115 - closed with the process
        env = {k: v for k, v in os.environ.items() if not k.startswith(("CX_", "CF_"))}
        process = subprocess.Popen(
            [PYTHON, str(ROOT / "main.py"), "run", "--schedule", "schedule.yaml", "--state-dir", "state",
             "--env-file", ".env", *extra],
            cwd=self.folder, stdout=log, stderr=subprocess.STDOUT, env=env,
        )  # fmt: skip
        log.close()
        return process

    def log(self, run: int | None = None) -> str:
        return (self.folder / f"run-{run or self.runs}.log").read_text(encoding="utf-8", errors="replace")

    def command(self, *args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [PYTHON, str(ROOT / "main.py"), *args],
            cwd=self.folder,
            capture_output=True,
            text=True,
            timeout=30,
        )

    def status(self) -> dict[str, Any]:
        result = self.command("status", "--state-dir", "state", "--format", "json")
        assert result.returncode == 0, result.stderr
        data: dict[str, Any] = json.loads(result.stdout)
        return data

    def post_status(self, post_id: str, account: str) -> dict[str, Any]:
        found: list[dict[str, Any]] = [
            p for p in self.status()["posts"] if p["id"] == post_id and p["account"] == account
        ]
        assert len(found) == 1, found
        return found[0]

    def fragments(self, post_id: str, account: str) -> list[str]:
        """The texts the current files plan for a post, NFC as the server stores them."""
        _, plan, problems = load_campaign(self.folder / "schedule.yaml", datetime.now(UTC))
        assert plan is not None, problems
        (post,) = [p for p in plan.posts if p.key == (post_id, account)]
        return [unicodedata.normalize("NFC", f.text) for f in post.fragments]

    def x_texts(self) -> list[str]:
        return [p.text for p in self.api.posts("x", self.x_user.user_id)]

    def assert_thread(self, texts: list[str]) -> None:
        """Exactly these posts on X, each once, in order, each a reply to the previous one."""
        posts = self.api.posts("x", self.x_user.user_id)
        assert [p.text for p in posts] == texts
        assert posts[0].reply_to is None
        for previous, post in itertools.pairwise(posts):
            assert post.reply_to == previous.id


def finish(process: subprocess.Popen[bytes], timeout: float = 30) -> int:
    try:
        return process.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()
        raise


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


def test_thread_and_page_post_go_out_at_the_scheduled_time(campaign: Campaign) -> None:
    at = (datetime.now(UTC) + timedelta(seconds=4)).replace(microsecond=0)
    campaign.schedule([{"id": "mensaje", "at": at}])
    expected = campaign.fragments("mensaje", "cx")
    assert len(expected) >= 10 and len(MESSAGE.read_text(encoding="utf-8")) > 3000

    assert finish(campaign.start("--exit-when-done")) == 0, campaign.log()

    campaign.assert_thread(expected)
    (page_post,) = campaign.api.posts("facebook", "104")
    assert page_post.text == campaign.fragments("mensaje", "cf")[0]
    first_x = campaign.api.posts("x")[0]
    for first in (first_x, page_post):
        assert at <= first.created_at <= at + timedelta(seconds=1), (first.created_at, at)
    x_status = campaign.post_status("mensaje", "cx")
    assert x_status["state"] == "sent" and x_status["sent"] == len(expected)
    assert x_status["urls"][0] == f"https://x.com/CancilleriaPeru/status/{first_x.id}"


def _kill_trial(folder: Path, rng: random.Random, at_start: bool = False) -> str:
    """One seeded trial: up to two SIGKILLs at chosen points of the thread, then a run to the end."""
    api = FakeAPI().start()
    try:
        campaign = Campaign(folder, api)
        campaign.schedule([{"id": "mensaje", "at": datetime.now(UTC) - timedelta(seconds=1)}])
        expected = campaign.fragments("mensaje", "cx")
        described: list[str] = []
        for _ in range(rng.choice((1, 2))):
            count = len(campaign.x_texts())
            kill_after = rng.randint(count, len(expected))
            delay = rng.choice((0.0, 0.0, 0.002, 0.01, 0.05, 0.4))
            if at_start and not described:  # before any request: while starting up and scheduling
                kill_after, delay = 0, rng.uniform(0.2, 0.8)
            fault = rng.choice(("commit_then_drop", "commit_then_slow", None))
            fault_at = rng.randint(count, max(count, len(expected) - 1))
            process = campaign.start("--exit-when-done")
            injected = fault is None
            while process.poll() is None and len(campaign.x_texts()) < kill_after:
                if not injected and len(campaign.x_texts()) >= fault_at:
                    api.commit_then_drop("x") if fault == "commit_then_drop" else api.commit_then_slow("x", 2.0)
                    injected = True
                time.sleep(0.001)
            time.sleep(delay)
            process.send_signal(signal.SIGKILL)
            process.wait()
            described.append(f"kill after {kill_after} posts +{delay}s, {fault} at {fault_at}")
        assert finish(campaign.start("--exit-when-done")) == 0, campaign.log()
        campaign.assert_thread(expected)
        assert [p.text for p in api.posts("facebook")] == campaign.fragments("mensaje", "cf")
        return "; ".join(described)
    finally:
        api.stop()


def test_sigkill_at_many_points_never_duplicates_or_breaks_the_thread(tmp_path: Path) -> None:
    rng = random.Random(20270728)
    trials = [_kill_trial(tmp_path / f"trial-{n}", rng, at_start=n < 2) for n in range(12)]
    print(f"{len(trials)} kill trials:", *trials, sep="\n  ")
    assert len(trials) == 12


def test_rate_limit_resumes_the_thread_after_the_reset_not_before(campaign: Campaign) -> None:
    campaign.schedule([{"id": "mensaje", "at": datetime.now(UTC), "to": ["cx"]}])
    expected = campaign.fragments("mensaje", "cx")
    process = campaign.start("--exit-when-done")
    wait_for(lambda: len(campaign.x_texts()) >= 3, 15, "the first posts of the thread")
    reset = int(time.time()) + 3
    campaign.api.x_rate_limited(reset)
    before = len(campaign.x_texts())
    assert finish(process) == 0, campaign.log()

    campaign.assert_thread(expected)
    posts = campaign.api.posts("x")
    reset_at = datetime.fromtimestamp(reset, UTC)
    early = [p for p in posts if p.created_at < reset_at]
    assert before <= len(early) <= before + 1  # at most the request already in flight when it was injected
    assert len(early) < len(posts)
    assert posts[len(early)].created_at <= reset_at + timedelta(seconds=1.5)
    tweets = [r for r in campaign.api.requests("x") if r.method == "POST"]
    assert len(tweets) == len(posts)  # every request that got through created its post (the 429 is not recorded)
    assert "retrying at" in campaign.log()


def test_an_expired_page_token_holds_that_account_and_the_other_goes_out(campaign: Campaign) -> None:
    now = datetime.now(UTC)
    notice = campaign.message("aviso.txt", "Aviso consular: horario especial por Fiestas Patrias.")
    campaign.schedule(
        [
            {"id": "mensaje", "at": now + timedelta(seconds=2)},
            {"id": "aviso", "message": notice, "at": now + timedelta(seconds=4), "to": ["cf"]},
        ]
    )
    campaign.api.graph_token_expired()
    assert finish(campaign.start("--exit-when-done")) == 0, campaign.log()

    campaign.assert_thread(campaign.fragments("mensaje", "cx"))
    assert campaign.api.posts("facebook") == []
    status = campaign.status()
    (page,) = [a for a in status["accounts"] if a["name"] == "cf"]
    assert "CF_PAGE_TOKEN" in page["hold"]
    for post_id in ("mensaje", "aviso"):
        row = campaign.post_status(post_id, "cf")
        assert row["state"] == "held" and "CF_PAGE_TOKEN" in row["detail"], row
    assert campaign.post_status("mensaje", "cx")["state"] == "sent"
    assert "ERROR bot.daemon: post aviso account cf held" in campaign.log()


def test_down_past_a_post_time_catches_up_within_the_limit_and_reports_the_rest_missed(
    campaign: Campaign,
) -> None:
    now = datetime.now(UTC)
    late = campaign.message("tarde.txt", "Publicación con algunos segundos de retraso.")
    lost = campaign.message("perdido.txt", "Publicación con diez minutos de retraso.")
    campaign.schedule(
        [
            {"id": "tarde", "message": late, "at": now - timedelta(seconds=20), "to": ["cx"]},
            {"id": "perdido", "message": lost, "at": now - timedelta(minutes=10), "to": ["cx"]},
        ]
    )
    assert finish(campaign.start("--exit-when-done", "--catch-up", "1m")) == 0, campaign.log()

    assert campaign.x_texts() == campaign.fragments("tarde", "cx")
    missed = campaign.post_status("perdido", "cx")
    assert missed["state"] == "missed" and "resume perdido" in missed["action"]
    assert "ERROR bot.daemon: post perdido account cx missed" in campaign.log()

    resumed = campaign.command("resume", "perdido", "--state-dir", "state")
    assert resumed.returncode == 0, resumed.stderr
    assert finish(campaign.start("--exit-when-done", "--catch-up", "1m")) == 0, campaign.log()
    assert campaign.x_texts() == campaign.fragments("tarde", "cx") + campaign.fragments("perdido", "cx")


def test_live_edits_move_add_and_remove_posts_and_an_invalid_edit_keeps_the_plan(campaign: Campaign) -> None:
    texts = {name: campaign.message(f"{name}.txt", f"Mensaje {name}: ¡Felices Fiestas Patrias!") for name in "abcd"}
    now = datetime.now(UTC)
    original = [
        {"id": "d", "message": texts["d"], "at": now + timedelta(seconds=5), "to": ["cx"]},
        {"id": "a", "message": texts["a"], "at": now + timedelta(minutes=5), "to": ["cx"]},
        {"id": "b", "message": texts["b"], "at": now + timedelta(seconds=12), "to": ["cx"]},
    ]
    campaign.schedule(original)
    d_texts = campaign.fragments("d", "cx")
    process = campaign.start("--exit-when-done")
    try:
        wait_for(lambda: "daemon started" in campaign.log(), 10, "the daemon to start")
        campaign.schedule([*original[:2], {**original[2], "to": ["nadie"]}])  # an unknown account: invalid
        wait_for(lambda: "previous plan keeps running" in campaign.log(), 5, "the invalid edit to be reported")
        assert "error: post 'b': unknown account 'nadie'" in campaign.log()
        wait_for(lambda: campaign.x_texts() == d_texts, 10, "post d (old plan) to go out")

        moved = datetime.now(UTC) + timedelta(seconds=2)
        campaign.schedule(
            [
                original[0],
                {**original[1], "at": moved},
                {"id": "c", "message": texts["c"], "at": moved + timedelta(seconds=1), "to": ["cx"]},
            ]
        )
        assert finish(process) == 0, campaign.log()
    finally:
        if process.poll() is None:
            process.kill()

    expected = [
        *campaign.fragments("d", "cx"),
        *campaign.fragments("a", "cx"),
        *campaign.fragments("c", "cx"),
    ]
    assert campaign.x_texts() == expected  # b was removed: never sent
    posts = campaign.api.posts("x")
    assert posts[1].created_at >= moved.replace(microsecond=0)
    assert "post b account cx removed from the schedule" in campaign.log()


def _short_thread(campaign: Campaign) -> str:
    paragraphs = MESSAGE.read_text(encoding="utf-8").split("\n\n")
    text = ""
    for paragraph in paragraphs:
        if len(text) > 1000:
            break
        text += paragraph + "\n\n"
    return campaign.message("hilo.txt", text)


def test_message_edited_mid_thread_is_a_conflict_until_resume_accept_edit(campaign: Campaign) -> None:
    message = _short_thread(campaign)
    campaign.schedule([{"id": "hilo", "message": message, "at": datetime.now(UTC), "to": ["cx"], "every": "1s"}])
    old = campaign.fragments("hilo", "cx")
    assert len(old) >= 4
    process = campaign.start()
    try:
        wait_for(lambda: len(campaign.x_texts()) >= 2, 15, "two fragments of the thread")
        path = campaign.folder / message
        path.write_text(path.read_text(encoding="utf-8").rstrip() + " ¡Viva el Perú!\n", encoding="utf-8")
        new = campaign.fragments("hilo", "cx")
        wait_for(lambda: campaign.post_status("hilo", "cx")["state"] == "conflict", 10, "the conflict", 0.2)
        sent_before = len(campaign.x_texts())
        assert sent_before < len(old)
        assert "--accept-edit" in campaign.post_status("hilo", "cx")["action"]
        time.sleep(1.5)
        assert len(campaign.x_texts()) == sent_before  # nothing goes on with the different text

        resumed = campaign.command("resume", "hilo", "--accept-edit", "--state-dir", "state")
        assert resumed.returncode == 0, resumed.stderr
        wait_for(lambda: len(campaign.x_texts()) == len(new), 20, "the rest of the thread")
        process.send_signal(signal.SIGTERM)
        assert finish(process) == 0
    finally:
        if process.poll() is None:
            process.kill()
    campaign.assert_thread(old[:sent_before] + new[sent_before:])
    assert "ERROR bot.daemon: post hilo account cx conflict" in campaign.log()


def test_a_second_daemon_on_the_same_state_folder_refuses_to_start(campaign: Campaign) -> None:
    campaign.schedule([{"id": "mensaje", "at": datetime.now(UTC) + timedelta(hours=1)}])
    first = campaign.start()
    try:
        wait_for(lambda: "daemon started" in campaign.log(), 10, "the first daemon to start")
        second = campaign.start()
        assert finish(second) == 1
        assert "already running on the state folder" in campaign.log()
        assert first.poll() is None
        first.send_signal(signal.SIGTERM)
        assert finish(first) == 0
    finally:
        if first.poll() is None:
            first.kill()
    assert campaign.api.posts() == []


def test_sigterm_between_fragments_exits_0_and_a_restart_finishes_without_duplicates(
    campaign: Campaign,
) -> None:
    message = _short_thread(campaign)
    campaign.schedule([{"id": "hilo", "message": message, "at": datetime.now(UTC), "to": ["cx"], "every": "1s"}])
    expected = campaign.fragments("hilo", "cx")
    process = campaign.start("--exit-when-done")
    wait_for(lambda: len(campaign.x_texts()) >= 2, 15, "two fragments of the thread")
    process.send_signal(signal.SIGTERM)
    assert finish(process, timeout=5) == 0, campaign.log()
    stopped_at = len(campaign.x_texts())
    assert stopped_at < len(expected)
    assert "SIGTERM received" in campaign.log()

    assert finish(campaign.start("--exit-when-done")) == 0, campaign.log()
    campaign.assert_thread(expected)


def test_dry_run_prints_through_the_same_daemon_with_its_own_outbox_and_no_credentials(
    campaign: Campaign,
) -> None:
    (campaign.folder / ".env").write_text("", encoding="utf-8")  # a dry run needs no credentials
    campaign.schedule([{"id": "mensaje", "at": datetime.now(UTC) + timedelta(seconds=1)}])
    assert finish(campaign.start("--exit-when-done", "--dry-run")) == 0, campaign.log()

    output = campaign.log()
    for text in campaign.fragments("mensaje", "cx"):
        assert text in unicodedata.normalize("NFC", output)
    assert campaign.api.posts() == [] and campaign.api.requests() == []
    assert (campaign.folder / "state" / "dry-run" / "outbox.sqlite3").exists()
    assert not (campaign.folder / "state" / "outbox.sqlite3").exists()


def test_missing_credentials_exit_2_naming_the_variable(campaign: Campaign) -> None:
    env = campaign.folder / ".env"
    env.write_text(
        "".join(line + "\n" for line in env.read_text(encoding="utf-8").splitlines() if "CF_PAGE" not in line),
        encoding="utf-8",
    )
    campaign.schedule([{"id": "mensaje", "at": datetime.now(UTC) + timedelta(hours=1)}])
    assert finish(campaign.start()) == 2
    assert "CF_PAGE_TOKEN" in campaign.log()
