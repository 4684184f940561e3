"""What `status` and `resume` both start with: the plan and the outbox of the state folder."""

from __future__ import annotations

import argparse
import sys
from datetime import datetime

from bot.commands.common import EXIT_FAILURE, EXIT_INVALID, EXIT_OK, report
from bot.model import Plan
from bot.services import campaign, statefolder
from bot.store import Outbox, OutboxError


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
