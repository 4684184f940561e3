"""Issue 12 end to end: the daemon as a subprocess against tests/fakeapi.py, alerts delivered by real Apprise to a
local json:// receiver (tests/alert_receivers.py), the heartbeat to a local HTTP receiver, `alerts test`'s exits.

Every alert payload received goes through the secret scan (tests/secretscan.assert_clean_alerts).
"""

from __future__ import annotations

import signal
import socket
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from tests import secretscan
from tests.alert_receivers import HttpReceiver, free_port
from tests.alert_receivers import http_receiver_fixture as http_receiver_fixture
from tests.e2e import Campaign, api_fixture, at_text, campaign_fixture, finish, wait_for  # noqa: F401

pytestmark = pytest.mark.slow

WRONG_PAGE_TOKEN = "EAAG-page-104-token-revoked-0000"  # a fake, well-formed value: Graph answers 190


def alerts(receiver: HttpReceiver) -> list[dict[str, Any]]:
    received = receiver.received()
    secretscan.assert_clean_alerts((f"#{i} {r.path}", r.body) for i, r in enumerate(received))
    return [r.json() | {"at": r.at} for r in received if r.method == "POST"]


def titled(receiver: HttpReceiver, words: str) -> list[dict[str, Any]]:
    return [a for a in alerts(receiver) if words in a["title"]]


def office_campaign(campaign: Campaign, at: datetime, env: dict[str, str], fb_token: str | None = None) -> None:
    """The accounts named as in production (cancilleria_x, cancilleria_fb), their .env, one post to both."""
    x = {name.replace("CX_", "CANCILLERIA_X_"): value for name, value in campaign.secrets.items() if "CX_" in name}
    token = fb_token or campaign.page.token
    secretscan.register(token, "CANCILLERIA_FB_PAGE_TOKEN (the test's)")
    api = campaign.api
    settings = {"X_API_BASE_URL": api.url, "FACEBOOK_GRAPH_URL": api.url, "HTTP_TIMEOUT_SECONDS": "1"}
    lines = [f"{k}={v}" for k, v in {**x, "CANCILLERIA_FB_PAGE_TOKEN": token, **settings, **env}.items()]
    (campaign.folder / ".env").write_text("\n".join(lines) + "\n", encoding="utf-8")
    secretscan.register_env_file(campaign.folder / ".env")
    (campaign.folder / "schedule.yaml").write_text(
        "timezone: America/Lima\n"
        "accounts:\n"
        "  cancilleria_x: {platform: x, handle: CancilleriaPeru, credentials: CANCILLERIA_X}\n"
        '  cancilleria_fb: {platform: facebook, page_id: "104", credentials: CANCILLERIA_FB}\n'
        "posts:\n"
        "  - id: fiestas-patrias\n"
        "    message: messages/mensaje.txt\n"
        f"    at: {at_text(at)}\n"
        "    to: [cancilleria_x, cancilleria_fb]\n",
        encoding="utf-8",
    )


@pytest.mark.long
def test_a_rejected_page_token_alerts_before_the_post_and_when_held_while_the_thread_goes_out(
    campaign: Campaign, http_receiver: HttpReceiver
) -> None:
    # 20 s ahead: the first daemon of a fresh checkout starts slowly (no bytecode cache yet, CI's cold imports).
    at = datetime.now(UTC) + timedelta(seconds=20)
    office_campaign(campaign, at, {"ALERT_URLS": f"json://127.0.0.1:{http_receiver.port}/alerts"}, WRONG_PAGE_TOKEN)
    process = campaign.start("--exit-when-done", "--preflight", "1h")
    try:
        wait_for(lambda: bool(titled(http_receiver, "Pre-flight failed")), 19, "the pre-flight failure alert")
        (preflight,) = titled(http_receiver, "Pre-flight failed")
        assert datetime.now(UTC) < at, "the pre-flight alert came after the post's time"
        assert preflight["type"] == "failure"
        assert "cancilleria_fb" in preflight["title"] and "CANCILLERIA_FB_PAGE_TOKEN" in preflight["message"]
        assert "pre-flight failed" in campaign.status_text()  # status shows it while the daemon runs
        assert finish(process, 60) == 0
    finally:
        if process.poll() is None:
            process.kill()
    wait_for(lambda: bool(titled(http_receiver, "Account cancilleria_fb held")), 10, "the held alert")
    (held,) = titled(http_receiver, "Account cancilleria_fb held")
    assert held["type"] == "failure" and "CANCILLERIA_FB_PAGE_TOKEN" in held["message"]
    assert "python main.py resume fiestas-patrias --account cancilleria_fb" in held["message"]
    campaign.assert_thread(campaign.fragments("fiestas-patrias", "cancilleria_x"))  # in full, each once
    assert campaign.page_texts() == []
    log = campaign.log()
    assert "ERROR bot.daemon: pre-flight of post fiestas-patrias account cancilleria_fb failed" in log
    assert "pre-flight of post fiestas-patrias account cancilleria_x passed" in log
    assert not titled(http_receiver, "Pre-flight OK")  # info: below the default level (warning)


def test_heartbeat_pings_every_period_and_stops_when_the_daemon_is_killed(
    campaign: Campaign, http_receiver: HttpReceiver
) -> None:
    env = {"HEARTBEAT_URL": http_receiver.url(path="/ping/check-uuid"), "HEARTBEAT_SECONDS": "2"}
    office_campaign(campaign, datetime.now(UTC) + timedelta(days=1), env)
    process = campaign.start("--preflight", "0")
    try:
        pings = http_receiver.wait_for(4, timeout=30)
        assert len(pings) >= 4, pings
    finally:
        process.send_signal(signal.SIGKILL)
        process.wait()
    killed = time.monotonic()
    assert all(p.method == "GET" and p.path == "/ping/check-uuid" for p in pings)
    # A fixed rate of 2 s: the k-th ping is not before k periods after the first (1 s of slack for the first
    # ping's own lateness); late only within a generous bound. tests/test_heartbeat.py pins the loop itself.
    since_first = [p.at - pings[0].at for p in pings]
    assert all(gap >= k * 2 - 1 for k, gap in enumerate(since_first)), since_first
    assert since_first[-1] <= (len(pings) - 1) * 2 + 10, since_first
    time.sleep(4.5)  # two periods: a live heartbeat would have pinged twice
    assert [p for p in http_receiver.received() if p.at > killed] == []


def test_a_missed_post_and_an_invalid_live_edit_alert(campaign: Campaign, http_receiver: HttpReceiver) -> None:
    office_campaign(
        campaign,
        datetime.now(UTC) - timedelta(hours=2),
        {"ALERT_URLS": f"json://127.0.0.1:{http_receiver.port}/alerts"},
    )
    schedule = campaign.folder / "schedule.yaml"
    text = schedule.read_text(encoding="utf-8").replace("[cancilleria_x, cancilleria_fb]", "[cancilleria_x]")
    later = at_text(datetime.now(UTC) + timedelta(days=1))
    text += f"  - id: later\n    message: messages/mensaje.txt\n    at: {later}\n    to: [cancilleria_fb]\n"
    schedule.write_text(text, encoding="utf-8")
    process = campaign.start("--catch-up", "1h", "--preflight", "0")
    try:
        wait_for(lambda: bool(titled(http_receiver, "missed on cancilleria_x")), 15, "the missed alert")
        schedule.write_text(schedule.read_text(encoding="utf-8") + "  - id: [broken\n", encoding="utf-8")
        wait_for(lambda: bool(titled(http_receiver, "invalid: old plan still running")), 15, "the invalid-edit alert")
    finally:
        process.send_signal(signal.SIGTERM)
        finish(process)
    (missed,) = titled(http_receiver, "missed on cancilleria_x")
    assert missed["type"] == "failure" and "python main.py resume fiestas-patrias" in missed["message"]
    (edit,) = titled(http_receiver, "invalid: old plan still running")
    assert edit["type"] == "warning" and "old plan keeps running" in edit["message"]
    stopped = titled(http_receiver, "Bot stopped")
    assert stopped and "1 post still ahead" in stopped[0]["message"]


def _thread_seconds(campaign: Campaign, env: dict[str, str]) -> float:
    office_campaign(campaign, datetime.now(UTC) + timedelta(seconds=4), env)
    process = campaign.start("--exit-when-done", "--preflight", "0")
    assert finish(process, 90) == 0, campaign.log()
    posts = campaign.x_posts()
    return (posts[-1].created_at - posts[0].created_at).total_seconds()


def test_an_alert_url_on_a_closed_port_does_not_delay_the_thread(tmp_path: Any, api: Any) -> None:
    """Measured figures are printed (pytest -s); the assertion is loose: the machine is shared."""
    quiet = Campaign(tmp_path / "quiet", api)
    without = _thread_seconds(quiet, {})
    loud = Campaign(tmp_path / "loud", api)
    closed = {"ALERT_URLS": f"json://127.0.0.1:{free_port()}/alerts", "ALERT_LEVEL": "info"}
    with_alerts = _thread_seconds(loud, closed)
    print(f"thread duration: {without:.2f} s without alerts, {with_alerts:.2f} s with a closed-port alert URL")
    assert with_alerts < without + 2.0
    assert "alert 'Published: fiestas-patrias on cancilleria_x' to #1 json://127.0.0.1" in loud.log()


def test_alerts_test_exit_codes(campaign: Campaign, http_receiver: HttpReceiver) -> None:
    env = campaign.folder / "alerts.env"
    env.write_text(f"ALERT_URLS=json://127.0.0.1:{http_receiver.port}/hook\n", encoding="utf-8")
    ok = campaign.command("alerts", "test", "--env-file", "alerts.env")
    assert ok.returncode == 0, ok.stderr
    assert "OK     #1 json://127.0.0.1" in ok.stdout
    assert http_receiver.wait_for(1)[0].json()["title"] == "Test alert from the Fiestas Patrias bot"

    env.write_text(f"ALERT_URLS=json://127.0.0.1:{free_port()}/hook\n", encoding="utf-8")
    closed = campaign.command("alerts", "test", "--env-file", "alerts.env")
    assert closed.returncode == 1 and "FAILED #1 json://127.0.0.1" in closed.stdout

    env.write_text("# nothing\n", encoding="utf-8")
    unset = campaign.command("alerts", "test", "--env-file", "alerts.env")
    assert unset.returncode == 2 and "ALERT_URLS is not set" in unset.stderr

    env.write_text("ALERT_URLS=json://127.0.0.1/ok https://hooks.example.org/x\n", encoding="utf-8")
    bad = campaign.command("alerts", "test", "--env-file", "alerts.env")
    assert bad.returncode == 2 and "alerts.env:1:32: ALERT_URLS #2" in bad.stderr, bad.stderr
    assert "nothing was sent" in bad.stderr


def test_systemd_hears_ready_watchdog_and_stopping(campaign: Campaign) -> None:
    office_campaign(campaign, datetime.now(UTC) + timedelta(days=1), {})
    folder = Path(tempfile.mkdtemp(prefix="notify-", dir="/tmp"))  # AF_UNIX paths are short: not under tmp_path
    path = folder / "notify.sock"
    messages: list[str] = []
    with socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM) as server:
        server.bind(str(path))
        server.settimeout(10)
        process = campaign.start("--preflight", "0", env_extra={"NOTIFY_SOCKET": str(path), "WATCHDOG_USEC": "2000000"})
        try:
            while messages.count("WATCHDOG=1") < 2:
                messages.append(server.recv(4096).decode())
            process.send_signal(signal.SIGTERM)
            while "STOPPING=1" not in messages:
                messages.append(server.recv(4096).decode())
        finally:
            if process.poll() is None:
                process.send_signal(signal.SIGTERM)
            assert finish(process) == 0
    path.unlink()
    folder.rmdir()
    assert messages[0].startswith("READY=1\nSTATUS=")
    assert messages.index("STOPPING=1") > messages.index("WATCHDOG=1")


def test_run_refuses_bad_alert_and_heartbeat_settings_before_touching_the_state(campaign: Campaign) -> None:
    env = {"ALERT_URLS": "http://hooks.example.org/x", "ALERT_LEVEL": "loud", "HEARTBEAT_SECONDS": "0"}
    office_campaign(campaign, datetime.now(UTC) + timedelta(days=1), env)
    for dry in ((), ("--dry-run",)):
        result = campaign.command("run", "--state-dir", "state", "--env-file", ".env", *dry)
        assert result.returncode == 2, result.stderr
        assert "Traceback" not in result.stderr
        assert ".env:9:12: error: ALERT_URLS #1 http://hooks.example.org http:// is a web address" in result.stderr
        assert ".env:10:13: error: ALERT_LEVEL='loud' is not a level" in result.stderr
        assert "HEARTBEAT_SECONDS='0' is not a period" in result.stderr
    assert not (campaign.folder / "state").exists()
