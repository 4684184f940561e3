"""Exit codes and the one way a list of problems reaches the terminal."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from datetime import datetime
from typing import TextIO

from bot.model import Plan
from bot.problems import Problem, report_lines
from bot.services import campaign, statefolder
from bot.store import Outbox, OutboxError

EXIT_OK = 0
EXIT_FAILURE = 1
EXIT_INVALID = 2


def report(problems: Sequence[Problem], stream: TextIO) -> None:
    for line in report_lines(problems):
        print(line, file=stream)


def plan_and_outbox(args: argparse.Namespace, now: datetime) -> tuple[Plan | None, Outbox | None, int]:
    """The plan and the outbox (None: nothing published yet), or the exit status after reporting why not."""
    _, plan, problems = campaign.load_campaign(args.schedule, now)
    if plan is None:
        report(problems, sys.stderr)
        return None, None, EXIT_INVALID
    try:
        return plan, statefolder.open_outbox(args.state_dir), EXIT_OK
    except OutboxError as error:  # not a database, or written by a newer version of the bot
        print(f"error: {error}", file=sys.stderr)
        return None, None, EXIT_FAILURE
