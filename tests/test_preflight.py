"""Pre-flight (bot/services/preflight.py) with the real check against tests/fakeapi.py (real tweepy) and a real
SQLite outbox; the timers are a recording fake of the same SideTimers protocol, so time is passed in."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from bot.model import Post
from bot.services.campaign import load_campaign
from bot.services.preflight import RECHECK, Preflight, PreflightResult, account_and_message_check, read_failures
from bot.services.statefolder import create_outbox
from bot.store import Outbox
from tests.e2e import MESSAGE
from tests.fakeapi import FakeAPI, XUser, environment
from tests.fakeapi import fake_api_fixture as fake_api_fixture

AT = datetime(2027, 7, 28, 13, 0, tzinfo=UTC)


class RecordingTimers:
    def __init__(self) -> None:
        self.jobs: dict[str, tuple[datetime, Callable[[], object]]] = {}

    def once(self, name: str, at: datetime, run: Callable[[], object]) -> None:
        self.jobs[name] = (at, run)

    def cancel(self, name: str) -> None:
        self.jobs.pop(name, None)

    def fire(self) -> datetime:
        (name,) = self.jobs
        at, run = self.jobs.pop(name)
        run()
        return at


class Setup:
    def __init__(self, folder: Path, api: FakeAPI) -> None:
        self.user: XUser
        self.user, env = api.add_x_user("CancilleriaPeru", "Cancillería del Perú", "CANCILLERIA_X")
        (folder / "messages").mkdir(parents=True)
        self.message = folder / "messages" / "m.txt"
        self.message.write_text(MESSAGE.read_text(encoding="utf-8"), encoding="utf-8")
        self.schedule = folder / "schedule.yaml"
        self.schedule.write_text(
            "timezone: America/Lima\naccounts:\n"
            "  cancilleria_x: {platform: x, handle: CancilleriaPeru, credentials: CANCILLERIA_X}\n"
            f"posts:\n  - id: fp\n    message: messages/m.txt\n    at: {AT.isoformat()}\n    to: [cancilleria_x]\n",
            encoding="utf-8",
        )
        self.now = AT - timedelta(minutes=30)
        self.env = environment(env)
        self.state = folder / "state"
        self.outbox: Outbox = create_outbox(self.state)
        self.results: list[PreflightResult] = []
        check = account_and_message_check(self.schedule, lambda: self.env, api.settings(), lambda: self.now)
        self.preflight = Preflight(timedelta(hours=1), check, self.results.append, self.outbox, self.state, self.clock)
        self.timers = RecordingTimers()

    def clock(self) -> datetime:
        return self.now

    def posts(self) -> list[Post]:
        _, plan, problems = load_campaign(self.schedule, self.now)
        assert plan is not None, problems
        return list(plan.posts)


@pytest.fixture(name="setup")
def setup_fixture(tmp_path: Path, fake_api: FakeAPI) -> Iterator[Setup]:
    setup = Setup(tmp_path, fake_api)
    yield setup
    setup.outbox.close()


def test_a_read_only_token_fails_is_shown_and_rechecked_every_10_minutes_until_it_passes(
    setup: Setup, fake_api: FakeAPI
) -> None:
    fake_api.x_access_level(setup.user, "read")
    setup.preflight.plan(setup.posts(), setup.timers)
    assert setup.timers.fire() == setup.now  # inside the window at start: at once
    (failed,) = setup.results
    assert failed.problems and "read-only" in failed.problems[0]
    shown = read_failures(setup.state)[("fp", "cancilleria_x")]
    assert shown.startswith("pre-flight failed at ") and "read-only" in shown
    ((recheck, _),) = setup.timers.jobs.values()
    assert recheck == setup.now + RECHECK

    fake_api.x_access_level(setup.user, "read-write")
    setup.now += RECHECK
    setup.timers.fire()
    assert setup.results[-1].problems == ()
    assert setup.timers.jobs == {} and read_failures(setup.state) == {}
    assert fake_api.posts() == []  # a check never posts


def test_no_recheck_past_the_posts_time_and_a_broken_message_fails(setup: Setup) -> None:
    setup.now = AT - timedelta(minutes=5)
    setup.preflight.plan(setup.posts(), setup.timers)
    setup.message.write_text("", encoding="utf-8")  # an empty message no longer validates
    setup.timers.fire()
    (failed,) = setup.results
    assert any("no longer validate" in problem for problem in failed.problems)
    assert setup.timers.jobs == {}  # the post's time comes first: publishing then goes as usual


def test_the_timer_waits_for_the_window_and_a_removed_post_loses_it(setup: Setup) -> None:
    setup.now = AT - timedelta(hours=3)
    setup.preflight.plan(setup.posts(), setup.timers)
    ((at, _),) = setup.timers.jobs.values()
    assert at == AT - timedelta(hours=1)
    setup.preflight.plan([], setup.timers)
    assert setup.timers.jobs == {}


def test_credentials_posting_as_another_handle_hold_the_account(setup: Setup, fake_api: FakeAPI) -> None:
    """Issue 19: the digest was approved for @CancilleriaPeru; a token of another account must not post it."""
    _, other = fake_api.add_x_user("OtraCuenta", "Otra cuenta", "CANCILLERIA_X")
    setup.env = environment(other)
    setup.preflight.plan(setup.posts(), setup.timers)
    setup.timers.fire()
    (failed,) = setup.results
    assert len(failed.problems) == 1 and "post as @OtraCuenta, not as @CancilleriaPeru" in failed.problems[0]
    hold = setup.outbox.hold_reason("cancilleria_x")
    assert hold is not None and "post as @OtraCuenta" in hold
    assert fake_api.posts() == []
