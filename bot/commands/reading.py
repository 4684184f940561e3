"""What `status` and `resume` both start with: the plan and the outbox of the state folder."""

from __future__ import annotations

import argparse
import sys
from datetime import datetime
from typing import TYPE_CHECKING

from bot.commands.common import EXIT_FAILURE, EXIT_INVALID, EXIT_OK, report
from bot.i18n import _
from bot.model import Plan
from bot.services import campaign
from bot.store import OutboxError

if TYPE_CHECKING:
    from bot.services.stores import Store


def plan_and_outbox(args: argparse.Namespace, now: datetime) -> tuple[Plan | None, Store | None, int]:
    """The plan and the store (None: nothing published yet), or the exit status after reporting why not.

    The store: PostgreSQL at --database-url or DATABASE_URL (environment, then .env), else the state folder's.
    """
    _schedule, plan, problems = campaign.load_campaign(args.schedule, now)
    if plan is None:
        report(problems, sys.stderr)
        return None, None, EXIT_INVALID
    from bot.services import stores  # the runner's modules: not for preview and validate

    try:
        return plan, stores.open_store(database_url(args), args.state_dir, create=False), EXIT_OK
    except OutboxError as error:  # not a database, written by a newer version of the bot, unreachable
        print(_("error: {error}").format(error=error), file=sys.stderr)
        return None, None, EXIT_FAILURE


def database_url(args: argparse.Namespace) -> str | None:
    """--database-url, else DATABASE_URL in the environment or ./.env; None: SQLite under --state-dir."""
    if args.database_url:
        return str(args.database_url)
    from bot import credentials
    from bot.services.stores import DATABASE_URL

    return credentials.load_environment(None).get(DATABASE_URL)
