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
from bot.services.approvalgate import revoke_effect
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
        effects = {
            record.account: revoke_effect(plan.approval_required, outbox.post(record.post_id, record.account))
            for record in result.revoked
        }
    except ApprovalError as error:
        return print_refusal(error)
    except Exception as error:  # the database refused: nothing was recorded
        print(_("error: the revocation was not recorded: {error}").format(error=error), file=sys.stderr)
        return EXIT_FAILURE
    finally:
        outbox.close()
    for record in result.revoked:
        print(
            _("revoked the approval of post {post} for {account}: {effect}").format(
                post=record.post_id, account=record.account, effect=effects[record.account]
            )
        )
    for name in result.not_approved:
        print(_("post {post_id} for {name} had no approval to withdraw").format(post_id=args.post_id, name=name))
    return EXIT_OK
