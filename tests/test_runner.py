"""publish_post against the in-memory FakePublisher and a real SqliteOutbox in a temporary folder."""

from __future__ import annotations

import logging
import random
import threading
from collections import Counter
from datetime import datetime, timedelta
from pathlib import Path

import pytest

from bot.model import Post
from bot.publishers.base import (
    AlreadyExists,
    CredentialsError,
    OutcomeUnknown,
    Rejected,
    ReplyRefused,
    RetryLater,
)
from bot.services.runner import RetryPolicy, RunOutcome, publish_post
from bot.services.settling import Settling
from bot.states import Outcome, PostState
from bot.store.sqlite import SqliteOutbox
from tests.fakes import T0, CommitThen, FakeClock, FakePublisher, make_account, make_post

ACCOUNT = "x_cancilleria"
POLICY = RetryPolicy(max_attempts=4, random=lambda: 0.5)


class Crash(BaseException):
    """The process dies here: nothing after this point runs, nothing is recorded."""


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock(T0)


def run(
    post: Post, outbox: SqliteOutbox, publisher: FakePublisher, clock: FakeClock, policy: RetryPolicy = POLICY
) -> RunOutcome:
    return publish_post(post, outbox, publisher, clock, policy)


def settle(
    post: Post, outbox: SqliteOutbox, publisher: FakePublisher, clock: FakeClock, policy: RetryPolicy = POLICY
) -> tuple[RunOutcome, list[datetime]]:
    """Run, and again at each `settling` outcome's time (as the daemon's timer does); the final outcome and the
    times of the runs."""
    times = [clock()]
    outcome = run(post, outbox, publisher, clock, policy)
    while outcome.kind == Outcome.SETTLING:
        assert outcome.next_at is not None and outcome.next_at > clock()
        clock.set(outcome.next_at)
        times.append(clock())
        outcome = run(post, outbox, publisher, clock, policy)
    return outcome, times


def states(outbox: SqliteOutbox, post_id: str = "mensaje") -> list[str]:
    return [r.state for r in outbox.fragments_of(post_id, ACCOUNT)]


def assert_thread(publisher: FakePublisher, post: Post) -> None:
    """Every fragment exactly once, each replying to the one before."""
    assert publisher.texts() == [f.text for f in post.fragments]
    for previous, current in zip(publisher.posts, publisher.posts[1:], strict=False):
        assert current.reply_to == previous.remote_id
    assert publisher.posts[0].reply_to is None


# -- the plain path -----------------------------------------------------------------------------------


def test_publishes_a_thread_in_order(outbox: SqliteOutbox, clock: FakeClock, caplog: pytest.LogCaptureFixture) -> None:
    post = make_post(3)
    publisher = FakePublisher()
    with caplog.at_level(logging.INFO, logger="bot.runner"):
        outcome = run(post, outbox, publisher, clock)
    assert outcome == RunOutcome(Outcome.SENT, None, "all 3 fragments sent")
    assert_thread(publisher, post)
    records = outbox.fragments_of("mensaje", ACCOUNT)
    assert [r.remote_id for r in records] == [p.remote_id for p in publisher.posts]
    assert [r.attempts for r in records] == [1, 1, 1]
    assert f"post mensaje account {ACCOUNT} fragment 2/3 sent as" in caplog.text
    # Running a finished post again sends nothing.
    assert run(post, outbox, publisher, clock).kind == Outcome.SENT
    assert len(publisher.publish_calls) == 3


def test_sending_is_committed_before_the_request_and_sent_after(outbox: SqliteOutbox, state_dir: Path) -> None:
    observer = SqliteOutbox.open(state_dir)  # another connection: sees only what was committed
    seen: list[list[str]] = []
    publisher = FakePublisher(on_publish=lambda text, reply_to: seen.append(states(observer)))
    run(make_post(3), outbox, publisher, FakeClock())
    assert seen == [
        ["sending", "pending", "pending"],
        ["sent", "sending", "pending"],
        ["sent", "sent", "sending"],
    ]
    assert states(observer) == ["sent", "sent", "sent"]


# -- freezing and edits -------------------------------------------------------------------------------


def test_edit_before_publishing_started_replaces_the_text(outbox: SqliteOutbox, clock: FakeClock) -> None:
    later = T0 + timedelta(hours=1)
    assert run(make_post(2, at=later), outbox, FakePublisher(), clock).kind == Outcome.WAITING
    edited = make_post(2, at=later, words="Texto corregido")
    publisher = FakePublisher()
    clock.set(later)
    assert run(edited, outbox, publisher, clock).kind == Outcome.SENT
    assert publisher.texts() == [f.text for f in edited.fragments]


def test_edit_after_publishing_started_is_a_conflict(
    outbox: SqliteOutbox, clock: FakeClock, caplog: pytest.LogCaptureFixture
) -> None:
    every = timedelta(minutes=10)
    publisher = FakePublisher()
    assert run(make_post(3, every=every), outbox, publisher, clock).kind == Outcome.WAITING
    edited = make_post(3, every=every, words="Texto editado")
    clock.advance(every)
    with caplog.at_level(logging.ERROR, logger="bot.runner"):
        outcome = run(edited, outbox, publisher, clock)
    assert outcome.kind == Outcome.CONFLICT
    assert "python main.py resume mensaje --accept-edit" in outcome.message
    assert "message edited after publishing started" in caplog.text
    assert len(publisher.posts) == 1
    assert states(outbox) == ["sent", "pending", "pending"]


def test_accept_edit_continues_with_the_new_text_for_unsent_fragments(outbox: SqliteOutbox, clock: FakeClock) -> None:
    every = timedelta(minutes=10)
    original = make_post(3, every=every)
    publisher = FakePublisher()
    run(original, outbox, publisher, clock)
    edited = make_post(3, every=every, words="Texto editado")
    clock.advance(every)
    assert run(edited, outbox, publisher, clock).kind == Outcome.CONFLICT
    outbox.accept_edit(edited, clock())
    clock.advance(every)
    assert run(edited, outbox, publisher, clock).kind == Outcome.SENT
    assert publisher.texts() == [
        original.fragments[0].text,
        edited.fragments[1].text,
        edited.fragments[2].text,
    ]
    assert publisher.posts[1].reply_to == publisher.posts[0].remote_id


# -- spacing and stopping -------------------------------------------------------------------------------


def test_spaced_fragments_wait_for_their_time(outbox: SqliteOutbox, clock: FakeClock) -> None:
    every = timedelta(minutes=30)
    post = make_post(3, every=every)
    publisher = FakePublisher()
    outcome = run(post, outbox, publisher, clock)
    assert (outcome.kind, outcome.next_at) == ("waiting", T0 + every)
    assert len(publisher.posts) == 1
    clock.advance(every - timedelta(seconds=1))
    assert run(post, outbox, publisher, clock).next_at == T0 + every
    assert len(publisher.posts) == 1
    clock.advance(timedelta(seconds=1))
    assert run(post, outbox, publisher, clock).next_at == T0 + 2 * every
    clock.advance(every)
    assert run(post, outbox, publisher, clock).kind == Outcome.SENT
    assert_thread(publisher, post)
    summary = outbox.post("mensaje", ACCOUNT)
    assert summary is not None and summary.last_outcome == Outcome.SENT and summary.next_at is None


def test_a_post_before_its_time_waits(outbox: SqliteOutbox, clock: FakeClock) -> None:
    publisher = FakePublisher()
    outcome = run(make_post(2, at=T0 + timedelta(hours=3)), outbox, publisher, clock)
    assert (outcome.kind, outcome.next_at) == ("waiting", T0 + timedelta(hours=3))
    assert publisher.publish_calls == []
    assert states(outbox) == ["pending", "pending"]  # frozen already


def test_stop_requested_between_fragments(outbox: SqliteOutbox, clock: FakeClock) -> None:
    stop = threading.Event()
    publisher = FakePublisher(on_publish=lambda text, reply_to: stop.set())
    post = make_post(3)
    outcome = publish_post(post, outbox, publisher, clock, POLICY, stop_requested=stop.is_set)
    assert outcome.kind == Outcome.STOPPED
    assert states(outbox) == ["sent", "pending", "pending"]  # the request in flight was finished and recorded
    assert run(post, outbox, publisher, clock).kind == Outcome.SENT
    assert_thread(publisher, post)


# -- failure classes ----------------------------------------------------------------------------------


def test_retry_later_uses_the_platform_reset_time(outbox: SqliteOutbox, clock: FakeClock) -> None:
    reset = T0 + timedelta(minutes=15)
    publisher = FakePublisher()
    publisher.fail_next(RetryLater("429 Too Many Requests", retry_at=reset))
    post = make_post(2)
    outcome = run(post, outbox, publisher, clock)
    assert (outcome.kind, outcome.next_at) == ("retry", reset)
    record = outbox.fragments_of("mensaje", ACCOUNT)[0]
    assert (record.state, record.attempts) == ("pending", 1)
    assert record.last_error == "retry later: 429 Too Many Requests"
    summary = outbox.post("mensaje", ACCOUNT)
    assert summary is not None and summary.next_at == reset
    clock.set(reset)
    assert run(post, outbox, publisher, clock).kind == Outcome.SENT
    assert_thread(publisher, post)


def test_backoff_grows_with_bounded_jitter_and_caps() -> None:
    low = RetryPolicy(base=timedelta(seconds=30), max_delay=timedelta(minutes=10), jitter=0.5, random=lambda: 0.0)
    high = RetryPolicy(base=timedelta(seconds=30), max_delay=timedelta(minutes=10), jitter=0.5, random=lambda: 1.0)
    assert [low.delay(n).total_seconds() for n in range(1, 7)] == [30, 60, 120, 240, 480, 600]
    assert [high.delay(n).total_seconds() for n in range(1, 7)] == [15, 30, 60, 120, 240, 300]
    seeded = random.Random(7)
    mixed = RetryPolicy(max_delay=timedelta(hours=1), random=seeded.random)
    for attempt in range(1, 200):
        delay = mixed.delay(attempt)
        nominal = min(3600.0, 30 * 2.0 ** min(attempt - 1, 64))
        assert nominal / 2 <= delay.total_seconds() <= nominal


def test_retry_later_without_reset_backs_off_then_gives_up(outbox: SqliteOutbox, clock: FakeClock) -> None:
    policy = RetryPolicy(base=timedelta(seconds=30), max_attempts=3, jitter=0.5, random=lambda: 0.0)
    publisher = FakePublisher()
    publisher.fail_next(*(RetryLater("503 Service Unavailable") for _ in range(3)))
    post = make_post(2)
    waits = []
    for _ in range(2):
        outcome = run(post, outbox, publisher, clock, policy)
        assert outcome.kind == Outcome.RETRY and outcome.next_at is not None
        waits.append(outcome.next_at - clock())
        clock.set(outcome.next_at)
    assert waits == [timedelta(seconds=30), timedelta(seconds=60)]
    outcome = run(post, outbox, publisher, clock, policy)
    assert outcome.kind == Outcome.FAILED
    assert "gave up after 3 attempts: retry later: 503 Service Unavailable" in outcome.message
    assert states(outbox) == ["failed", "pending"]
    assert publisher.posts == []
    # A failed post stays failed: nothing more is sent until a person resumes it.
    assert run(post, outbox, publisher, clock, policy).kind == Outcome.FAILED
    assert len(publisher.publish_calls) == 3
    outbox.resume("mensaje", ACCOUNT, clock())
    assert run(post, outbox, publisher, clock, policy).kind == Outcome.SENT


def test_outcome_unknown_after_commit_is_found_not_resent(outbox: SqliteOutbox, clock: FakeClock) -> None:
    publisher = FakePublisher()
    publisher.fail_next(CommitThen(OutcomeUnknown("read timeout")))
    post = make_post(2)
    assert run(post, outbox, publisher, clock).kind == Outcome.SENT
    assert_thread(publisher, post)
    assert len(publisher.publish_calls) == 2


def test_outcome_unknown_before_commit_is_sent_again_only_after_the_settling_window(
    outbox: SqliteOutbox, clock: FakeClock
) -> None:
    """Issue 18: looked up at once, then after 2, 4, 8, 16 s..., and sent again only when the whole window
    (60 s by default) passed without finding it."""
    publisher = FakePublisher()
    publisher.fail_next(OutcomeUnknown("connection reset"))
    post = make_post(2)
    first = run(post, outbox, publisher, clock)
    assert (first.kind, first.next_at) == (Outcome.SETTLING, T0 + timedelta(seconds=2))
    assert "looked up again at" in first.message and "never sent again before" in first.message
    assert states(outbox) == ["unknown", "pending"]
    assert outbox.fragments_of("mensaje", ACCOUNT)[0].doubt_since == T0
    clock.set(T0 + timedelta(seconds=2))
    outcome, times = settle(post, outbox, publisher, clock)
    assert outcome.kind == Outcome.SENT
    assert [t - T0 for t in times] == [timedelta(seconds=s) for s in (2, 6, 14, 30, 60)]
    assert len(publisher.lookup_calls) == 6  # at once, then at each of those times
    assert [text for text, _ in publisher.publish_calls].count(post.fragments[0].text) == 2  # once, then at 60 s
    assert_thread(publisher, post)
    assert outbox.fragments_of("mensaje", ACCOUNT)[0].attempts == 2


def test_a_post_that_shows_up_late_is_found_within_the_window_never_resent(
    outbox: SqliteOutbox, clock: FakeClock
) -> None:
    """The read path lags: the first three lookups miss the post the 503 created; the fourth finds it."""
    publisher = FakePublisher(reject_duplicates=True)
    publisher.fail_next(None, CommitThen(OutcomeUnknown("X: POST /2/tweets (503): Service Unavailable")))
    publisher.blind_lookups = 3
    post = make_post(3)
    outcome, times = settle(post, outbox, publisher, clock)
    assert outcome.kind == Outcome.SENT
    assert [t - T0 for t in times] == [timedelta(seconds=s) for s in (0, 2, 6, 14)]
    assert len(publisher.publish_calls) == 3  # fragment 2 once: found, then 3 as a reply to it
    assert_thread(publisher, post)


def test_the_window_is_configurable_and_runs_from_the_first_doubt(outbox: SqliteOutbox, clock: FakeClock) -> None:
    policy = RetryPolicy(max_attempts=4, random=lambda: 0.5, settling=Settling(window=timedelta(seconds=5)))
    publisher = FakePublisher()
    publisher.fail_next(OutcomeUnknown("reset"))
    post = make_post(1)
    outcome, times = settle(post, outbox, publisher, clock, policy)
    assert outcome.kind == Outcome.SENT
    assert [t - T0 for t in times] == [timedelta(seconds=s) for s in (0, 2, 5)]


def test_a_duplicate_refusal_after_a_doubt_is_never_a_failure_and_never_resent(
    outbox: SqliteOutbox, clock: FakeClock
) -> None:
    """The lookups missed the post for longer than the window; the resend is refused as a duplicate: that is
    evidence it exists. Looked up again (never sent a third time) until it shows, then the thread goes on."""
    publisher = FakePublisher(reject_duplicates=True)
    publisher.fail_next(CommitThen(OutcomeUnknown("X: POST /2/tweets (503): Service Unavailable")))
    publisher.blind_lookups = 6 + 4  # the whole first window (6 lookups), then 4 more
    post = make_post(2)
    outcome, times = settle(post, outbox, publisher, clock)
    assert outcome.kind == Outcome.SENT
    assert [text for text, _ in publisher.publish_calls].count(post.fragments[0].text) == 2  # the resend, refused
    assert_thread(publisher, post)
    assert times[-1] - T0 == timedelta(seconds=60 + 30)  # second window: 60 + 0 (refused), 2, 6, 14, 30 (found)
    assert outbox.fragments_of("mensaje", ACCOUNT)[0].duplicate_refused is False  # cleared once sent


def test_after_a_duplicate_refusal_it_is_looked_up_for_as_long_as_it_takes(
    outbox: SqliteOutbox, clock: FakeClock
) -> None:
    publisher = FakePublisher(reject_duplicates=True)
    publisher.fail_next(CommitThen(OutcomeUnknown("Facebook: POST /104/feed: code 2")))
    publisher.blind_lookups = 1000
    post = make_post(2)
    outcome = run(post, outbox, publisher, clock)
    for _ in range(30):  # an hour and more of lookups
        assert outcome.kind == Outcome.SETTLING and outcome.next_at is not None
        clock.set(outcome.next_at)
        outcome = run(post, outbox, publisher, clock)
    assert clock() - T0 > timedelta(minutes=20)
    assert len(publisher.publish_calls) == 2  # the first, then one resend after the first window: refused
    assert states(outbox) == ["unknown", "pending"]
    summary = outbox.post("mensaje", ACCOUNT)
    assert summary is not None and summary.state == PostState.UNKNOWN
    publisher.blind_lookups = 0
    clock.set(outcome.next_at or clock())
    assert run(post, outbox, publisher, clock).kind == Outcome.SENT
    assert_thread(publisher, post)


def test_outcome_unknown_resends_are_bounded(outbox: SqliteOutbox, clock: FakeClock) -> None:
    publisher = FakePublisher()
    publisher.fail_next(*(OutcomeUnknown("connection reset") for _ in range(10)))
    outcome, _ = settle(make_post(1), outbox, publisher, clock)
    assert outcome.kind == Outcome.FAILED
    assert outcome.message.startswith("fragment 1/1: gave up after 4 attempts: outcome of an earlier attempt unknown")
    assert outcome.message.endswith("not found over the settling window (60 s)")
    assert len(publisher.publish_calls) == POLICY.max_attempts


def test_outcome_unknown_and_failed_lookup_is_unknown_never_resent(outbox: SqliteOutbox, clock: FakeClock) -> None:
    publisher = FakePublisher()
    publisher.fail_next(CommitThen(OutcomeUnknown("read timeout")))
    publisher.fail_lookup(RetryLater("lookup rate limited"))
    post = make_post(2)
    outcome = run(post, outbox, publisher, clock)
    assert outcome.kind == Outcome.SETTLING
    assert "lookup failed: lookup rate limited" in outcome.message
    assert states(outbox) == ["unknown", "pending"]
    assert len(publisher.publish_calls) == 1
    # Next run: the lookup works, finds the post, and the thread continues from it.
    assert run(post, outbox, publisher, clock).kind == Outcome.SENT
    assert_thread(publisher, post)


def test_already_exists_found_is_recorded_as_sent(outbox: SqliteOutbox, clock: FakeClock) -> None:
    post = make_post(2)
    publisher = FakePublisher(reject_duplicates=True)
    earlier = publisher.store(post.fragments[0].text)
    assert run(post, outbox, publisher, clock).kind == Outcome.SENT
    first = outbox.fragments_of("mensaje", ACCOUNT)[0]
    assert (first.state, first.remote_id) == ("sent", earlier.remote_id)
    assert_thread(publisher, post)


def test_already_exists_not_found_fails_with_the_reason(outbox: SqliteOutbox, clock: FakeClock) -> None:
    publisher = FakePublisher()
    publisher.fail_next(AlreadyExists("duplicate content"))
    outcome = run(make_post(2), outbox, publisher, clock)
    assert outcome.kind == Outcome.FAILED
    assert "no recent post has this text: duplicate content" in outcome.message
    assert states(outbox) == ["failed", "pending"]


def test_reply_refused_series_posts_the_rest_standalone(
    outbox: SqliteOutbox, clock: FakeClock, caplog: pytest.LogCaptureFixture
) -> None:
    publisher = FakePublisher()
    publisher.fail_next(None, ReplyRefused("Reply to this conversation is not allowed"))
    post = make_post(4)
    with caplog.at_level(logging.WARNING, logger="bot.runner"):
        outcome = run(post, outbox, publisher, clock)
    assert outcome.kind == Outcome.SENT
    assert publisher.texts() == [f.text for f in post.fragments]
    assert [p.reply_to for p in publisher.posts] == [None, None, None, None]
    summary = outbox.post("mensaje", ACCOUNT)
    assert summary is not None and summary.standalone_from == 2
    assert summary.notes == ("x refused replies at fragment 2/4; remaining fragments posted as standalone posts",)
    assert "fragment 2/4: x refused replies" in caplog.text


def test_reply_refused_series_survives_a_retry(outbox: SqliteOutbox, clock: FakeClock) -> None:
    publisher = FakePublisher(refuse_replies=True)
    publisher.fail_next(None, None, RetryLater("429", retry_at=T0 + timedelta(minutes=5)))
    post = make_post(3)
    assert run(post, outbox, publisher, clock).kind == Outcome.RETRY
    clock.advance(timedelta(minutes=5))
    assert run(post, outbox, publisher, clock).kind == Outcome.SENT
    assert [p.reply_to for p in publisher.posts] == [None, None, None]
    # Refused reply, resent standalone; a retry later; standalone again (no second refused attempt).
    assert [reply_to for _, reply_to in publisher.publish_calls] == [None, "1001", None, None, None]


def test_reply_refused_stop_fails_with_what_to_do(outbox: SqliteOutbox, clock: FakeClock) -> None:
    account = make_account(on_reply_refused="stop")
    publisher = FakePublisher(refuse_replies=True)
    outcome = run(make_post(3, account=account), outbox, publisher, clock)
    assert outcome.kind == Outcome.FAILED
    assert "on_reply_refused: series for account x_cancilleria" in outcome.message
    assert "python main.py resume mensaje" in outcome.message
    assert states(outbox) == ["sent", "failed", "pending"]
    assert len(publisher.posts) == 1


def test_rejected_fails_with_the_platform_reason(outbox: SqliteOutbox, clock: FakeClock) -> None:
    publisher = FakePublisher()
    publisher.fail_next(Rejected("You are not permitted to perform this action."))
    post = make_post(2)
    outcome = run(post, outbox, publisher, clock)
    assert outcome.kind == Outcome.FAILED
    assert outcome.message == "fragment 1/2: rejected by x: You are not permitted to perform this action."
    assert run(post, outbox, publisher, clock).kind == Outcome.FAILED
    assert len(publisher.publish_calls) == 1


def test_credentials_error_holds_the_account(outbox: SqliteOutbox, clock: FakeClock) -> None:
    publisher = FakePublisher()
    publisher.fail_next(CredentialsError("401 Unauthorized", variable="X_CANCILLERIA_ACCESS_TOKEN"))
    first, second = make_post(2, post_id="uno"), make_post(2, post_id="dos")
    outcome = run(first, outbox, publisher, clock)
    assert outcome.kind == Outcome.HELD
    assert outcome.message.startswith("held: fix X_CANCILLERIA_ACCESS_TOKEN then restart")
    assert states(outbox, "uno") == ["pending", "pending"]
    # The account's other posts are held too, without touching the network.
    assert run(second, outbox, publisher, clock).kind == Outcome.HELD
    assert len(publisher.publish_calls) == 1
    summaries = {s.post_id: s.state for s in outbox.posts()}
    assert summaries == {"uno": "held", "dos": "held"}
    outbox.release(ACCOUNT)
    assert run(first, outbox, publisher, clock).kind == Outcome.SENT


def test_unexpected_exception_is_recorded_unknown_then_looked_up(
    outbox: SqliteOutbox, clock: FakeClock, caplog: pytest.LogCaptureFixture
) -> None:
    publisher = FakePublisher()
    publisher.fail_next(CommitThen(KeyError("data")))
    post = make_post(2)
    with caplog.at_level(logging.ERROR, logger="bot.runner"):
        outcome = run(post, outbox, publisher, clock)
    assert outcome.kind == Outcome.UNKNOWN
    assert "unexpected KeyError from the publisher (a bug)" in outcome.message
    assert "KeyError" in caplog.text
    assert states(outbox) == ["unknown", "pending"]
    assert run(post, outbox, publisher, clock).kind == Outcome.SENT
    assert_thread(publisher, post)


# -- crash recovery --------------------------------------------------------------------------------------


def crash_while_sending(state_dir: Path, post: Post, publisher: FakePublisher, fault: Crash | CommitThen) -> None:
    """Run until the process dies inside publish(), leaving fragment 1 `sending`; drop that outbox."""
    dying = SqliteOutbox.open(state_dir)
    publisher.fail_next(fault)
    with pytest.raises(Crash):
        run(post, dying, publisher, FakeClock())
    dying.close()


def test_crash_after_the_post_was_created_is_found_on_restart(state_dir: Path) -> None:
    post = make_post(3)
    publisher = FakePublisher()
    crash_while_sending(state_dir, post, publisher, CommitThen(Crash()))
    restarted = SqliteOutbox.open(state_dir)
    assert states(restarted) == ["sending", "pending", "pending"]
    assert run(post, restarted, publisher, FakeClock()).kind == Outcome.SENT
    assert_thread(publisher, post)
    assert publisher.lookup_calls == [post.fragments[0].text]


def test_crash_before_the_post_was_created_sends_it_again(state_dir: Path) -> None:
    post = make_post(3)
    publisher = FakePublisher()
    crash_while_sending(state_dir, post, publisher, Crash())
    restarted = SqliteOutbox.open(state_dir)
    assert settle(post, restarted, publisher, FakeClock())[0].kind == Outcome.SENT
    assert_thread(publisher, post)
    assert restarted.fragments_of("mensaje", ACCOUNT)[0].attempts == 2


def test_crash_then_failed_lookup_is_unknown_and_never_resent(state_dir: Path) -> None:
    post = make_post(3)
    publisher = FakePublisher()
    crash_while_sending(state_dir, post, publisher, CommitThen(Crash()))
    restarted = SqliteOutbox.open(state_dir)
    publisher.fail_lookup(OutcomeUnknown("timeout"), OutcomeUnknown("timeout"))
    for _ in range(2):
        outcome = run(post, restarted, publisher, FakeClock())
        assert outcome.kind == Outcome.SETTLING
        assert "lookup failed: timeout" in outcome.message
    assert len(publisher.publish_calls) == 1
    assert states(restarted) == ["unknown", "pending", "pending"]
    summary = restarted.post("mensaje", ACCOUNT)
    assert summary is not None and summary.state == PostState.UNKNOWN
    assert run(post, restarted, publisher, FakeClock()).kind == Outcome.SENT
    assert_thread(publisher, post)


# -- concurrency and the exactly-once property ------------------------------------------------------------


def test_two_posts_run_concurrently_on_one_outbox(outbox: SqliteOutbox) -> None:
    posts = [make_post(5, post_id=f"p{i}") for i in range(4)]
    publishers = [FakePublisher() for _ in posts]
    outcomes: list[RunOutcome] = []

    def work(post: Post, publisher: FakePublisher) -> None:
        outcomes.append(run(post, outbox, publisher, FakeClock()))

    threads = [threading.Thread(target=work, args=pair) for pair in zip(posts, publishers, strict=True)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert [o.kind for o in outcomes] == [Outcome.SENT] * 4
    for post, publisher in zip(posts, publishers, strict=True):
        assert_thread(publisher, post)


def chaos(seed: int, state_dir: Path) -> tuple[FakePublisher, Post, SqliteOutbox, int]:
    """Publish a post through random faults and crashes until it is done.

    Returns the publisher, the post, the last outbox and how many simulated crashes happened.
    """
    rng = random.Random(seed)
    every = timedelta(minutes=rng.choice([0, 0, 1, 10]))
    post = make_post(rng.randint(1, 6), every=every or None)
    publisher = FakePublisher()
    clock = FakeClock(T0)
    policy = RetryPolicy(max_attempts=10_000, random=rng.random)

    def publish_fault(text: str, reply_to: str | None) -> Crash | CommitThen | BaseException | None:
        roll = rng.random()
        faults: list[BaseException | CommitThen] = [
            RetryLater("429", retry_at=clock() + timedelta(minutes=rng.randint(0, 15))),
            RetryLater("503"),
            OutcomeUnknown("timeout before the platform got it"),
            CommitThen(OutcomeUnknown("timeout after the platform stored it")),
            Crash(),
            CommitThen(Crash()),
            CredentialsError("401", variable="X_CANCILLERIA_ACCESS_TOKEN"),
            CommitThen(KeyError("a bug after the request")),
        ]
        if reply_to is not None:
            faults.append(ReplyRefused("Reply to this conversation is not allowed"))
        return rng.choice(faults) if roll < 0.45 else None

    def lookup_fault(text: str) -> BaseException | None:
        roll = rng.random()
        if roll < 0.15:
            return OutcomeUnknown("lookup timed out")
        if roll < 0.25:
            return Crash()
        return None

    publisher.publish_fault = publish_fault
    publisher.lookup_fault = lookup_fault
    outbox = SqliteOutbox.open(state_dir)
    crashes = 0
    for _ in range(500):
        try:
            outcome = publish_post(post, outbox, publisher, clock, policy, lambda: rng.random() < 0.1)
        except Crash:
            crashes += 1
            outbox.close()
            outbox = SqliteOutbox.open(state_dir)  # the process restarts with nothing but the outbox
            continue
        if outcome.kind == Outcome.SENT:
            return publisher, post, outbox, crashes
        assert outcome.kind in ("waiting", "retry", "held", "unknown", "stopped", "settling"), outcome
        if outcome.next_at is not None:
            clock.set(max(clock(), outcome.next_at))
        if outcome.kind == Outcome.HELD:
            outbox.release(ACCOUNT)
    raise AssertionError(f"seed {seed}: not done after 500 runs")


@pytest.mark.parametrize("seed", range(60))
def test_every_fragment_is_published_exactly_once_through_faults_and_crashes(tmp_path: Path, seed: int) -> None:
    publisher, post, outbox, _ = chaos(seed, tmp_path / "state")
    counts = Counter(publisher.texts())
    assert counts == Counter(f.text for f in post.fragments), f"seed {seed}: {counts}"
    by_text = {p.text: p for p in publisher.posts}
    standalone_from = outbox.standalone_from("mensaje", ACCOUNT)
    records = outbox.fragments_of("mensaje", ACCOUNT)
    for record in records:
        remote = by_text[record.text]
        assert record.remote_id == remote.remote_id
        if record.index == 1 or (standalone_from is not None and record.index >= standalone_from):
            assert remote.reply_to is None
        else:
            assert remote.reply_to == records[record.index - 2].remote_id


def test_chaos_covers_crashes_and_lookups(tmp_path: Path) -> None:
    """The randomised test above is only worth something if its faults actually happen."""
    lookups = crashes = 0
    for seed in range(20):
        publisher, _, _, crashed = chaos(seed, tmp_path / f"state-{seed}")
        lookups += len(publisher.lookup_calls)
        crashes += crashed
    assert lookups > 20 and crashes > 10


def test_datetime_fields_are_aware(outbox: SqliteOutbox, clock: FakeClock) -> None:
    run(make_post(1), outbox, FakePublisher(), clock)
    record = outbox.fragments_of("mensaje", ACCOUNT)[0]
    assert isinstance(record.sent_at, datetime) and record.sent_at.tzinfo is not None


def test_with_no_window_a_duplicate_refusal_is_still_never_resent(outbox: SqliteOutbox, clock: FakeClock) -> None:
    """SETTLE_SECONDS=0: sent again after one lookup that misses it; a duplicate refusal then stops the resends."""
    policy = RetryPolicy(max_attempts=4, random=lambda: 0.5, settling=Settling(window=timedelta(0)))
    publisher = FakePublisher(reject_duplicates=True)
    publisher.fail_next(CommitThen(OutcomeUnknown("read timeout")))
    publisher.blind_lookups = 3
    post = make_post(2)
    outcome = run(post, outbox, publisher, clock, policy)
    assert outcome.kind == Outcome.SETTLING and outcome.next_at == T0 + timedelta(seconds=2)
    assert len(publisher.publish_calls) == 2  # one resend, refused as a duplicate: evidence
    outcome, _ = settle(post, outbox, publisher, clock, policy)
    assert outcome.kind == Outcome.SENT
    assert len(publisher.publish_calls) == 3  # no further resend of fragment 1; then fragment 2
    assert_thread(publisher, post)
