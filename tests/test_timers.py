"""bot/services/timers.py with the real APScheduler: a timer set again at the same time is left as it is (a reload
re-decides every post), one set again at another time moves. Order and "not before", no wall-clock bounds."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from bot.services.timers import Key, Timers

KEY: Key = ("mensaje", "cancilleria")


class Runs:
    def __init__(self) -> None:
        self.moments: list[datetime] = []
        self.done = threading.Event()

    def __call__(self, key: Key) -> None:
        assert key == KEY
        self.moments.append(datetime.now(UTC))
        self.done.set()


@pytest.fixture(name="timers")
def timers_fixture() -> Iterator[Timers]:
    def ignore(*args: Any) -> None:
        pass

    timers = Timers(UTC, 2, finished=ignore, failed=ignore, already_running=ignore, watch_failed=ignore)
    timers.start()
    yield timers
    timers.shutdown()


def test_a_timer_set_again_at_the_same_time_runs_once(timers: Timers) -> None:
    runs = Runs()
    at = datetime.now(UTC) + timedelta(milliseconds=300)
    for _ in range(3):
        timers.add(KEY, at, runs)
    assert runs.done.wait(30)
    time.sleep(0.3)  # a second run, if there were one, would have its time too
    assert len(runs.moments) == 1 and runs.moments[0] >= at


def test_a_timer_set_again_at_another_time_moves(timers: Timers) -> None:
    runs = Runs()
    later = datetime.now(UTC) + timedelta(days=1)
    timers.add(KEY, later, runs)
    soon = datetime.now(UTC) + timedelta(milliseconds=200)
    timers.add(KEY, soon, runs)  # earlier: it runs at the new time
    assert runs.done.wait(30) and runs.moments[0] >= soon
    runs = Runs()
    soon = datetime.now(UTC) + timedelta(milliseconds=200)
    timers.add(KEY, soon, runs)
    timers.add(KEY, datetime.now(UTC) + timedelta(days=1), runs)  # later: not at the old time
    time.sleep(0.6)
    assert runs.moments == []


def test_a_prompt_runs_the_watch_at_once_not_at_its_next_tick(timers: Timers) -> None:
    prompt, looked = threading.Event(), threading.Event()
    looks: list[bool] = []

    def check() -> None:
        looks.append(prompt.is_set())
        prompt.clear()  # taken, as the daemon's watch takes SIGHUP's request
        looked.set()

    timers.watch(check, 3600, prompt)  # its next tick is an hour away
    prompt.set()
    assert looked.wait(30)  # long before the tick: the prompt moved it
    assert looks == [True]
    looked.clear()
    prompt.set()  # each request is looked at
    assert looked.wait(30) and looks == [True, True]
