"""Publishing under a lease (bot/services/publishing.py) on a real PostgreSQL outbox, and store selection.

The daemons' end-to-end behaviour is tests/test_e2e_ha.py; here one process plays two daemons (two owners).
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import psycopg
import pytest

from bot.credentials import Environment
from bot.publishers.base import OutcomeUnknown
from bot.services.job import JobResult
from bot.services.publishing import LeaseSettings, Publishing
from bot.services.runner import RetryPolicy, publish_post
from bot.services.stores import lease_settings
from bot.states import FragmentState, Outcome
from bot.store import Outbox
from bot.store.leases import LeaseLost, takeover_wait
from bot.store.postgres import PostgresOutbox
from tests.fakes import FakePublisher, make_post
from tests.helpers import run_cli

SETTINGS = LeaseSettings(timedelta(seconds=5), http_timeout_seconds=1.0)


def _now() -> datetime:
    return datetime.now(UTC)


@pytest.fixture(name="store")
def store_fixture(pg_url: str) -> Iterator[PostgresOutbox]:
    store = PostgresOutbox.open(pg_url)
    yield store
    store.close()


def test_a_second_daemon_comes_back_when_the_holders_lease_expires_and_the_lease_is_released_after(
    store: PostgresOutbox,
) -> None:
    post = make_post(2)
    first = Publishing(store, store, SETTINGS, _now, owner="daemon-a")
    second = Publishing(store, store, SETTINGS, _now, owner="daemon-b")
    seen: list[JobResult] = []

    def body(outbox: Outbox) -> JobResult:
        seen.append(second.run(post, lambda _: JobResult(Outcome.SENT)))  # while the first one holds it
        result = publish_post(post, outbox, FakePublisher(), _now, RetryPolicy())
        return JobResult(result.kind, result.next_at, result.message)

    assert first.run(post, body).kind == Outcome.SENT
    (waiting,) = seen
    assert waiting.kind == Outcome.LATER and "daemon-a" in waiting.message
    assert waiting.at is not None and waiting.at > _now()
    assert store.leases() == []  # released after a normal run: the next holder need not wait


def test_a_fragment_in_doubt_keeps_the_lease_until_it_is_settled_and_a_clean_exit_releases_it(
    store: PostgresOutbox,
) -> None:
    """Issue 18: a `settling` run keeps its lease (renewed), so no other daemon looks the fragment up and sends
    it again meanwhile; the next run takes the kept lease back; close() releases it (nothing is in flight)."""
    post = make_post(2)
    first = Publishing(store, store, SETTINGS, _now, owner="daemon-a")
    second = Publishing(store, store, SETTINGS, _now, owner="daemon-b")
    publisher = FakePublisher()
    publisher.fail_next(OutcomeUnknown("X: POST /2/tweets (503): Service Unavailable"))

    def body(outbox: Outbox) -> JobResult:
        result = publish_post(post, outbox, publisher, _now, RetryPolicy())
        return JobResult(result.kind, result.next_at, result.message)

    try:
        assert first.run(post, body).kind == Outcome.SETTLING
        (lease,) = store.leases()
        assert lease.owner == "daemon-a"
        other = second.run(post, lambda _: JobResult(Outcome.SENT))
        assert other.kind == Outcome.LATER and "daemon-a" in other.message  # held: not looked up, not resent
        again = first.run(post, body)  # the next lookup: the same lease, taken back
        assert again.kind == Outcome.SETTLING
        assert [info.token for info in store.leases()] == [lease.token]
        assert len(publisher.publish_calls) == 1 and len(publisher.lookup_calls) == 2
    finally:
        first.close()
        second.close()
    assert store.leases() == []


def test_the_runner_sends_nothing_once_the_send_grace_after_mark_sending_has_passed(pg_url: str) -> None:
    ticks = [0.0]

    def monotonic() -> float:  # every call is 1.5 s later: mark_sending's start to the request exceeds 2 s
        ticks[0] += 1.5
        return ticks[0]

    store = PostgresOutbox.open(pg_url, monotonic=monotonic)
    try:
        post = make_post(2)
        lease = store.acquire_lease(post.id, post.account.name, "daemon-a", timedelta(seconds=60))
        assert lease is not None
        publisher = FakePublisher()
        with pytest.raises(LeaseLost, match="since mark_sending"):
            publish_post(post, store.as_holder(lease), publisher, _now, RetryPolicy())
        assert publisher.publish_calls == []
        states = [r.state for r in store.fragments_of(post.id, post.account.name)]
        assert states == [FragmentState.PENDING, FragmentState.PENDING]  # put back: nothing went out
    finally:
        store.close()


def test_a_run_whose_lease_was_taken_over_sends_nothing_and_retries(store: PostgresOutbox, pg_url: str) -> None:
    post = make_post(2)
    publishing = Publishing(store, store, SETTINGS, _now, owner="daemon-a")
    publisher = FakePublisher()

    def body(outbox: Outbox) -> JobResult:
        with psycopg.connect(pg_url, autocommit=True) as db:  # another daemon's token now (a takeover)
            db.execute("UPDATE leases SET token = token + 1000")
        result = publish_post(post, outbox, publisher, _now, RetryPolicy())
        return JobResult(result.kind, result.next_at, result.message)

    result = publishing.run(post, body)
    assert result.kind == Outcome.RETRY and "no longer current" in result.message
    assert publisher.publish_calls == []


class Died(Exception):
    """The holder's run ends without releasing its lease, as a killed daemon's does."""


def test_a_daemon_with_a_shorter_http_timeout_waits_for_the_old_holders_longer_bound(store: PostgresOutbox) -> None:
    post = make_post(2)
    ttl = timedelta(milliseconds=300)
    slow = Publishing(store, store, LeaseSettings(ttl, http_timeout_seconds=3.0), _now, owner="daemon-a")
    quick = Publishing(store, store, LeaseSettings(ttl, http_timeout_seconds=0.1), _now, owner="daemon-b")

    def dies(outbox: Outbox) -> JobResult:
        outbox.freeze(post, _now())
        outbox.mark_sending(post.id, post.account.name, 1, _now())  # its request may be in flight from here
        raise Died

    with pytest.raises(Died):
        slow.run(post, dies)
    (held,) = store.leases()
    time.sleep(ttl.total_seconds() + 0.1)  # the lease expires on the database's clock
    try:
        result = quick.run(post, lambda _: JobResult(Outcome.SENT))
        assert (result.kind, result.message) == (Outcome.LATER, "takeover: waiting")
        (taken,) = store.leases()
        assert taken.owner == "daemon-b"
        assert taken.usable_at == held.renewed_at + takeover_wait(3.0)  # daemon-a's 3 s + 2 s, not 0.1 s + 2 s
        assert result.at is not None and result.at > _now() + takeover_wait(0.1)
    finally:
        quick.close()


def test_without_leases_the_run_goes_straight_to_the_outbox(tmp_path: Path) -> None:
    from bot.store.sqlite import SqliteOutbox

    outbox = SqliteOutbox.open(tmp_path / "state")
    try:
        publishing = Publishing(outbox, None, LeaseSettings(), _now)
        assert publishing.run(make_post(1), lambda o: JobResult(Outcome.SENT, None, str(o is outbox))).message == "True"
        outbox.assert_may_send()  # a no-op: one daemon per state folder
    finally:
        outbox.close()


@pytest.mark.parametrize("value", ["0", "abc", "nan", "7200"])
def test_a_bad_lease_length_is_refused_naming_the_setting(value: str) -> None:
    with pytest.raises(ValueError, match="LEASE_SECONDS"):
        lease_settings(None, Environment({"LEASE_SECONDS": value}), 30.0)
    assert lease_settings(None, Environment({"LEASE_SECONDS": "3"}), 1.0).ttl == timedelta(seconds=3)
    assert lease_settings(None, Environment({}), 30.0).takeover_wait == timedelta(seconds=32)


def test_status_refuses_a_database_written_by_a_newer_bot(store: PostgresOutbox, pg_url: str) -> None:
    with psycopg.connect(pg_url, autocommit=True) as db:
        db.execute("UPDATE bot_schema SET version = version + 1")
    result = run_cli("status", "--database-url", pg_url)
    assert result.returncode == 1, result.stdout + result.stderr
    assert "newer" in result.stderr and "Traceback" not in result.stderr
