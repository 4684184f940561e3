"""The I/O shell around the pure core: read the schedule and its messages, then plan.

Every command that needs the plan (validate, preview, run, status) goes through load_campaign, so they
report the same problems in the same words.
"""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path

from bot import config, plan
from bot.messages import load_message
from bot.model import Message, Plan, Schedule
from bot.problems import Problem, errors


def load_messages(schedule: Schedule) -> tuple[dict[Path, Message], list[Problem]]:
    messages: dict[Path, Message] = {}
    problems: list[Problem] = []
    unreadable: set[Path] = set()  # each bad file is reported once, where it is first named
    shown_folder = Path(config.display_path(schedule.path)).parent
    for entry in schedule.posts:
        if entry.message in messages or entry.message in unreadable:
            continue
        relative = entry.message.relative_to(schedule.path.parent)
        shown = str(shown_folder / relative) if str(shown_folder) != "." else str(relative)
        message, found = load_message(entry.message, shown, entry.message_position)
        problems.extend(found)
        if message is not None:
            messages[entry.message] = message
        else:
            unreadable.add(entry.message)
    return messages, problems


def load_campaign(schedule_path: Path, now: datetime) -> tuple[Schedule | None, Plan | None, list[Problem]]:
    """Schedule, plan and every problem found. The plan is None when any problem is an error."""
    with collector_paused():
        schedule, problems = config.load(schedule_path)
        if schedule is None:
            return None, None, problems
        messages, message_problems = load_messages(schedule)
        built, plan_problems = plan.build(schedule, messages, now)
    problems = problems + message_problems + plan_problems
    if errors(problems):
        return schedule, None, problems
    return schedule, built, problems


@contextmanager
def collector_paused() -> Iterator[None]:
    """Python's cycle collector off while a campaign is read, back as it was after.

    Reading builds hundreds of thousands of objects that all stay alive (YAML nodes, then the plan); each
    full collection walks every one of them, and the collector runs more full collections the more objects
    there are, so the time grew faster than the campaign (5,000 accounts: the YAML alone took 0.5 s with it,
    0.2 s without). Reference counting still frees everything that is not a cycle; cycles wait for the next run.
    """
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()
