"""The daemon without a subprocess: the catch-up decision, the state lock and one in-process run."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from bot.credentials import ConnectionSettings, Environment
from bot.model import Account, Plan, Post, Schedule
from bot.publishers.base import CredentialsError, OutcomeUnknown, Publisher, RetryLater
from bot.services.daemon import Daemon
from bot.services.decide import Step, decide
from bot.services.runner import RetryPolicy
from bot.services.settling import Settling
from bot.services.statelock import StateLock, StateLocked
from bot.states import Outcome
from bot.store.sqlite import SqliteOutbox
from tests.fakes import LIMA, T0, CommitThen, FakePublisher, make_account, make_post

CATCH_UP = timedelta(hours=6)


@pytest.fixture(name="outbox")
def outbox_fixture(tmp_path: Path) -> SqliteOutbox:
    return SqliteOutbox.open(tmp_path / "state")


def test_a_post_not_started_runs_at_its_time() -> None:
    post = make_post(at=T0)
    decision = decide(post, None, None, T0 - timedelta(minutes=5), CATCH_UP)
    assert (decision.kind, decision.at) == (Step.RUN, T0)


def test_a_late_post_runs_now_within_catch_up_and_is_missed_beyond_it() -> None:
    post = make_post(at=T0)
    within = decide(post, None, None, T0 + CATCH_UP, CATCH_UP)
    assert (within.kind, within.at) == (Step.RUN, T0 + CATCH_UP)
    beyond = decide(post, None, None, T0 + CATCH_UP + timedelta(seconds=1), CATCH_UP)
    assert beyond.kind == Step.MARK_MISSED and "more than --catch-up 6h00m" in beyond.reason


def test_a_started_thread_continues_however_late(outbox: SqliteOutbox) -> None:
    post = make_post(3, at=T0)
    outbox.freeze(post, T0)
    outbox.mark_sending(post.id, post.account.name, 1, T0)
    outbox.mark_sent(post.id, post.account.name, 1, "1001", "https://x.com/a/status/1001", T0)
    late = T0 + timedelta(days=2)
    decision = decide(post, outbox.post(*post.key), None, late, CATCH_UP)
    assert (decision.kind, decision.at) == (Step.RUN, late)


def test_a_fragment_left_sending_by_a_crash_is_run_first_whatever_the_time(outbox: SqliteOutbox) -> None:
    post = make_post(3, at=T0 + timedelta(hours=1))
    outbox.freeze(post, T0)
    outbox.mark_sending(post.id, post.account.name, 1, T0)
    decision = decide(post, outbox.post(*post.key), None, T0, CATCH_UP)
    assert (decision.kind, decision.at) == (Step.RUN, T0)


def test_complete_failed_missed_and_held_posts_are_not_scheduled(outbox: SqliteOutbox) -> None:
    done, failed, missed = (make_post(1, post_id=name) for name in ("done", "failed", "missed"))
    for post in (done, failed, missed):
        outbox.freeze(post, T0)
    outbox.mark_sending("done", done.account.name, 1, T0)
    outbox.mark_sent("done", done.account.name, 1, "9", "https://x.com/a/status/9", T0)
    outbox.mark_failed("failed", failed.account.name, 1, "rejected by x: too long", T0)
    outbox.mark_missed("missed", missed.account.name, "7h late", T0)
    assert decide(done, outbox.post(*done.key), None, T0, CATCH_UP).kind == Outcome.SENT
    assert decide(failed, outbox.post(*failed.key), None, T0, CATCH_UP).kind == Outcome.FAILED
    assert decide(missed, outbox.post(*missed.key), None, T0, CATCH_UP).kind == Outcome.MISSED
    held = decide(make_post(1, post_id="other"), None, "fix X_ACCESS_TOKEN then restart", T0, CATCH_UP)
    assert (held.kind, held.reason) == (Outcome.HELD, "fix X_ACCESS_TOKEN then restart")


def test_a_rate_limited_post_waits_for_its_retry_time(outbox: SqliteOutbox) -> None:
    post = make_post(2, at=T0)
    outbox.freeze(post, T0)
    retry_at = T0 + timedelta(minutes=15)
    outbox.record_outcome(post.id, post.account.name, Outcome.RETRY, "429", retry_at, T0)
    decision = decide(post, outbox.post(*post.key), None, T0 + timedelta(seconds=5), CATCH_UP)
    assert (decision.kind, decision.at) == (Step.RUN, retry_at)


def test_a_resumed_missed_post_is_measured_from_the_resume(outbox: SqliteOutbox) -> None:
    post = make_post(2, at=T0)
    outbox.freeze(post, T0)
    outbox.mark_missed(post.id, post.account.name, "late", T0)
    resumed_at = T0 + timedelta(days=1)
    outbox.resume(post.id, post.account.name, resumed_at)
    outbox.record_outcome(post.id, post.account.name, Outcome.RESUMED, "by a person", resumed_at, resumed_at)
    decision = decide(post, outbox.post(*post.key), None, resumed_at + timedelta(seconds=3), CATCH_UP)
    assert (decision.kind, decision.at) == (Step.RUN, resumed_at + timedelta(seconds=3))


def test_a_second_lock_on_the_same_state_folder_is_refused(tmp_path: Path) -> None:
    lock = StateLock.acquire(tmp_path / "state")
    try:
        with pytest.raises(StateLocked, match=r"another daemon \(pid \d+\) is already running"):
            StateLock.acquire(tmp_path / "state")
    finally:
        lock.release()
    StateLock.acquire(tmp_path / "state").release()  # free again once released


def test_an_account_whose_credentials_fail_is_held_and_the_other_account_publishes(
    tmp_path: Path, outbox: SqliteOutbox
) -> None:
    """In process, real scheduler and outbox, FakePublishers: the held account's later post is never tried."""
    x, fb = make_account("x_cancilleria"), make_account("fb_cancilleria", platform="facebook")
    now = datetime.now(UTC)
    posts = (
        make_post(3, post_id="mensaje", account=x, at=now + timedelta(seconds=0.3)),
        make_post(1, post_id="mensaje", account=fb, at=now + timedelta(seconds=0.3)),
        make_post(1, post_id="aviso", account=fb, at=now + timedelta(seconds=1.5), words="Aviso"),
    )
    publishers = {"x_cancilleria": FakePublisher("x"), "fb_cancilleria": FakePublisher("facebook")}
    publishers["fb_cancilleria"].fail_next(CredentialsError("token expired", "FB_CANCILLERIA_PAGE_TOKEN"))

    def factory(account: Account, env: Environment) -> Publisher:
        return publishers[account.name]

    accounts = {x.name: x, fb.name: fb}
    schedule = Schedule(tmp_path / "schedule.yaml", LIMA, accounts, ())
    daemon = Daemon(
        tmp_path / "schedule.yaml", tmp_path / "state", outbox, Environment({}), None, ConnectionSettings(),
        exit_when_done=True, publisher_factory=factory,
    )  # fmt: skip
    daemon.start(schedule, Plan(LIMA, now, posts))
    try:
        assert daemon.finished.wait(10), "every post should reach a final state"
    finally:
        daemon.shutdown()
    assert publishers["x_cancilleria"].texts() == [f.text for f in posts[0].fragments]
    assert [text for text, _ in publishers["fb_cancilleria"].publish_calls] == [posts[1].fragments[0].text]
    assert "FB_CANCILLERIA_PAGE_TOKEN" in (outbox.hold_reason("fb_cancilleria") or "")
    assert outbox.post("aviso", "fb_cancilleria") is None  # held before it was due: never frozen nor sent


def _run_in_process(
    tmp_path: Path, outbox: SqliteOutbox, publisher: FakePublisher, post: Post, policy: RetryPolicy
) -> None:
    """One account's post through a real scheduler and outbox, with `publisher`; returns when all is final."""
    schedule = Schedule(tmp_path / "schedule.yaml", LIMA, {post.account.name: post.account}, ())
    daemon = Daemon(
        tmp_path / "schedule.yaml", tmp_path / "state", outbox, Environment({}), None, ConnectionSettings(),
        exit_when_done=True, policy=policy, publisher_factory=lambda account, env: publisher,
    )  # fmt: skip
    daemon.start(schedule, Plan(LIMA, datetime.now(UTC), (post,)))
    try:
        assert daemon.finished.wait(10), "the post should reach a final state"
    finally:
        daemon.shutdown()


def test_a_post_in_doubt_is_looked_up_again_until_the_platform_answers(tmp_path: Path, outbox: SqliteOutbox) -> None:
    """The first fragment's answer is lost and two lookups fail: the third finds it, and the thread goes on."""
    post = make_post(3, account=make_account("x_cancilleria"), at=datetime.now(UTC) + timedelta(seconds=0.2))
    publisher = FakePublisher("x")
    publisher.fail_next(CommitThen(OutcomeUnknown("no answer")))
    publisher.fail_lookup(RetryLater("lookup: 503"), RetryLater("lookup: 503"))
    settling = Settling(window=timedelta(seconds=5), first_pause=timedelta(seconds=0.05))  # issue 18: timers
    fast = RetryPolicy(
        base=timedelta(seconds=0.05), max_delay=timedelta(seconds=0.1), max_attempts=3, settling=settling
    )
    _run_in_process(tmp_path, outbox, publisher, post, fast)
    assert publisher.texts() == [f.text for f in post.fragments]  # each once, in order
    assert len(publisher.lookup_calls) == 3
    assert [r.state for r in outbox.fragments_of(post.id, post.account.name)] == ["sent"] * 3


def test_a_post_in_doubt_stays_unknown_once_the_lookups_are_spent(tmp_path: Path, outbox: SqliteOutbox) -> None:
    post = make_post(2, account=make_account("x_cancilleria"), at=datetime.now(UTC) + timedelta(seconds=0.2))
    publisher = FakePublisher("x")
    publisher.fail_next(CommitThen(OutcomeUnknown("no answer")))
    publisher.lookup_fault = lambda text: RetryLater("lookup: 503")
    no_window = Settling(window=timedelta(0))  # past the settling window at once: the lookups' own backoff
    fast = RetryPolicy(
        base=timedelta(seconds=0.05), max_delay=timedelta(seconds=0.1), max_attempts=2, settling=no_window
    )
    _run_in_process(tmp_path, outbox, publisher, post, fast)
    assert len(publisher.lookup_calls) == 3  # the first, then two more: the policy's attempts
    assert publisher.texts() == [post.fragments[0].text]  # nothing resent blindly, nothing after it
    assert [r.state for r in outbox.fragments_of(post.id, post.account.name)] == ["unknown", "pending"]
