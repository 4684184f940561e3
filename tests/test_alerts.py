"""bot/alerts without the network: ALERT_URLS parsing and positions, the level filter, dedupe, the sender's
queue, timeout and retries (with in-process targets that implement the Target protocol)."""

from __future__ import annotations

import logging
import threading
import time
from datetime import UTC, datetime, timedelta

import pytest

from bot.alerts import (
    Alert,
    AlertLevel,
    AlertSender,
    DeliveryError,
    check_alert_urls,
    describe_url,
    locate_in_env,
    parse_alert_level,
    split_alert_urls,
    texts,
)

NOW = datetime(2027, 7, 28, 12, 0, tzinfo=UTC)


class Clock:
    def __init__(self) -> None:
        self.now = NOW

    def __call__(self) -> datetime:
        return self.now


class Recorder:
    """A Target that records; `fail_times` first attempts raise DeliveryError; `block` makes it hang."""

    def __init__(self, label: str = "recorder", fail_times: int = 0, block: threading.Event | None = None) -> None:
        self.label = label
        self.fail_times = fail_times
        self.block = block
        self.attempts = 0
        self.alerts: list[Alert] = []
        self.event = threading.Event()

    def deliver(self, alert: Alert) -> None:
        self.attempts += 1
        if self.block is not None:
            self.block.wait(10)
        if self.attempts <= self.fail_times:
            raise DeliveryError("HTTP 500 from the receiver")
        self.alerts.append(alert)
        self.event.set()


# --- ALERT_URLS -------------------------------------------------------------------------------------------


def test_urls_split_on_spaces_and_commas_but_not_inside_a_url() -> None:
    value = "json://127.0.0.1:8080/hook, mailto://u:p@mail.example.org?to=a@x.org,b@y.org  ntfy://topic,tgram://T/C"
    urls = split_alert_urls(value)
    assert [u.text for u in urls] == [
        "json://127.0.0.1:8080/hook",
        "mailto://u:p@mail.example.org?to=a@x.org,b@y.org",
        "ntfy://topic",
        "tgram://T/C",
    ]
    assert [value[u.offset : u.offset + len(u.text)] for u in urls] == [u.text for u in urls]
    assert [u.index for u in urls] == [1, 2, 3, 4]
    assert split_alert_urls(None) == [] and split_alert_urls("  ,  ") == []


def test_describe_url_shows_a_host_name_never_a_token() -> None:
    assert describe_url("json://127.0.0.1:8080/secret-path") == "json://127.0.0.1:8080"
    assert describe_url("mailto://user:hunter2pass@smtp.example.org") == "mailto://smtp.example.org"
    assert describe_url("tgram://123456789:AAHbottokenvalue/12345") == "tgram://…"
    assert describe_url("slack://TokenA/TokenB/TokenC") == "slack://…"
    assert describe_url("not a url") == "(not a URL)"


def test_check_reports_each_bad_url_and_warns_on_an_unknown_scheme() -> None:
    value = "json://127.0.0.1/hook https://hooks.example.org/x nothing-here json:// sometool://host.example.org"
    problems = check_alert_urls(value)
    assert [(p.url.index, p.severity) for p in problems] == [(2, "error"), (3, "error"), (4, "error"), (5, "warning")]
    assert "write json://" in problems[0].message and "jsons://" in problems[0].message
    assert "scheme://" in problems[1].message
    assert "nothing after it" in problems[2].message
    assert "alerts test" in problems[3].message
    assert check_alert_urls("json://127.0.0.1/a mailtos://u:p@smtp.example.org") == []


def test_locate_in_env_gives_line_and_column_of_the_bad_url() -> None:
    env = 'X_TOKEN=abc\n# alerts\nexport ALERT_URLS = "json://127.0.0.1/a https://bad.example.org"\n'
    value = "json://127.0.0.1/a https://bad.example.org"
    bad = split_alert_urls(value)[1]
    line, column = locate_in_env(env, "ALERT_URLS", bad.offset) or (0, 0)
    assert (line, column) == (3, 41)
    assert env.splitlines()[line - 1][column - 1 :].startswith("https://bad")
    assert locate_in_env(env, "HEARTBEAT_URL", 0) is None


# --- level and dedupe -------------------------------------------------------------------------------------


def test_alert_level_default_warning_sends_failures_and_warnings_only() -> None:
    level = parse_alert_level(None)
    assert [level.admits(k) for k in ("failure", "warning", "success", "info")] == [True, True, False, False]
    assert parse_alert_level("FAILURE").admits("warning") is False
    assert parse_alert_level("info").admits("success") is True
    with pytest.raises(ValueError, match=r"ALERT_LEVEL='loud' is not a level: write one of failure, warning, info"):
        parse_alert_level("loud")


def test_sender_filters_by_level_and_dedupes_per_post_and_account_for_ten_minutes() -> None:
    clock, target = Clock(), Recorder()
    sender = AlertSender([target], parse_alert_level("warning"), clock).start()
    try:
        held = texts.account_held("cancilleria_fb", "CANCILLERIA_FB_PAGE_TOKEN", "expired", "mensaje")
        assert sender.send(held) is True
        assert sender.send(held) is False  # same alert, same post and account, within 10 minutes
        assert sender.send(texts.account_held("embajada_fb", "EMBAJADA_FB_PAGE_TOKEN", "expired", "mensaje"))
        assert sender.send(texts.post_published("mensaje", "cancilleria_x", ["https://x.com/a/status/1"])) is False
        clock.now += timedelta(minutes=9, seconds=59)
        assert sender.send(held) is False
        clock.now += timedelta(seconds=1)
        assert sender.send(held) is True
    finally:
        sender.stop()
    assert [a.account for a in target.alerts] == ["cancilleria_fb", "embajada_fb", "cancilleria_fb"]


def test_send_never_waits_for_a_hanging_target_and_each_attempt_is_bounded(caplog: pytest.LogCaptureFixture) -> None:
    release = threading.Event()
    hanging, fine = Recorder("#1 json://hang.example.org", block=release), Recorder("#2 fine")
    sender = AlertSender([hanging, fine], AlertLevel("info"), Clock(), timeout=0.2, backoff=()).start()
    try:
        with caplog.at_level(logging.WARNING, logger="bot.alerts.sender"):
            started = time.perf_counter()
            for n in range(20):
                assert sender.send(Alert("failure", f"alert {n}", "body"))
            caller = time.perf_counter() - started
            assert hanging.attempts <= 1 and not fine.alerts  # send() returned while the first delivery hangs
            assert fine.event.wait(5)  # the hang is cut at the timeout; the next target gets the alert
    finally:
        release.set()
        sender.stop()
    print(f"20 send() calls with a hanging target: {caller * 1000:.2f} ms in the caller")
    assert "alert 'alert 0' to #1 json://hang.example.org failed (no answer within 0.2 s)" in caplog.text


def test_a_failing_target_is_retried_with_backoff_then_delivered() -> None:
    flaky = Recorder("#1 flaky", fail_times=2)
    sender = AlertSender([flaky], AlertLevel("info"), Clock(), backoff=(0.05, 0.05, 0.05)).start()
    try:
        sender.send(Alert("failure", "held", "body", "p", "a"))
        assert flaky.event.wait(5)
    finally:
        sender.stop()
    assert flaky.attempts == 3 and sender.delivered == 1 and sender.failed == 0


def test_a_target_that_keeps_failing_is_given_up_with_a_warning(caplog: pytest.LogCaptureFixture) -> None:
    broken = Recorder("#1 broken", fail_times=99)
    sender = AlertSender([broken], AlertLevel("info"), Clock(), backoff=(0.01, 0.01)).start()
    with caplog.at_level(logging.WARNING, logger="bot.alerts.sender"):
        sender.send(Alert("warning", "w", "body"))
        deadline = time.monotonic() + 5
        while sender.failed == 0 and time.monotonic() < deadline:
            time.sleep(0.01)
        sender.stop()
    assert broken.attempts == 3 and sender.failed == 1
    assert "given up after 3 attempts" in caplog.text


def test_a_full_queue_drops_the_alert_instead_of_blocking(caplog: pytest.LogCaptureFixture) -> None:
    release = threading.Event()
    slow = Recorder("#1 slow", block=release)
    sender = AlertSender([slow], AlertLevel("info"), Clock(), queue_size=2, timeout=5).start()
    try:
        with caplog.at_level(logging.WARNING, logger="bot.alerts.sender"):
            results = [sender.send(Alert("info", f"n{n}", "b")) for n in range(6)]
    finally:
        release.set()
        sender.stop()
    assert results[:2] == [True, True] and False in results  # 2 queued (+1 maybe taken by the thread), rest not
    assert "alert queue full" in caplog.text


def test_known_secret_values_are_masked_in_alert_texts() -> None:
    target = Recorder()
    token = "EAAG-page-104-token-value"
    sender = AlertSender([target], AlertLevel("info"), Clock(), secrets=[token]).start()
    try:
        sender.send(texts.account_held("fb", "FB_PAGE_TOKEN", f"token {token} expired"))
        assert target.event.wait(5)
    finally:
        sender.stop()
    assert token not in target.alerts[0].body and "…alue" in target.alerts[0].body


def test_sender_without_targets_sends_nothing_and_starts_no_thread() -> None:
    sender = AlertSender([], AlertLevel("info"), Clock()).start()
    assert sender.send(Alert("failure", "t", "b")) is False
    sender.stop()


# --- texts --------------------------------------------------------------------------------------------------


def test_texts_name_post_account_variable_and_what_to_do() -> None:
    held = texts.account_held("cancilleria_fb", "CANCILLERIA_FB_PAGE_TOKEN", "token expired", "mensaje")
    assert held.kind == "failure" and "cancilleria_fb" in held.title
    assert "CANCILLERIA_FB_PAGE_TOKEN" in held.body
    assert "python main.py resume mensaje --account cancilleria_fb" in held.body
    edit = texts.invalid_edit("schedule.yaml", ["schedule.yaml:3:5: error: unknown key"])
    assert edit.kind == "warning" and "old plan keeps running" in edit.body
    conflict = texts.conflict("mensaje", "cancilleria_x", "fragment 3 changed")
    assert "--accept-edit" in conflict.body
    assert texts.preflight_passed("mensaje", "cancilleria_x", NOW).kind == "info"
    assert (
        texts.daemon_stopped(2).kind == "warning"
        and "2 posts still ahead" in texts.daemon_stopped(2).body
        and "1 post still ahead" in texts.daemon_stopped(1).body
    )
    assert texts.daemon_stopped(0).kind == "info"
    published = texts.post_published("mensaje", "cancilleria_x", ["https://x.com/C/status/1"])
    assert published.kind == "success" and "https://x.com/C/status/1" in published.body


def test_importing_the_alert_heartbeat_and_notify_modules_loads_no_heavy_library() -> None:
    """validate will use bot.alerts for its light check: importing it must not load apprise (nor requests)."""
    import subprocess
    import sys

    code = (
        "import sys, bot.alerts, bot.alerts.probe, bot.alerts.texts, bot.heartbeat, bot.sdnotify\n"
        "from bot.alerts import check_alert_urls\n"
        "check_alert_urls('json://127.0.0.1/a https://x.example.org')\n"
        "print(sorted({m.split('.')[0] for m in sys.modules} & {'apprise', 'requests', 'tweepy', 'aiosmtpd'}))\n"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=60)
    assert result.stdout.strip() == "[]"
