"""X's who-am-I asked once per distinct set of tokens, not per account, and not again by a reload (issue 22 item 1):
against the fake API with the real tweepy and facebook-sdk, the GETs counted where the fake X receives them."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from dataclasses import replace
from datetime import timedelta
from pathlib import Path

import pytest

from bot.credentials import Environment
from bot.model import Account
from bot.publishers.base import Publisher
from bot.publishers.facebook import FacebookPublisher
from bot.publishers.x import XPublisher
from bot.services.accounts import Accounts
from bot.services.job import RunSettings, run_job
from bot.services.runner import RetryPolicy
from bot.states import Outcome
from bot.store.sqlite import SqliteOutbox
from tests.fakeapi import FakeAPI, environment, facebook_account, fake_api_fixture, x_account  # noqa: F401
from tests.fakes import T0, FakeClock, make_post

SETTINGS = RunSettings(timedelta(minutes=15), RetryPolicy(max_attempts=4, random=lambda: 0.5), lambda: False)


class Built:
    """The test's publisher factory: the real adapters against the fake API, and which accounts it was asked for."""

    def __init__(self, fake_api: FakeAPI) -> None:
        self.fake_api = fake_api
        self.names: list[str] = []

    def __call__(self, account: Account, env: Environment) -> Publisher:
        self.names.append(account.name)
        if account.platform == "x":
            return XPublisher(account, env, self.fake_api.settings())
        return FacebookPublisher(account, env, self.fake_api.settings())


@pytest.fixture(name="outbox")
def outbox_fixture(tmp_path: Path) -> Iterator[SqliteOutbox]:
    outbox = SqliteOutbox.open(tmp_path / "state")
    try:
        yield outbox
    finally:
        outbox.close()


def _send(post_account: Account, accounts: Accounts, outbox: SqliteOutbox, post_id: str = "mensaje") -> Outcome:
    """Run one post of the account (its own words: X refuses the same text twice from one user)."""
    post = make_post(
        1, post_id=post_id, account=post_account, words=f"¡Felices Fiestas Patrias! ({post_account.name}, {post_id})"
    )
    return run_job(post, outbox, accounts, FakeClock(T0), SETTINGS).kind


def test_accounts_sharing_tokens_are_asked_once_and_facebook_not_at_all_every_publisher_made_ahead(
    fake_api: FakeAPI, outbox: SqliteOutbox
) -> None:
    _, tokens = fake_api.add_x_user("CancilleriaPeru", "Cancillería del Perú", "CANCILLERIA_X")
    copy = {name.replace("CANCILLERIA_X", "PRENSA_X"): value for name, value in tokens.items()}  # same values
    _, page = fake_api.add_page("104", "Cancillería del Perú", "CANCILLERIA_FB")
    first, second = x_account(), x_account(name="prensa", prefix="PRENSA_X")
    page_account = facebook_account()
    built = Built(fake_api)
    accounts = Accounts(environment(tokens, copy, page), built)
    posts = [make_post(1, account=a) for a in (first, second, page_account)]
    accounts.identify_ahead(posts).join(30)
    assert fake_api.count("x", "GET") == 1  # one set of tokens: one who-am-I for both accounts
    assert fake_api.count("facebook", "GET") == 0  # nothing asked of the Page
    # every publisher made ahead (no request), so that each post can begin in its lease's round trip
    assert sorted(built.names) == sorted(a.name for a in (first, second, page_account))
    assert all(accounts.ready(a) for a in (first, second, page_account))
    assert _send(first, accounts, outbox) == Outcome.SENT
    assert _send(second, accounts, outbox) == Outcome.SENT
    assert fake_api.count("x", "GET") == 1  # neither asked again at its post's time
    assert len(fake_api.posts("x")) == 2


def test_an_account_sharing_tokens_of_another_handle_is_still_refused(fake_api: FakeAPI, outbox: SqliteOutbox) -> None:
    _, tokens = fake_api.add_x_user("CancilleriaPeru", "Cancillería del Perú", "CANCILLERIA_X")
    right, wrong = x_account(), x_account(name="otra", handle="OtraCuenta")  # the same tokens, another handle
    accounts = Accounts(environment(tokens), Built(fake_api))
    accounts.identify_ahead([make_post(1, account=right), make_post(1, account=wrong)]).join(30)
    assert fake_api.count("x", "GET") == 1
    assert _send(wrong, accounts, outbox) == Outcome.HELD  # the known answer is not its handle: asked, refused
    hold = outbox.hold_reason(wrong.name)
    assert hold is not None and "post as @CancilleriaPeru, not as @OtraCuenta" in hold
    assert fake_api.count("x", "GET") == 2 and fake_api.posts() == []


def test_a_reload_asks_only_for_what_changed(fake_api: FakeAPI, outbox: SqliteOutbox) -> None:
    _, mine = fake_api.add_x_user("CancilleriaPeru", "Cancillería del Perú", "CANCILLERIA_X")
    _, theirs = fake_api.add_x_user("PeruEnEspana", "Perú en España", "MADRID_X")
    lima, madrid = x_account(), x_account(name="madrid", handle="PeruEnEspana", prefix="MADRID_X")
    accounts = Accounts(environment(mine, theirs), Built(fake_api))
    accounts.identify_ahead([make_post(1, account=lima), make_post(1, account=madrid)]).join(30)
    assert fake_api.count("x", "GET") == 2
    # A reload reads the schedule and .env again: equal accounts (new objects), the same tokens.
    accounts.install([replace(lima), replace(madrid)])
    accounts.reset(environment(dict(mine), dict(theirs)))
    accounts.identify_ahead([make_post(1, account=replace(lima)), make_post(1, account=replace(madrid))]).join(30)
    assert _send(replace(lima), accounts, outbox) == Outcome.SENT
    assert fake_api.count("x", "GET") == 2  # nothing asked again for unchanged tokens and handles
    # Madrid's tokens replaced by those of another user: only that account is asked, and refused.
    _, other = fake_api.add_x_user("OtraCuenta", "Otra cuenta", "MADRID_X")
    accounts.reset(environment(mine, other))
    assert _send(replace(madrid), accounts, outbox, "otro") == Outcome.HELD
    assert _send(lima, accounts, outbox, "otro") == Outcome.SENT
    assert fake_api.count("x", "GET") == 3


def test_the_end_of_the_checks_is_logged(fake_api: FakeAPI, caplog: pytest.LogCaptureFixture) -> None:
    _, mine = fake_api.add_x_user("CancilleriaPeru", "Cancillería del Perú", "CANCILLERIA_X")
    _, other = fake_api.add_x_user("OtraCuenta", "Otra cuenta", "MADRID_X")
    accounts = Accounts(environment(mine, other), Built(fake_api))
    posts = [
        make_post(1, account=x_account()),
        make_post(1, account=x_account(name="prensa")),  # the same tokens
        make_post(1, account=x_account(name="madrid", handle="PeruEnEspana", prefix="MADRID_X")),  # not its own
        make_post(1, account=facebook_account()),
    ]
    moments = iter([100.0, 102.5])
    with caplog.at_level(logging.INFO, logger="bot.daemon"):
        accounts.identify_ahead(posts, clock=lambda: next(moments)).join(30)
    lines = [r.getMessage() for r in caplog.records if r.name == "bot.daemon"]
    assert lines == [
        "identities of 3 X accounts checked in 2.5 s (look-ups: 2; not confirmed, asked again before the first post: 1)"
    ]
    assert fake_api.count("x", "GET") == 2
