"""Real Apprise deliveries to local receivers (tests/alert_receivers.py): json:// and mailto://, a closed
port that must not hold up the caller, `alerts test` exit codes, and no secret in any delivered alert."""

from __future__ import annotations

import logging
import socket
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest

from bot.alerts import AlertLevel, AlertSender, AppriseTarget, texts
from bot.alerts.probe import format_probe, probe_alert_urls
from bot.alerts.urls import KNOWN_SCHEMES
from bot.publishers.base import CredentialsError
from bot.publishers.facebook import FacebookPublisher
from tests import secretscan
from tests.alert_receivers import HttpReceiver, SmtpReceiver, free_port
from tests.alert_receivers import http_receiver_fixture as http_receiver_fixture
from tests.alert_receivers import smtp_receiver_fixture as smtp_receiver_fixture
from tests.fakeapi import FakeAPI, environment, facebook_account
from tests.fakeapi import fake_api_fixture as fake_api_fixture
from tests.helpers import run_cli

NOW = datetime(2027, 7, 28, 12, 0, tzinfo=UTC)


def clock() -> datetime:
    return NOW


@pytest.fixture(name="blackhole")
def blackhole_fixture() -> Iterator[int]:
    """A port that accepts connections and never answers."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as server:
        server.bind(("127.0.0.1", 0))
        server.listen(16)
        yield int(server.getsockname()[1])


def test_the_schemes_the_light_check_knows_are_all_apprise_schemes() -> None:
    import apprise

    manager = apprise.manager_plugins.NotificationManager()  # type: ignore[no-untyped-call]
    schemes = set(manager.schemas())  # type: ignore[no-untyped-call]
    assert schemes >= KNOWN_SCHEMES


def test_apprise_delivers_a_json_alert_with_its_type(http_receiver: HttpReceiver) -> None:
    url = http_receiver.url("json", "/alerts/bot")
    sender = AlertSender([AppriseTarget(url)], AlertLevel("warning"), clock).start()
    try:
        sender.send(texts.account_held("cancilleria_fb", "CANCILLERIA_FB_PAGE_TOKEN", "token expired", "mensaje"))
        received = http_receiver.wait_for(1)
    finally:
        sender.stop()
    assert len(received) == 1 and received[0].path == "/alerts/bot" and received[0].method == "POST"
    payload = received[0].json()
    assert payload["type"] == "failure"
    assert payload["title"] == "Account cancilleria_fb held: credentials rejected"
    assert "CANCILLERIA_FB_PAGE_TOKEN" in payload["message"]


def test_apprise_delivers_a_mailto_alert_to_a_local_smtp_server(smtp_receiver: SmtpReceiver) -> None:
    sender = AlertSender([AppriseTarget(smtp_receiver.url())], AlertLevel("info"), clock).start()
    try:
        sender.send(texts.post_published("mensaje", "cancilleria_x", ["https://x.com/CancilleriaPeru/status/17"]))
        mails = smtp_receiver.wait_for(1)
    finally:
        sender.stop()
    assert len(mails) == 1
    assert mails[0].recipients == ("ops@example.org",)
    assert "Published: mensaje on cancilleria_x" in mails[0].subject
    assert "https://x.com/CancilleriaPeru/status/17" in mails[0].body


def test_a_closed_port_is_logged_masked_and_never_delays_the_caller(
    http_receiver: HttpReceiver, caplog: pytest.LogCaptureFixture
) -> None:
    closed = f"json://user:hunter2-password-value@127.0.0.1:{free_port()}/secret-path-token"
    secretscan.register_url(closed, "ALERT_URLS")
    targets = [AppriseTarget(closed, "#1 json://127.0.0.1"), AppriseTarget(http_receiver.url("json"))]
    sender = AlertSender(targets, AlertLevel("info"), clock, timeout=5, backoff=(0.05,)).start()
    http_receiver.answering.clear()  # the good URL holds its first delivery unanswered
    try:
        with caplog.at_level(logging.WARNING):
            started = time.perf_counter()
            for n in range(10):
                assert sender.send(texts.preflight_passed(f"post-{n}", "cancilleria_x", NOW)) is True
            caller = time.perf_counter() - started
            # The caller got back from all ten while the one background delivery is still held by the receiver: a
            # send() that delivered (or waited for a delivery) could only have returned after answers or timeouts.
            assert len(http_receiver.received()) <= 1 and sender.failed <= 1
            http_receiver.answering.set()
            assert len(http_receiver.wait_for(10)) == 10  # the good URL still gets every alert
            deadline = time.monotonic() + 10
            while sender.failed < 10 and time.monotonic() < deadline:
                time.sleep(0.02)
    finally:
        sender.stop()
    print(f"10 alerts to a closed port + a receiver: {caller * 1000:.2f} ms spent in the caller")
    assert sender.failed == 10
    assert "to #1 json://127.0.0.1 failed" in caplog.text and "given up after 2 attempts" in caplog.text
    assert "hunter2" not in caplog.text and "secret-path-token" not in caplog.text


def test_a_receiver_that_never_answers_is_cut_at_the_timeout(blackhole: int, caplog: pytest.LogCaptureFixture) -> None:
    target = AppriseTarget(f"json://127.0.0.1:{blackhole}/hook")
    sender = AlertSender([target], AlertLevel("info"), clock, timeout=1, backoff=()).start()
    with caplog.at_level(logging.WARNING, logger="bot.alerts.sender"):
        assert sender.send(texts.test_alert(NOW)) is True
        assert sender.failed == 0  # send() only queued: the delivery is still waiting for its answer
        deadline = time.monotonic() + 10
        while sender.failed == 0 and time.monotonic() < deadline:
            time.sleep(0.02)
        sender.stop()
    assert sender.failed == 1
    assert "failed (no answer within 1 s)" in caplog.text


def test_a_real_credentials_hold_alert_carries_no_secret(fake_api: FakeAPI, http_receiver: HttpReceiver) -> None:
    """From the Facebook adapter's CredentialsError to the delivered payload, through real Apprise."""
    _, env = fake_api.add_page("104", "Cancillería", "CANCILLERIA_FB")
    fake_api.graph_token_expired()
    account = facebook_account("cancilleria_fb", page_id="104")
    publisher = FacebookPublisher(account, environment(env), fake_api.settings())
    with pytest.raises(CredentialsError) as caught:
        publisher.publish("¡Felices Fiestas Patrias!")
    alert = texts.account_held(account.name, caught.value.variable, str(caught.value), "mensaje")
    sender = AlertSender([AppriseTarget(http_receiver.url("json"))], AlertLevel("warning"), clock).start()
    try:
        sender.send(alert)
        received = http_receiver.wait_for(1)
    finally:
        sender.stop()
    assert "CANCILLERIA_FB_PAGE_TOKEN" in received[0].json()["message"]
    secretscan.assert_clean_alerts([("json://", r.body) for r in received])


def test_the_secret_scan_of_alert_payloads_catches_a_leak() -> None:
    secretscan.register("EAAG-page-104-token-value", "CANCILLERIA_FB_PAGE_TOKEN")
    with pytest.raises(secretscan.SecretLeak, match="CANCILLERIA_FB_PAGE_TOKEN"):
        secretscan.assert_clean_alerts([("json://", b'{"message": "token EAAG-page-104-token-value"}')])


# --- `alerts test` ------------------------------------------------------------------------------------------


def test_alerts_test_exits_0_when_every_url_delivers(http_receiver: HttpReceiver, smtp_receiver: SmtpReceiver) -> None:
    report = probe_alert_urls(f"{http_receiver.url('json')}, {smtp_receiver.url()}", NOW, timeout=10)
    assert report.exit_code == 0, format_probe(report)
    assert [line.ok for line in report.lines] == [True, True]
    assert http_receiver.received()[0].json()["title"] == "Test alert from the Fiestas Patrias bot"
    assert format_probe(report).splitlines()[-1] == "2 of 2 alert URLs delivered the test alert"


def test_alerts_test_exits_1_naming_the_url_that_failed(http_receiver: HttpReceiver) -> None:
    value = f"{http_receiver.url('json')} json://127.0.0.1:{free_port()}/hook"
    report = probe_alert_urls(value, NOW, timeout=10)
    assert report.exit_code == 1
    text = format_probe(report)
    assert text.startswith("OK     #1 json://127.0.0.1:")
    assert "FAILED #2 json://127.0.0.1:" in text


def test_alerts_test_exits_2_when_unset_or_unparseable_with_the_env_position() -> None:
    assert probe_alert_urls(None, NOW).exit_code == 2
    assert "ALERT_URLS is not set" in format_probe(probe_alert_urls("  ", NOW))
    env = "CANCILLERIA_X_API_KEY=x\nALERT_URLS=json://127.0.0.1/a https://hooks.example.org/b\n"
    report = probe_alert_urls(split_value(env), NOW, env_text=env, env_name=".env")
    assert report.exit_code == 2
    assert report.problems[0].startswith(".env:2:31: ALERT_URLS #2 https://hooks.example.org https:// is a web")
    assert format_probe(report).endswith("nothing was sent.\n")


def test_alerts_test_exits_2_for_a_url_apprise_cannot_parse(http_receiver: HttpReceiver) -> None:
    report = probe_alert_urls(f"{http_receiver.url('json')} tgram://", NOW)
    assert report.exit_code == 2  # the light check already rejects it
    report = probe_alert_urls(f"{http_receiver.url('json')} slack://only-one-part", NOW)
    assert report.exit_code == 2 and "#2 slack://…: Apprise cannot parse this URL" in report.problems[0]
    assert http_receiver.received() == []  # nothing was sent


def split_value(env: str) -> str:
    return env.split("ALERT_URLS=", 1)[1].splitlines()[0]


@pytest.mark.parametrize(
    ("refuse_login", "reason"),
    [
        (True, "(Socket Exception: (535, b'5.7.8 Authentication credentials invalid'))"),
        (False, "(Socket Exception: SMTP AUTH extension not supported by server.)"),
    ],
    ids=["login-refused", "no-auth-offered"],
)
def test_alerts_test_prints_why_apprise_failed_with_the_secrets_masked(
    tmp_path: Path, refuse_login: bool, reason: str
) -> None:
    """Apprise logs the server's answer (at debug level); `alerts test` prints it, never the URL's secrets."""
    receiver = SmtpReceiver(refuse_login=refuse_login).start()
    try:
        secret = "Hunter2-Mail-Password"
        url = f"mailto://alerts-user:{secret}@127.0.0.1:{receiver.port}?from=bot@example.org&to=ops@example.org"
        secretscan.register_url(url, "ALERT_URLS")
        (tmp_path / "alerts.env").write_text(f"ALERT_URLS={url}&mode=insecure\n", encoding="utf-8")
        result = run_cli("alerts", "test", "--env-file", "alerts.env", cwd=tmp_path)
    finally:
        receiver.stop()
    assert result.returncode == 1, result.stderr
    failed = next(line for line in result.stdout.splitlines() if line.startswith("FAILED #1 mailto://127.0.0.1:"))
    assert failed.endswith(f': Connection error while submitting email to "127.0.0.1" {reason}'), failed
    assert secret not in result.stdout + result.stderr and "alerts-user" not in result.stdout + result.stderr
    assert "Socket Exception" not in result.stderr  # the reason is printed once, on its URL's line
    assert receiver.handler.mails == []
