"""`resume`: let a held, failed or conflicting post continue.

It changes the outbox through its API, then touches the resume marker in the state folder: a running daemon
notices within a second, re-reads `.env` and the outbox and re-decides every post.
"""

from __future__ import annotations

import argparse
import sys
from datetime import UTC, datetime

from bot.commands.common import EXIT_FAILURE, EXIT_INVALID, EXIT_OK
from bot.commands.reading import plan_and_outbox
from bot.i18n import _
from bot.model import Post
from bot.services.approvalview import unapproved_edit
from bot.services.statefolder import RESUME_MARKER
from bot.states import Outcome
from bot.store import Outbox, OutboxError, PostSummary


def main(args: argparse.Namespace) -> int:
    """Release a hold, retry failed/missed fragments, accept an edited message; then wake the daemon."""
    now = datetime.now(UTC)
    plan, store, code = plan_and_outbox(args, now)
    if plan is None:
        return code
    outbox = store.outbox if store is not None else None
    planned = {p.account.name: p for p in plan.posts if p.id == args.post_id}
    recorded = {s.account: s for s in outbox.posts() if s.post_id == args.post_id} if outbox else {}
    names = sorted(set(planned) | set(recorded))
    if args.account is not None:
        names = [n for n in names if n == args.account]
    if not names:
        print(
            _("error: no post '{post_id}'{value} in the schedule or the state folder").format(
                post_id=args.post_id, value=" for account " + args.account if args.account else ""
            ),
            file=sys.stderr,
        )
        return EXIT_INVALID
    if outbox is None:
        print(_("nothing has been published from {state_dir} yet: nothing to resume").format(state_dir=args.state_dir))
        return EXIT_OK
    status = EXIT_OK
    try:
        for name in names:
            post = planned.get(name)
            if args.accept_edit and post is not None and (refusal := unapproved_edit(plan, post, outbox)):
                print(refusal, file=sys.stderr)
                status = max(status, EXIT_FAILURE)
                continue
            status = max(status, _resume_one(outbox, args, post, recorded.get(name), name, now))
    except OutboxError as error:  # e.g. a daemon is publishing the post right now (LeaseHeld): try again later
        print(_("error: {error}").format(error=error), file=sys.stderr)
        return EXIT_FAILURE
    finally:
        outbox.close()
    marker = args.state_dir / RESUME_MARKER
    marker.write_text(f"{now.isoformat()}\n", encoding="utf-8")
    return status


def _resume_one(
    outbox: Outbox,
    args: argparse.Namespace,
    post: Post | None,
    summary: PostSummary | None,
    name: str,
    now: datetime,
) -> int:
    where = _("post {post_id} account {name}").format(post_id=args.post_id, name=name)
    done: list[str] = []
    hold = outbox.hold_reason(name)
    if hold is not None:
        outbox.release(name)
        done.append(_("account hold released (was: {hold}); make sure the variable is fixed in .env").format(hold=hold))
    if summary is not None and summary.conflict and not args.accept_edit:
        print(
            _(
                "{where}: {conflict}\n    hint: add --accept-edit to continue with the new text, or restore "
                "the message file"
            ).format(where=where, conflict=summary.conflict),
            file=sys.stderr,
        )
        return EXIT_FAILURE
    if args.accept_edit:
        if post is None:
            print(
                _("{where}: not in the schedule any more: there is no new text to accept").format(where=where),
                file=sys.stderr,
            )
            return EXIT_FAILURE
        if summary is not None:
            replaced = outbox.accept_edit(post, now)
            done.append(_("new text accepted for {replaced} unsent fragments").format(replaced=replaced))
    if summary is not None:
        if outbox.resume(args.post_id, name, now):
            done.append(_("failed or missed fragments will be tried again"))
        # next_at = now: the daemon measures lateness from this moment, so a resumed post is not missed again
        outbox.record_outcome(args.post_id, name, Outcome.RESUMED, _("resumed by a person"), now, now)
    print(f"{where}: " + ("; ".join(done) if done else _("nothing was held, failed or conflicting; re-checked")))
    return EXIT_OK
