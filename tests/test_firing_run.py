"""run_post (bot/services/firing.py) on PostgreSQL: a post begun in the lease's round trip only when run_job would
send it without another question; every other case still gets what run_job decides, and nothing left `sending`.

The job runs as the daemon runs it, with a FakePublisher, against a fresh database (tests/conftest.py `pg_url`).
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from zoneinfo import ZoneInfo

import pytest

from bot.credentials import Environment
from bot.model import Plan, Post
from bot.services.accounts import Accounts
from bot.services.approvalgate import ApprovalGate
from bot.services.firing import run_post
from bot.services.job import JobResult, RunSettings
from bot.services.publishing import LeaseSettings, Publishing
from bot.services.runner import RetryPolicy
from bot.states import Outcome
from bot.store.postgres import PostgresOutbox
from tests.fakes import T0, FakePublisher, make_post

CATCH_UP = timedelta(minutes=15)


@pytest.fixture
def store(pg_url: str) -> Iterator[PostgresOutbox]:
    opened = PostgresOutbox.open(pg_url)
    yield opened
    opened.close()


def run(
    store: PostgresOutbox,
    post: Post,
    *,
    at: timedelta = timedelta(0),
    gate: ApprovalGate | None = None,
    ready: bool = True,
    stopping: bool = False,
) -> tuple[JobResult, FakePublisher]:
    publisher = FakePublisher()
    accounts = Accounts(Environment({}), lambda account, env: publisher)
    clock = lambda: T0 + at  # noqa: E731
    if ready:  # made at start, as the daemon's identify_ahead does
        assert accounts.publisher(post, store, clock) is not None
    settings = RunSettings(CATCH_UP, RetryPolicy(), lambda: stopping, gate)
    result = run_post(Publishing(store, store, LeaseSettings(), clock), post, accounts, clock, settings)
    return result, publisher


def states(store: PostgresOutbox, post: Post) -> list[str]:
    return [str(r.state) for r in store.fragments_of(post.id, post.account.name)]


def test_a_due_post_is_sent_whole_and_its_lease_released(store: PostgresOutbox) -> None:
    post = make_post(3)
    result, publisher = run(store, post)
    assert result.kind == Outcome.SENT and len(publisher.posts) == 3
    assert states(store, post) == ["sent"] * 3 and store.leases() == []


def test_the_same_post_without_its_publisher_made_goes_the_usual_way_with_the_same_result(
    store: PostgresOutbox,
) -> None:
    post = make_post(3)
    result, publisher = run(store, post, ready=False)
    assert result.kind == Outcome.SENT and len(publisher.posts) == 3
    assert states(store, post) == ["sent"] * 3


def test_an_unapproved_post_awaits_approval_and_nothing_is_marked(store: PostgresOutbox) -> None:
    post = make_post(2)
    gate = ApprovalGate(store)
    gate.install(Plan(ZoneInfo("America/Lima"), T0, (post,), approval_required=True))
    result, publisher = run(store, post, gate=gate)
    assert result.kind == Outcome.AWAITING and publisher.posts == []
    assert states(store, post) == ["pending", "pending"]


def test_a_held_account_stays_held_and_nothing_is_marked(store: PostgresOutbox) -> None:
    post = make_post(2)
    store.hold(post.account.name, "fix X_CANCILLERIA_API_KEY then restart", T0)
    result, publisher = run(store, post)
    assert result.kind == Outcome.HELD and publisher.posts == []
    assert states(store, post) == []


@pytest.mark.parametrize(
    ("at", "kind"), [(-timedelta(seconds=1), Outcome.LATER), (CATCH_UP + timedelta(seconds=1), Outcome.MISSED)]
)
def test_too_early_or_too_late_is_decided_as_before(store: PostgresOutbox, at: timedelta, kind: Outcome) -> None:
    post = make_post(2)
    result, publisher = run(store, post, at=at)
    assert result.kind == kind and publisher.posts == []
    assert states(store, post) == ([] if kind == Outcome.LATER else ["missed", "missed"])


def test_a_stop_asked_sends_nothing(store: PostgresOutbox) -> None:
    post = make_post(2)
    result, publisher = run(store, post, stopping=True)
    assert publisher.posts == [] and states(store, post) == ["pending", "pending"]  # frozen, nothing marked
    assert result.kind == Outcome.STOPPED, result


def test_a_post_frozen_before_its_time_is_sent_the_usual_way(store: PostgresOutbox) -> None:
    post = make_post(3)
    store.freeze(post, T0 - timedelta(minutes=1))  # e.g. recorded while it awaited an approval
    result, publisher = run(store, post)
    assert result.kind == Outcome.SENT and [p.text for p in publisher.posts] == [f.text for f in post.fragments]
    assert states(store, post) == ["sent"] * 3
