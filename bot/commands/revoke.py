"""`revoke`: withdraw a post's approval; with `approval: required` it is not published until approved again."""

from __future__ import annotations

import argparse
import sys
from datetime import UTC, datetime

from bot.approval import ApprovalError
from bot.approvals import revoke
from bot.commands.approving import open_for_approval, print_refusal
from bot.commands.common import EXIT_FAILURE, EXIT_OK
from bot.i18n import _


def main(args: argparse.Namespace) -> int:
    now = datetime.now(UTC).astimezone()
    opened = open_for_approval(args, now)
    if isinstance(opened, int):
        return opened
    plan, outbox = opened
    try:
        result = revoke(plan.posts, outbox, args.post_id, now=now, account=args.account, by=args.by, note=args.note)
    except ApprovalError as error:
        return print_refusal(error)
    except Exception as error:  # the database refused: nothing was recorded
        print(_("error: the revocation was not recorded: {error}").format(error=error), file=sys.stderr)
        return EXIT_FAILURE
    finally:
        outbox.close()
    for record in result.revoked:
        print(
            _("revoked the approval of post {post_id} for {account}: it will not be published").format(
                post_id=record.post_id, account=record.account
            )
        )
    for name in result.not_approved:
        print(_("post {post_id} for {name} had no approval to withdraw").format(post_id=args.post_id, name=name))
    return EXIT_OK
