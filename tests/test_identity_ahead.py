"""X's who-am-I check made at the daemon's start, not at the post's time (issue 22 item 3), against the fake API
with the real tweepy: a match spares the post's time its GET; a mismatch still refuses and holds at send time."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

from bot.publishers.x import XPublisher
from bot.services.accounts import Accounts
from bot.services.job import RunSettings, run_job
from bot.services.runner import RetryPolicy
from bot.states import Outcome
from bot.store.sqlite import SqliteOutbox
from tests.fakeapi import FakeAPI, environment, fake_api_fixture, x_account  # noqa: F401
from tests.fakes import T0, FakeClock, make_post

SETTINGS = RunSettings(timedelta(minutes=15), RetryPolicy(max_attempts=4, random=lambda: 0.5), lambda: False)


def test_the_check_made_ahead_is_not_made_again_at_the_posts_time(tmp_path: Path, fake_api: FakeAPI) -> None:
    _, mine = fake_api.add_x_user("CancilleriaPeru", "Cancillería del Perú", "CANCILLERIA_X")
    post = make_post(2, account=x_account())
    accounts = Accounts(environment(mine), lambda account, env: XPublisher(account, env, fake_api.settings()))
    accounts.identify_ahead([post, post]).join(30)  # one look per account, however many posts it has
    assert fake_api.count("x", "GET") == 1 and fake_api.posts() == []
    outbox = SqliteOutbox.open(tmp_path / "state")
    try:
        assert run_job(post, outbox, accounts, FakeClock(T0), SETTINGS).kind == Outcome.SENT
        assert len(fake_api.posts()) == 2 and fake_api.count("x", "GET") == 1  # nothing asked at the post's time
    finally:
        outbox.close()


def test_a_token_of_another_handle_seen_ahead_is_still_refused_at_send_time(tmp_path: Path, fake_api: FakeAPI) -> None:
    fake_api.add_x_user("CancilleriaPeru", "Cancillería del Perú", "CANCILLERIA_X")
    _, other = fake_api.add_x_user("OtraCuenta", "Otra cuenta", "CANCILLERIA_X")  # its tokens, under our names
    account = x_account()
    post = make_post(2, account=account)
    accounts = Accounts(environment(other), lambda account, env: XPublisher(account, env, fake_api.settings()))
    accounts.identify_ahead([post]).join(30)
    outbox = SqliteOutbox.open(tmp_path / "state")
    try:
        result = run_job(post, outbox, accounts, FakeClock(T0), SETTINGS)
        assert result.kind == Outcome.HELD
        hold = outbox.hold_reason(account.name)
        assert hold is not None and "post as @OtraCuenta, not as @CancilleriaPeru" in hold
        assert fake_api.posts() == []
        assert [r.state for r in outbox.fragments_of(post.id, account.name)] == ["pending", "pending"]
    finally:
        outbox.close()


def test_new_credentials_are_checked_again(tmp_path: Path, fake_api: FakeAPI) -> None:
    _, mine = fake_api.add_x_user("CancilleriaPeru", "Cancillería del Perú", "CANCILLERIA_X")
    _, other = fake_api.add_x_user("OtraCuenta", "Otra cuenta", "CANCILLERIA_X")
    post = make_post(1, account=x_account())
    accounts = Accounts(environment(mine), lambda account, env: XPublisher(account, env, fake_api.settings()))
    accounts.identify_ahead([post]).join(30)
    accounts.reset(environment(other))  # .env read again (a reload): the check made ahead no longer counts
    outbox = SqliteOutbox.open(tmp_path / "state")
    try:
        assert run_job(post, outbox, accounts, FakeClock(T0), SETTINGS).kind == Outcome.HELD
        assert fake_api.posts() == [] and fake_api.count("x", "GET") == 2
    finally:
        outbox.close()
