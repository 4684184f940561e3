"""`status --audit`: the web page's audit trail (sign-ins, failures, lockouts, approvals, revocations)."""

from __future__ import annotations

import argparse
import sys

from bot.commands.common import EXIT_FAILURE, EXIT_OK
from bot.commands.reading import database_url
from bot.i18n import _
from bot.store import OutboxError


def print_audit(args: argparse.Namespace) -> int:
    from bot.services.stores import open_store
    from bot.services.webusers import audit_lines

    try:
        opened = open_store(database_url(args), args.state_dir, create=False)
        if opened is None:
            print(_("no outbox yet: nothing to audit"))
            return EXIT_OK
        try:
            records = opened.outbox.audit_log()  # type: ignore[attr-defined]  # both stores keep it
        finally:
            opened.outbox.close()
    except OutboxError as error:
        print(_("error: {message}").format(message=str(error)), file=sys.stderr)
        return EXIT_FAILURE
    for line in audit_lines(records):
        print(line)
    return EXIT_OK
