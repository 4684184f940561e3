"""The runner with images (bot/services/attach.py) against the fake publisher and a real SQLite outbox.

The images go on the first fragment only; their ids are recorded with their expiry; a retry reuses usable ids,
an expired or refused id is uploaded again; an upload is never a publication, and a post in doubt is looked up
before anything is sent again.
"""

from __future__ import annotations

import hashlib
import shutil
from dataclasses import replace
from datetime import timedelta
from pathlib import Path

import pytest

from bot.media import inspect_media
from bot.model import MediaItem, Position, Post
from bot.publishers.base import CredentialsError, OutcomeUnknown, RetryLater
from bot.services.runner import RetryPolicy, RunOutcome, publish_post
from bot.states import Outcome
from bot.store.sqlite import SqliteOutbox
from tests.fakes import T0, CommitThen, FakeClock, FakePublisher, make_account, make_post
from tests.mediafiles import EXAMPLE

POLICY = RetryPolicy(max_attempts=4, random=lambda: 0.5)
ALT = "Escarapela peruana roja y blanca"


class Crash(BaseException):
    """The process dies here: nothing after this point runs, nothing is recorded."""


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock(T0)


@pytest.fixture
def image(tmp_path: Path) -> Path:
    path = tmp_path / "media" / "escarapela.png"
    path.parent.mkdir()
    shutil.copy(EXAMPLE, path)
    return path


def with_image(post: Post, image: Path) -> Post:
    media, problems = inspect_media(
        [MediaItem("media/escarapela.png", ALT, Position("s.yaml", 9, 16))], *[image.parent.parent] * 2
    )
    assert problems == []
    return replace(post, media=media)


def run(post: Post, outbox: SqliteOutbox, publisher: FakePublisher, clock: FakeClock) -> RunOutcome:
    return publish_post(post, outbox, publisher, clock, POLICY)


def carried(publisher: FakePublisher) -> list[list[tuple[str, str]]]:
    """For each post on the platform, in order: (sha256, alt) of each image it carries."""
    return [[(hashlib.sha256(m.data).hexdigest(), m.alt) for m in p.media] for p in publisher.posts]


def expected(image: Path) -> list[tuple[str, str]]:
    return [(hashlib.sha256(image.read_bytes()).hexdigest(), ALT)]


def test_the_image_goes_on_the_first_fragment_and_its_id_is_recorded(
    outbox: SqliteOutbox, clock: FakeClock, image: Path
) -> None:
    publisher = FakePublisher()
    post = with_image(make_post(3), image)
    assert run(post, outbox, publisher, clock).kind == Outcome.SENT
    assert carried(publisher) == [expected(image), [], []]
    assert [p.reply_to for p in publisher.posts][1:] == [p.remote_id for p in publisher.posts][:2]
    ((uploaded, _),) = publisher.uploads
    recorded = outbox.media_of("mensaje", "x_cancilleria")
    key = hashlib.sha256(f"{expected(image)[0][0]}\n{ALT}".encode()).hexdigest()  # the bytes and the alt text
    assert [(m.position, m.media_id, m.expires_at, m.sha256) for m in recorded] == [
        (1, uploaded.id, T0 + timedelta(hours=24), key)
    ]


def test_a_facebook_post_gets_the_image_too(outbox: SqliteOutbox, clock: FakeClock, image: Path) -> None:
    publisher = FakePublisher("facebook")
    post = with_image(make_post(1, account=make_account("fb_cancilleria", "facebook")), image)
    assert run(post, outbox, publisher, clock).kind == Outcome.SENT
    assert carried(publisher) == [expected(image)]


def test_a_retry_reuses_the_uploaded_ids(outbox: SqliteOutbox, clock: FakeClock, image: Path) -> None:
    publisher = FakePublisher()
    publisher.fail_next(RetryLater("503"))
    post = with_image(make_post(2), image)
    first = run(post, outbox, publisher, clock)
    assert first.kind == Outcome.RETRY and publisher.posts == []
    assert first.next_at is not None
    clock.set(first.next_at)
    assert run(post, outbox, publisher, clock).kind == Outcome.SENT
    assert len(publisher.upload_calls) == 1
    assert carried(publisher) == [expected(image), []]


def test_a_corrected_alt_text_is_uploaded_again_not_sent_as_the_old_one(
    outbox: SqliteOutbox, clock: FakeClock, image: Path
) -> None:
    """Issue 19: the alt text is set at upload; reusing the id of the same bytes would send the old alt text."""
    publisher = FakePublisher()
    publisher.fail_next(RetryLater("503"))
    post = with_image(make_post(2), image)
    first = run(post, outbox, publisher, clock)
    assert first.kind == Outcome.RETRY and first.next_at is not None and len(publisher.upload_calls) == 1
    corrected = replace(post, media=(replace(post.media[0], alt="Escarapela peruana, corregida"),))
    clock.set(first.next_at)
    assert run(corrected, outbox, publisher, clock).kind == Outcome.SENT
    assert len(publisher.upload_calls) == 2
    assert carried(publisher) == [[(expected(image)[0][0], "Escarapela peruana, corregida")], []]


def test_an_id_past_its_expiry_is_uploaded_again(outbox: SqliteOutbox, clock: FakeClock, image: Path) -> None:
    publisher = FakePublisher()
    publisher.fail_next(RetryLater("rate limited", retry_at=T0 + timedelta(hours=25)))
    post = with_image(make_post(2), image)
    assert run(post, outbox, publisher, clock).kind == Outcome.RETRY
    clock.set(T0 + timedelta(hours=25))
    assert run(post, outbox, publisher, clock).kind == Outcome.SENT
    assert len(publisher.upload_calls) == 2
    assert outbox.media_of("mensaje", "x_cancilleria")[0].expires_at == T0 + timedelta(hours=49)
    assert carried(publisher) == [expected(image), []]


def test_an_id_the_platform_no_longer_knows_is_uploaded_again(
    outbox: SqliteOutbox, clock: FakeClock, image: Path
) -> None:
    publisher = FakePublisher()
    publisher.fail_next(RetryLater("503"))
    post = with_image(make_post(2), image)
    outcome = run(post, outbox, publisher, clock)
    publisher.expire_media()  # within its 24 hours, but the platform dropped it
    assert outcome.next_at is not None
    clock.set(outcome.next_at)
    assert run(post, outbox, publisher, clock).kind == Outcome.SENT
    assert len(publisher.upload_calls) == 2
    assert len(publisher.posts) == 2 and carried(publisher) == [expected(image), []]


def test_a_failed_upload_is_retried_and_posts_nothing(outbox: SqliteOutbox, clock: FakeClock, image: Path) -> None:
    publisher = FakePublisher()
    publisher.fail_upload(RetryLater("upload: 503"))
    post = with_image(make_post(2), image)
    outcome = run(post, outbox, publisher, clock)
    assert outcome.kind == Outcome.RETRY and publisher.posts == [] and publisher.publish_calls == []
    assert outcome.next_at is not None
    clock.set(outcome.next_at)
    assert run(post, outbox, publisher, clock).kind == Outcome.SENT
    assert carried(publisher) == [expected(image), []]


def test_refused_credentials_on_the_upload_hold_the_account(
    outbox: SqliteOutbox, clock: FakeClock, image: Path
) -> None:
    publisher = FakePublisher()
    publisher.fail_upload(CredentialsError("401 Unauthorized", "CANCILLERIA_X_ACCESS_TOKEN"))
    outcome = run(with_image(make_post(2), image), outbox, publisher, clock)
    assert outcome.kind == Outcome.HELD and publisher.posts == []


def test_a_crash_during_the_upload_looks_the_post_up_then_uploads_again(
    outbox: SqliteOutbox, clock: FakeClock, image: Path
) -> None:
    publisher = FakePublisher()
    publisher.fail_upload(Crash())
    post = with_image(make_post(2), image)
    with pytest.raises(Crash):
        run(post, outbox, publisher, clock)
    assert [r.state for r in outbox.fragments_of("mensaje", "x_cancilleria")] == ["sending", "pending"]
    outcome = run(post, outbox, publisher, clock)
    while outcome.kind == Outcome.SETTLING:  # issue 18: a `sending` record may have landed: the whole window first
        assert outcome.next_at is not None and not publisher.posts
        clock.set(outcome.next_at)
        outcome = run(post, outbox, publisher, clock)
    assert outcome.kind == Outcome.SENT
    assert set(publisher.lookup_calls) == {post.fragments[0].text} and len(publisher.lookup_calls) > 1
    assert carried(publisher) == [expected(image), []]


def test_a_post_created_without_an_answer_is_found_not_posted_again(
    outbox: SqliteOutbox, clock: FakeClock, image: Path
) -> None:
    publisher = FakePublisher()
    publisher.fail_next(CommitThen(OutcomeUnknown("read timeout")))
    post = with_image(make_post(2), image)
    assert run(post, outbox, publisher, clock).kind == Outcome.SENT
    assert len(publisher.upload_calls) == 1
    assert carried(publisher) == [expected(image), []]


def test_an_image_changed_after_the_check_is_not_sent(outbox: SqliteOutbox, clock: FakeClock, image: Path) -> None:
    publisher = FakePublisher()
    post = with_image(make_post(2), image)
    image.write_bytes(image.read_bytes() + b"edited")
    outcome = run(post, outbox, publisher, clock)
    assert outcome.kind == Outcome.FAILED
    assert "media/escarapela.png changed after the schedule was checked" in outcome.message
    assert "python main.py resume mensaje" in outcome.message
    assert publisher.posts == [] and publisher.upload_calls == []
