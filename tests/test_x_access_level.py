"""A token generated while the X app was Read only: `check` reports it, and a refused post is a credentials
hold with the fix, not a refused fragment. Real tweepy against tests/fakeapi.py, which sends x-access-level."""

from __future__ import annotations

import pytest

from bot.publishers.base import CredentialsError, Rejected
from bot.publishers.x import XPublisher
from bot.services.check import check_accounts, format_check
from tests.fakeapi import FakeAPI, XUser, environment, x_account
from tests.fakeapi import fake_api_fixture as fake_api_fixture

FIX = "Set the app to Read and write, then regenerate the access token"


def make(api: FakeAPI) -> tuple[XPublisher, XUser]:
    user, env = api.add_x_user("CancilleriaPeru", "Cancillería del Perú", "CANCILLERIA_X")
    return XPublisher(x_account(), environment(env), api.settings()), user


def test_check_reports_a_read_only_token_as_a_problem_with_the_fix(fake_api: FakeAPI) -> None:
    user, env = fake_api.add_x_user("CancilleriaPeru", "Cancillería del Perú", "CANCILLERIA_X")
    fake_api.x_access_level(user, "read")
    (result,) = check_accounts([x_account()], environment(env), fake_api.settings())
    assert result.status == "problem" and result.identity is not None  # it reads fine: who it is, is known
    (message,) = result.messages
    assert "read-only (x-access-level: read)" in message and FIX in message
    assert "CANCILLERIA_X_ACCESS_TOKEN and CANCILLERIA_X_ACCESS_TOKEN_SECRET" in message
    report = format_check([result])
    assert "PROBLEM  cancilleria [x, @CancilleriaPeru]: posts as @CancilleriaPeru" in report
    assert fake_api.posts() == []


@pytest.mark.parametrize("level", ["read-write", "read-write-directmessages"])
def test_check_accepts_write_access(fake_api: FakeAPI, level: str) -> None:
    user, env = fake_api.add_x_user("CancilleriaPeru", "Cancillería del Perú", "CANCILLERIA_X")
    fake_api.x_access_level(user, level)
    (result,) = check_accounts([x_account()], environment(env), fake_api.settings())
    assert result.status == "ok" and result.messages == ()


def test_check_says_when_the_access_level_cannot_be_read(fake_api: FakeAPI) -> None:
    user, env = fake_api.add_x_user("CancilleriaPeru", "Cancillería del Perú", "CANCILLERIA_X")
    fake_api.x_access_level(user, None)
    (result,) = check_accounts([x_account()], environment(env), fake_api.settings())
    assert result.status == "ok"
    assert "did not report the access level" in result.messages[0]
    assert "did not report the access level" in format_check([result])


def test_posting_with_a_read_only_token_is_a_credentials_hold(fake_api: FakeAPI) -> None:
    publisher, user = make(fake_api)
    fake_api.x_access_level(user, "read")
    with pytest.raises(CredentialsError) as caught:
        publisher.publish("1/2 ¡Felices Fiestas Patrias!")
    assert caught.value.variable == "CANCILLERIA_X_ACCESS_TOKEN"
    assert FIX in str(caught.value)
    assert fake_api.posts() == []


def test_read_only_is_learned_with_one_read_when_no_answer_carried_the_header(fake_api: FakeAPI) -> None:
    """The 403 itself may come without the header: one GET /2/users/me reads it (never a second POST)."""
    publisher, user = make(fake_api)
    fake_api.x_access_level(user, "read")
    fake_api.x_error(403, "Forbidden", "You are not permitted to perform this action.")  # a bare 403, no header
    with pytest.raises(CredentialsError, match="read-only"):
        publisher.publish("texto")
    assert fake_api.count("x", "POST") == 1 and fake_api.count("x", "GET") == 1


def test_over_length_with_write_access_is_still_a_refused_fragment(fake_api: FakeAPI) -> None:
    publisher, _ = make(fake_api)
    with pytest.raises(Rejected, match="not permitted") as caught:
        publisher.publish("x" * 281)
    assert not isinstance(caught.value, CredentialsError)
    assert fake_api.count("x", "GET") == 0  # the answer carried read-write: no look-up needed


def test_over_length_when_the_level_cannot_be_read_is_a_refused_fragment(fake_api: FakeAPI) -> None:
    publisher, user = make(fake_api)
    fake_api.x_access_level(user, None)
    with pytest.raises(Rejected, match="not permitted"):
        publisher.publish("x" * 281)


def test_code_261_cannot_perform_write_actions_is_a_credentials_hold(fake_api: FakeAPI) -> None:
    publisher, _ = make(fake_api)
    fake_api.x_cannot_write()
    with pytest.raises(CredentialsError) as caught:
        publisher.publish("texto")
    assert "code 261" in str(caught.value) and FIX in str(caught.value)
    assert caught.value.variable == "CANCILLERIA_X_ACCESS_TOKEN"
