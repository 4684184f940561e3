"""The X adapter driven through the real tweepy against the local fake API."""

from __future__ import annotations

import logging
import re
import socket
import subprocess
import sys
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

import pytest

from bot.credentials import ConnectionSettings
from bot.publishers.base import (
    AlreadyExists,
    CredentialsError,
    OutcomeUnknown,
    PublishError,
    Rejected,
    ReplyRefused,
    RetryLater,
)
from bot.publishers.x import XPublisher
from tests.fakeapi import FakeAPI, XUser, environment, fake_api_fixture, oauth1_signature, x_account  # noqa: F401

RESET = 1_900_000_000

REPO = Path(__file__).parent.parent


def make(api: FakeAPI, timeout: float = 0.5) -> tuple[XPublisher, XUser]:
    user, env = api.add_x_user("CancilleriaPeru", "Cancillería del Perú", "CANCILLERIA_X")
    return XPublisher(x_account(), environment(env), api.settings(timeout=timeout)), user


def test_fake_server_signs_like_the_x_documentation_example() -> None:
    # The worked example of X's "Creating a signature" page: the server's check does not just mirror oauthlib.
    params = [
        ("include_entities", "true"),
        ("status", "Hello Ladies + Gentlemen, a signed OAuth request!"),
        ("oauth_consumer_key", "xvz1evFS4wEEPTGEFPHBog"),
        ("oauth_nonce", "kYjzVBB8Y0ZFabxSWbWovY3uYSQ2pTgmZeNu2VS4cg"),
        ("oauth_signature_method", "HMAC-SHA1"),
        ("oauth_timestamp", "1318622958"),
        ("oauth_token", "370773112-GmHxMAgYyLbNEtIKZeRNFsMKPR9EyMZeS9weJAEb"),
        ("oauth_version", "1.0"),
    ]
    signature = oauth1_signature(
        "POST",
        "https://api.twitter.com/1.1/statuses/update.json",
        params,
        "kAcSOqF21Fu85e7zjz7ZN2U4ZRhfV3WpwPAoE3Z7kBw",
        "LswwdoUaIvS8ltyTt5jkRh4J50vUPVVHtR2YPi5kE",
    )
    assert signature == "hCtSmYh+iHYCEqBWrE7C7hYmtUk="


def test_thread_of_five_is_a_reply_chain_on_the_server(fake_api: FakeAPI) -> None:
    publisher, user = make(fake_api)
    texts = [f"{i}/5 Mensaje del Canciller por Fiestas Patrias, parte {i}." for i in range(1, 6)]
    previous: str | None = None
    published = []
    for text in texts:
        result = publisher.publish(text, reply_to=previous)
        published.append(result)
        previous = result.remote_id

    posts = fake_api.posts("x", user.user_id)
    assert [p.text for p in posts] == texts
    assert [p.id for p in posts] == [r.remote_id for r in published]
    assert posts[0].reply_to is None
    assert [p.reply_to for p in posts[1:]] == [p.id for p in posts[:-1]]
    assert published[0].url == f"https://x.com/CancilleriaPeru/status/{posts[0].id}"


def test_whoami_reports_the_account_behind_the_credentials(fake_api: FakeAPI) -> None:
    publisher, user = make(fake_api)
    identity = publisher.whoami()
    assert (identity.id, identity.name, identity.handle) == (
        user.user_id,
        "Cancillería del Perú",
        "CancilleriaPeru",
    )


def test_find_recent_undoes_html_escaping_and_tco_links(fake_api: FakeAPI) -> None:
    publisher, _ = make(fake_api)
    text = "Perú & sus 200 años <bicentenario>: https://www.gob.pe/rree"
    posted = publisher.publish(text)
    assert fake_api.requests("x")[-1].path == "/2/tweets"
    assert publisher.find_recent(text) == posted
    assert publisher.find_recent("Perú & sus 200 años <bicentenario>: https://www.gob.pe/otra") is None
    assert publisher.find_recent("Perú &amp; sus 200 años") is None


def test_find_recent_compares_nfc_text(fake_api: FakeAPI) -> None:
    publisher, _ = make(fake_api)
    posted = publisher.publish("Cancillería")  # composed í
    assert publisher.find_recent("Cancilleri\u0301a") == posted  # decomposed i + combining acute


def test_committed_then_dropped_post_is_outcome_unknown_and_found_afterwards(fake_api: FakeAPI) -> None:
    publisher, user = make(fake_api)
    fake_api.commit_then_drop("x")
    with pytest.raises(OutcomeUnknown):
        publisher.publish("Feliz 28 de julio")
    (stored,) = fake_api.posts("x", user.user_id)
    found = publisher.find_recent("Feliz 28 de julio")
    assert found is not None and found.remote_id == stored.id
    with pytest.raises(AlreadyExists):  # what a blind resend would meet
        publisher.publish("Feliz 28 de julio")


def test_slow_answer_times_out_as_outcome_unknown(fake_api: FakeAPI) -> None:
    publisher, user = make(fake_api, timeout=0.3)
    fake_api.commit_then_slow("x", delay=3.0)
    phases: list[str] = []
    fake_api.add_observer(lambda event: phases.append(event.phase) if event.method == "POST" else None)
    with pytest.raises(OutcomeUnknown):
        publisher.publish("Texto lento")
    # Cut by the client's timeout: the post was stored, and the server was still holding its answer back.
    assert phases == ["received", "handled"]
    assert [p.text for p in fake_api.posts("x", user.user_id)] == ["Texto lento"]


def _at(seconds: int) -> datetime:
    return datetime.fromtimestamp(seconds, UTC)


FAULTS: list[tuple[str, Callable[[FakeAPI], None], type[PublishError], datetime | None]] = [
    ("429 window", lambda api: api.x_rate_limited(RESET), RetryLater, _at(RESET)),
    (
        "429 user 24h cap",
        lambda api: api.x_rate_limited(RESET, user_24h_reset=RESET + 50_000),
        RetryLater,
        _at(RESET + 50_000),
    ),
    (
        "429 both 24h caps",
        lambda api: api.x_rate_limited(RESET, user_24h_reset=RESET + 10, app_24h_reset=RESET + 70_000),
        RetryLater,
        _at(RESET + 70_000),
    ),
    (
        "429 no headers",
        lambda api: api.x_error(429, "Too Many Requests", "Too Many Requests"),
        RetryLater,
        None,
    ),
    # issue 18: a 5xx answer to a write proves nothing (X answers 503 after creating thread posts under load)
    ("503", lambda api: api.server_error("x", 503), OutcomeUnknown, None),
    ("500", lambda api: api.server_error("x", 500), OutcomeUnknown, None),
    ("html 502", lambda api: api.html_502("x"), OutcomeUnknown, None),
    (
        "400 invalid",
        lambda api: api.x_error(400, "Invalid Request", "One or more parameters"),
        Rejected,
        None,
    ),
    (
        "403 other",
        lambda api: api.x_error(403, "Forbidden", "You are not permitted to perform this action."),
        Rejected,
        None,
    ),
    ("dropped, nothing stored", lambda api: api.inject_drop("x"), OutcomeUnknown, None),
]


@pytest.mark.parametrize(("fault", "expected", "retry_at"), [f[1:] for f in FAULTS], ids=[f[0] for f in FAULTS])
def test_each_fault_maps_to_one_taxonomy_class(
    fake_api: FakeAPI,
    fault: Callable[[FakeAPI], None],
    expected: type[PublishError],
    retry_at: datetime | None,
) -> None:
    publisher, _ = make(fake_api)
    fault(fake_api)
    with pytest.raises(PublishError) as caught:
        publisher.publish("Un texto cualquiera")
    assert type(caught.value) is expected
    if isinstance(caught.value, RetryLater):
        assert caught.value.retry_at == retry_at


def test_usage_cap_is_retry_later_and_says_monthly_cap(fake_api: FakeAPI) -> None:
    publisher, _ = make(fake_api)
    fake_api.x_usage_cap()
    with pytest.raises(RetryLater, match="monthly usage cap"):
        publisher.publish("texto")


def test_rejections_carry_the_platform_detail(fake_api: FakeAPI) -> None:
    publisher, _ = make(fake_api)
    with pytest.raises(Rejected, match="not permitted") as caught:
        publisher.publish("x" * 281)  # over 280: the server refuses it
    assert not isinstance(caught.value, AlreadyExists)
    publisher.publish("único")
    with pytest.raises(AlreadyExists, match="duplicate content"):
        publisher.publish("único")


def _padded(head: str, length: int) -> str:
    return head + " " + "a" * (length - len(head) - 1)


@pytest.mark.parametrize(
    "head",
    [
        pytest.param("Más información en www.gob.pe/a", id="bare-domain-with-path"),  # 12 code points, 23
        pytest.param("故人西辞黄鹤楼烟花三月", id="cjk"),  # 11 code points weighing 2
    ],
)
def test_server_refuses_a_post_longer_by_x_weights_than_by_code_points(fake_api: FakeAPI, head: str) -> None:
    publisher, user = make(fake_api)
    too_long, fits = _padded(head, 270), _padded(head, 269)
    assert len(too_long) == 270
    with pytest.raises(Rejected, match="not permitted"):
        publisher.publish(too_long)  # 281 weighted characters
    assert fake_api.posts("x", user.user_id) == []
    publisher.publish(fits)  # 280
    assert [p.text for p in fake_api.posts("x", user.user_id)] == [fits]


def test_fake_server_measures_with_the_published_counter_not_bot_measure() -> None:
    # bot.measure is sabotaged before the fake is imported: a fake that measured with it would answer 0.
    code = (
        "import bot.measure as m; m.x_weighted_length = lambda text: 0; "
        "from tests.fakeapi import x_weighted_length as w; "
        "print(w('visita gob.pe hoy'), w('\U0001f43b\u200d\u2744\ufe0f'))"
    )
    out = subprocess.run([sys.executable, "-c", code], cwd=REPO, capture_output=True, text=True, check=True)
    assert out.stdout.split() == ["34", "5"]
    source = (REPO / "tests" / "fakeapi.py").read_text(encoding="utf-8")
    assert not re.search(r"^\s*(from bot\.measure import|import bot\.measure|from bot import .*measure)", source, re.M)


def test_refused_reply_is_reply_refused(fake_api: FakeAPI) -> None:
    publisher, _ = make(fake_api)
    first = publisher.publish("1/2 inicio")
    fake_api.x_reply_refused()
    with pytest.raises(ReplyRefused, match="not allowed"):
        publisher.publish("2/2 fin", reply_to=first.remote_id)


def test_connection_refused_is_retry_later() -> None:
    with socket.socket() as probe:  # a port with nobody listening
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    api_settings = ConnectionSettings(x_api_base_url=f"http://127.0.0.1:{port}", timeout_seconds=0.5)
    env = environment(
        {f"CANCILLERIA_X_{k}": f"value-{k}" for k in ("API_KEY", "API_SECRET", "ACCESS_TOKEN", "ACCESS_TOKEN_SECRET")}
    )
    publisher = XPublisher(x_account(), env, api_settings)
    with pytest.raises(RetryLater, match="before the request was sent"):
        publisher.publish("texto")


def test_wrong_secret_names_the_variables_and_never_shows_the_secret(
    fake_api: FakeAPI, caplog: pytest.LogCaptureFixture
) -> None:
    user, env = fake_api.add_x_user("CancilleriaPeru", "Cancillería", "CANCILLERIA_X")
    wrong = "wrong-token-secret-9f8e7d6c5b4a"
    env["CANCILLERIA_X_ACCESS_TOKEN_SECRET"] = wrong
    publisher = XPublisher(x_account(), environment(env), fake_api.settings())
    caplog.set_level(logging.DEBUG)
    with pytest.raises(CredentialsError) as caught:
        publisher.publish("texto")
    message = str(caught.value)
    assert "CANCILLERIA_X_ACCESS_TOKEN" in message and "CANCILLERIA_X_ACCESS_TOKEN_SECRET" in message
    assert caught.value.variable is not None
    for secret in (wrong, user.consumer_secret, user.access_token, user.consumer_key):
        assert secret not in message
        assert secret not in caplog.text
    assert fake_api.posts() == []


def test_missing_variable_is_named_before_any_request(fake_api: FakeAPI) -> None:
    _, env = fake_api.add_x_user("CancilleriaPeru", "Cancillería", "CANCILLERIA_X")
    del env["CANCILLERIA_X_API_SECRET"]
    with pytest.raises(CredentialsError, match="CANCILLERIA_X_API_SECRET") as caught:
        XPublisher(x_account(), environment(env), fake_api.settings())
    assert caught.value.variable == "CANCILLERIA_X_API_SECRET"
    assert fake_api.requests() == []


def test_read_failures_are_retry_later_even_when_dropped(fake_api: FakeAPI) -> None:
    publisher, _ = make(fake_api)
    fake_api.inject_drop("x")
    with pytest.raises(RetryLater):
        publisher.find_recent("texto")


@pytest.mark.parametrize(
    "fault",
    [lambda api: api.server_error("x", 503), lambda api: api.server_error("x", 500), lambda api: api.html_502("x")],
    ids=["503", "500", "html 502"],
)
def test_the_same_answers_to_a_read_are_retry_later(fake_api: FakeAPI, fault: Callable[[FakeAPI], None]) -> None:
    """Issue 18: only a write can have landed; a failed lookup is simply tried again."""
    publisher, _ = make(fake_api)
    publisher.whoami()  # the user id, so find_recent makes one request
    fault(fake_api)
    with pytest.raises(RetryLater):
        publisher.find_recent("texto")


def test_503_after_the_post_was_created_is_outcome_unknown_and_the_post_exists(fake_api: FakeAPI) -> None:
    publisher, user = make(fake_api)
    fake_api.commit_then_error("x")
    with pytest.raises(OutcomeUnknown, match="may exist"):
        publisher.publish("Mensaje creado")
    assert [p.text for p in fake_api.posts("x", user.user_id)] == ["Mensaje creado"]


def test_the_fake_timeline_lags_like_the_real_one(fake_api: FakeAPI) -> None:
    """Issue 18: the fake's read path lags its write path (read_lag); duplicates are still refused meanwhile."""
    publisher, _ = make(fake_api)
    fake_api.read_lag = 0.6
    published = publisher.publish("Recién publicado")
    assert publisher.find_recent("Recién publicado") is None  # not visible yet
    with pytest.raises(AlreadyExists):
        publisher.publish("Recién publicado")
    assert fake_api.duplicates_refused == 1
    time.sleep(0.7)
    assert publisher.find_recent("Recién publicado") == published


@pytest.mark.parametrize(
    ("fault", "hold", "retry_at"),
    [
        (lambda api: api.x_daily_cap_used_up("app", RESET + 70_000), "app", _at(RESET + 70_000)),
        (lambda api: api.x_daily_cap_used_up("user", RESET + 50_000), "user", _at(RESET + 50_000)),
        (lambda api: api.x_rate_limited(RESET, user_24h_reset=RESET + 10, app_24h_reset=RESET + 70_000), "app", None),
        (lambda api: api.x_rate_limited(RESET), None, _at(RESET)),  # the 15-minute window: this post only
        (lambda api: api.x_usage_cap(), None, None),
    ],
    ids=["app cap", "user cap", "both caps", "15-minute window", "monthly usage cap"],
)
def test_a_429_says_which_24_hour_cap_is_used_up(
    fake_api: FakeAPI, fault: Callable[[FakeAPI], None], hold: str | None, retry_at: datetime | None
) -> None:
    """Issue 22: the app's cap holds every account of the app, the user's cap the account alone, until the
    cap's own reset (x-*-limit-24hour-reset), never the 15-minute window's."""
    publisher, _ = make(fake_api)
    fault(fake_api)
    with pytest.raises(RetryLater) as caught:
        publisher.publish("Un texto cualquiera")
    assert caught.value.hold == hold
    if retry_at is not None:
        assert caught.value.retry_at == retry_at
