"""The outbox that keeps the web page's users (created if missing: users come before the first run)."""

from __future__ import annotations

import argparse
import sys
from typing import TYPE_CHECKING

from bot.commands.common import EXIT_FAILURE
from bot.commands.reading import database_url
from bot.i18n import _
from bot.store import OutboxError

if TYPE_CHECKING:
    from bot.services.publishing import LeaseStore
    from bot.services.webapprove import WebApprovalStore


def open_web_store(args: argparse.Namespace) -> tuple[WebApprovalStore, str, LeaseStore | None] | int:
    """The store, where it is and its leases (a shared database), or the exit status after saying why not."""
    from bot.services.stores import open_store

    try:
        opened = open_store(database_url(args), args.state_dir, create=True)
    except OutboxError as error:
        print(_("error: {error}").format(error=error), file=sys.stderr)
        return EXIT_FAILURE
    assert opened is not None
    store: WebApprovalStore = opened.outbox  # type: ignore[assignment]  # both stores implement it
    return store, opened.where, opened.leases
