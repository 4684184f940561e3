"""What `approve` and `revoke` share: the plan and the outbox that keeps approvals, and how a refusal is shown."""

from __future__ import annotations

import argparse
import sys
from datetime import datetime
from typing import Protocol

from bot.approval import ApprovalError
from bot.approvals import ApprovalStore
from bot.commands.common import EXIT_FAILURE, EXIT_INVALID, report
from bot.commands.reading import database_url
from bot.i18n import _
from bot.model import Plan
from bot.services import campaign
from bot.store import OutboxError, PostSummary


class _Store(ApprovalStore, Protocol):
    """An approval store the command closes when done (the outbox), which also tells how far a post got."""

    def close(self) -> None: ...

    def post(self, post_id: str, account: str) -> PostSummary | None: ...


def open_for_approval(args: argparse.Namespace, now: datetime) -> tuple[Plan, _Store] | int:
    """The plan and the outbox (created if missing: approving comes before the first run), or the exit status.
    With several daemons the approval goes to their PostgreSQL outbox, never to a local SQLite file they do not read."""
    _schedule, plan, problems = campaign.load_campaign(args.schedule, now)
    if plan is None:
        report(problems, sys.stderr)
        print(_("nothing was approved or revoked: fix the files first"), file=sys.stderr)
        return EXIT_INVALID
    from bot.services.stores import open_store  # the store's modules: not for preview and validate

    try:  # the outbox the daemons read: PostgreSQL at --database-url or DATABASE_URL, else the state folder's
        opened = open_store(database_url(args), args.state_dir, create=True)
    except OutboxError as error:
        print(_("error: {error}").format(error=error), file=sys.stderr)
        return EXIT_FAILURE
    assert opened is not None  # create=True
    store: _Store = opened.outbox  # type: ignore[assignment]  # both stores keep approvals
    return plan, store


def print_refusal(error: ApprovalError) -> int:
    print(_("error: {error}").format(error=error.format()), file=sys.stderr)
    return error.exit_code
