"""The Facebook adapter driven through the real facebook-sdk 3.1.0 against the local fake API."""

from __future__ import annotations

import logging
import socket
import time
from collections.abc import Callable

import pytest

from bot.credentials import ConnectionSettings
from bot.publishers.base import (
    AlreadyExists,
    CredentialsError,
    OutcomeUnknown,
    PublishError,
    Rejected,
    RetryLater,
)
from bot.publishers.facebook import FacebookPublisher
from tests.fakeapi import FacebookPage, FakeAPI, environment, facebook_account, fake_api_fixture  # noqa: F401


def make(api: FakeAPI, version: str = "v25.0", timeout: float = 0.5) -> tuple[FacebookPublisher, FacebookPage]:
    page, env = api.add_page("104", "Cancillería del Perú", "CANCILLERIA_FB")
    settings = api.settings(timeout=timeout, graph_version=version)
    return FacebookPublisher(facebook_account(page_id="104"), environment(env), settings), page


def test_post_is_stored_with_the_configured_graph_version(fake_api: FakeAPI) -> None:
    publisher, page = make(fake_api)
    published = publisher.publish("¡Felices Fiestas Patrias!")
    (post,) = fake_api.posts("facebook", page.page_id)
    assert post.text == "¡Felices Fiestas Patrias!"
    assert published.remote_id == post.id
    assert published.url == f"https://www.facebook.com/{post.id}"
    assert fake_api.graph_versions == ["v25.0"]  # not the library's default v2.8


def test_any_current_version_works_although_the_library_rejects_it(fake_api: FakeAPI) -> None:
    publisher, _ = make(fake_api, version="v26.0")
    publisher.publish("texto")
    publisher.whoami()
    publisher.find_recent("texto")
    assert fake_api.graph_versions == ["v26.0", "v26.0", "v26.0"]


def test_reply_to_is_ignored_a_continuation_is_another_page_post(fake_api: FakeAPI) -> None:
    publisher, page = make(fake_api)
    first = publisher.publish("1/2 primera parte")
    publisher.publish("2/2 segunda parte", reply_to=first.remote_id)
    posts = fake_api.posts("facebook", page.page_id)
    assert [(p.text, p.reply_to) for p in posts] == [("1/2 primera parte", None), ("2/2 segunda parte", None)]


def test_whoami_returns_the_page(fake_api: FakeAPI) -> None:
    publisher, _ = make(fake_api)
    identity = publisher.whoami()
    assert (identity.id, identity.name, identity.handle) == ("104", "Cancillería del Perú", None)


def test_committed_then_dropped_post_is_outcome_unknown_and_found_afterwards(fake_api: FakeAPI) -> None:
    publisher, page = make(fake_api)
    fake_api.commit_then_drop("facebook")
    with pytest.raises(OutcomeUnknown):
        publisher.publish("Mensaje del Canciller")
    (stored,) = fake_api.posts("facebook", page.page_id)
    found = publisher.find_recent("Mensaje del Canciller")
    assert found is not None and found.remote_id == stored.id
    with pytest.raises(AlreadyExists):
        publisher.publish("Mensaje del Canciller")


def test_slow_answer_times_out_as_outcome_unknown(fake_api: FakeAPI) -> None:
    publisher, page = make(fake_api, timeout=0.3)
    fake_api.commit_then_slow("facebook", delay=1.0)
    with pytest.raises(OutcomeUnknown):
        publisher.publish("lento")
    assert [p.text for p in fake_api.posts("facebook", page.page_id)] == ["lento"]


FAULTS: list[tuple[str, Callable[[FakeAPI], None], type[PublishError]]] = [
    *[
        (f"throttled {code}", lambda api, c=code: api.graph_throttled(c), RetryLater)
        for code in (4, 17, 32, 613, 80001)
    ],
    # issue 18: on a write, codes 1/2, is_transient and an error page prove nothing: the post may exist
    ("unknown error 1", lambda api: api.graph_error(1, "An unknown error occurred"), OutcomeUnknown),
    ("temporary 2", lambda api: api.server_error("facebook"), OutcomeUnknown),
    ("is_transient", lambda api: api.graph_error(9999, "Something transient", is_transient=True), OutcomeUnknown),
    ("html 502", lambda api: api.html_502("facebook"), OutcomeUnknown),
    ("token expired 190", lambda api: api.graph_token_expired(), CredentialsError),
    ("permission 10", lambda api: api.graph_error(10, "(#10) Permission denied"), CredentialsError),
    (
        "permission 200",
        lambda api: api.graph_error(200, "(#200) Requires pages_manage_posts"),
        CredentialsError,
    ),
    ("duplicate 506", lambda api: api.graph_error(506, "Duplicate status message", 1455006), AlreadyExists),
    ("invalid 100", lambda api: api.graph_error(100, "(#100) Invalid parameter"), Rejected),
    (
        "abusive 368",
        lambda api: api.graph_error(368, "The action attempted has been deemed abusive"),
        Rejected,
    ),
    ("no content type", lambda api: api.no_content_type("facebook"), OutcomeUnknown),
    ("dropped, nothing stored", lambda api: api.inject_drop("facebook"), OutcomeUnknown),
]


@pytest.mark.parametrize(("fault", "expected"), [f[1:] for f in FAULTS], ids=[f[0] for f in FAULTS])
def test_each_fault_maps_to_one_taxonomy_class(
    fake_api: FakeAPI, fault: Callable[[FakeAPI], None], expected: type[PublishError]
) -> None:
    publisher, _ = make(fake_api)
    fault(fake_api)
    with pytest.raises(PublishError) as caught:
        publisher.publish("Un texto")
    assert type(caught.value) is expected


def test_permission_error_names_the_permission_and_variable(fake_api: FakeAPI) -> None:
    publisher, _ = make(fake_api)
    fake_api.graph_error(200, "(#200) Requires pages_manage_posts permission")
    with pytest.raises(CredentialsError, match="lacks the pages_manage_posts permission") as caught:
        publisher.publish("texto")
    assert caught.value.variable == "CANCILLERIA_FB_PAGE_TOKEN"


def test_reads_that_fail_are_retry_later(fake_api: FakeAPI) -> None:
    publisher, _ = make(fake_api)
    fake_api.no_content_type("facebook")
    with pytest.raises(RetryLater):
        publisher.find_recent("texto")
    fake_api.inject_drop("facebook")
    with pytest.raises(RetryLater):
        publisher.whoami()


def test_wrong_token_names_the_variable_and_never_shows_the_token(
    fake_api: FakeAPI, caplog: pytest.LogCaptureFixture
) -> None:
    page, _ = fake_api.add_page("104", "Cancillería", "CANCILLERIA_FB")
    wrong = "EAAGwrongtoken1234567890abcd"
    env = environment({"CANCILLERIA_FB_PAGE_TOKEN": wrong})
    publisher = FacebookPublisher(facebook_account(page_id="104"), env, fake_api.settings())
    caplog.set_level(logging.DEBUG)
    for call in (
        lambda: publisher.whoami(),
        lambda: publisher.publish("texto"),
        lambda: publisher.find_recent("x"),
    ):
        with pytest.raises(CredentialsError) as caught:
            call()
        message = str(caught.value)
        assert message.startswith("CANCILLERIA_FB_PAGE_TOKEN was rejected by Facebook (token expired or invalid)")
        assert "put it in .env" in message
        assert caught.value.variable == "CANCILLERIA_FB_PAGE_TOKEN"
        assert wrong not in message
    assert "access_token=<redacted>" in caplog.text  # urllib3 logged the GET URLs, masked
    assert wrong not in caplog.text and page.token not in caplog.text
    assert fake_api.posts() == []


def test_missing_token_is_named_before_any_request(fake_api: FakeAPI) -> None:
    with pytest.raises(CredentialsError, match="CANCILLERIA_FB_PAGE_TOKEN is not set"):
        FacebookPublisher(facebook_account(), environment({}), fake_api.settings())
    assert fake_api.requests() == []


def test_connection_refused_is_retry_later() -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    settings = ConnectionSettings(facebook_graph_url=f"http://127.0.0.1:{port}", timeout_seconds=0.5)
    env = environment({"CANCILLERIA_FB_PAGE_TOKEN": "EAAG-some-token-value"})
    with pytest.raises(RetryLater, match="before the request was sent"):
        FacebookPublisher(facebook_account(), env, settings).publish("texto")


@pytest.mark.parametrize(
    "fault",
    [
        lambda api: api.server_error("facebook"),
        lambda api: api.graph_error(1, "An unknown error occurred"),
        lambda api: api.graph_error(9999, "Something transient", is_transient=True),
        lambda api: api.html_502("facebook"),
    ],
    ids=["code 2", "code 1", "is_transient", "html 502"],
)
def test_the_same_answers_to_a_read_are_retry_later(fake_api: FakeAPI, fault: Callable[[FakeAPI], None]) -> None:
    """Issue 18: only a write can have landed; a failed lookup is simply tried again."""
    publisher, _ = make(fake_api)
    fault(fake_api)
    with pytest.raises(RetryLater):
        publisher.find_recent("texto")


def test_code_2_after_the_post_was_created_is_outcome_unknown_and_the_post_exists(fake_api: FakeAPI) -> None:
    publisher, page = make(fake_api)
    fake_api.commit_then_error("facebook")
    with pytest.raises(OutcomeUnknown, match="may exist"):
        publisher.publish("Mensaje creado")
    assert [p.text for p in fake_api.posts("facebook", page.page_id)] == ["Mensaje creado"]


def test_the_fake_feed_lags_like_the_real_one(fake_api: FakeAPI) -> None:
    """Issue 18: the fake's /feed misses a post for read_lag seconds; duplicates are still refused meanwhile."""
    publisher, _ = make(fake_api)
    fake_api.read_lag = 0.6
    published = publisher.publish("Recién publicado")
    assert publisher.find_recent("Recién publicado") is None
    with pytest.raises(AlreadyExists):
        publisher.publish("Recién publicado")
    assert fake_api.duplicates_refused == 1
    time.sleep(0.7)
    assert publisher.find_recent("Recién publicado") == published
