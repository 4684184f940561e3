"""`approve`: record that the digest a person read in the preview is the post's current text.

Safe while the daemon runs: the approval is one short transaction in the outbox (SQLite in WAL mode), and the
daemon notices it within a second and publishes a post that was waiting for it.
"""

from __future__ import annotations

import argparse
import sys
from datetime import UTC, datetime

from bot.approval import ApprovalError, short
from bot.approvals import approve
from bot.commands.approving import open_for_approval, print_refusal
from bot.commands.common import EXIT_FAILURE, EXIT_OK
from bot.i18n import _
from bot.services.approvedby import cli_by


def main(args: argparse.Namespace) -> int:
    now = datetime.now(UTC).astimezone()  # the approver's local offset is kept with the record
    opened = open_for_approval(args, now)
    if isinstance(opened, int):
        return opened
    plan, outbox = opened
    try:
        result = approve(
            plan.posts,
            outbox,
            args.post_id,
            args.digest,
            now=now,
            account=args.account,
            by=cli_by(args.by),
            note=args.note,
        )
    except ApprovalError as error:
        return print_refusal(error)
    except Exception as error:  # the database refused (locked too long, damaged): nothing was recorded
        print(_("error: the approval was not recorded: {error}").format(error=error), file=sys.stderr)
        return EXIT_FAILURE
    finally:
        outbox.close()
    for record in result.approved:
        when, digest = record.at.isoformat(timespec="seconds"), short(record.digest)
        print(
            _("approved post {post_id} for {account}: digest {digest} by {by} at {when}").format(
                post_id=record.post_id, account=record.account, digest=digest, by=record.by, when=when
            )
        )
    if result.waiting:
        print(
            _("still awaiting approval: {waiting} (each has its own digest in the preview)").format(
                waiting=", ".join(result.waiting)
            )
        )
    if not plan.approval_required:
        print(
            _("note: {schedule} does not say `approval: required`: posts go out without approval anyway").format(
                schedule=args.schedule
            )
        )
    return EXIT_OK
