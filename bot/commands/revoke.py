"""`revoke`: withdraw a post's approval; with `approval: required` it is not published until approved again."""

from __future__ import annotations

import argparse
import sys
from datetime import UTC, datetime

from bot.approval import ApprovalError
from bot.approvals import revoke
from bot.commands.approving import open_for_approval, print_refusal
from bot.commands.common import EXIT_FAILURE, EXIT_OK
from bot.services.approvedby import cli_by


def main(args: argparse.Namespace) -> int:
    now = datetime.now(UTC).astimezone()
    opened = open_for_approval(args, now)
    if isinstance(opened, int):
        return opened
    plan, outbox = opened
    try:
        result = revoke(
            plan.posts, outbox, args.post_id, now=now, account=args.account, by=cli_by(args.by), note=args.note
        )
    except ApprovalError as error:
        return print_refusal(error)
    except Exception as error:  # the database refused: nothing was recorded
        print(f"error: the revocation was not recorded: {error}", file=sys.stderr)
        return EXIT_FAILURE
    finally:
        outbox.close()
    for record in result.revoked:
        print(f"revoked the approval of post {record.post_id} for {record.account}: it will not be published")
    for name in result.not_approved:
        print(f"post {args.post_id} for {name} had no approval to withdraw")
    return EXIT_OK
