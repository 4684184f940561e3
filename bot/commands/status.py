"""`status`: what went out, what is scheduled, what failed and why, as text or JSON.

It only reads, and works while the daemon runs (the outbox is SQLite in WAL mode).
"""

from __future__ import annotations

import argparse
import sys
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path

from bot import config
from bot.commands.common import EXIT_FAILURE, EXIT_OK
from bot.commands.reading import plan_and_outbox
from bot.commands.sharing import sharing_text
from bot.i18n import _
from bot.model import Plan
from bot.services.preflight import read_failures
from bot.services.status import AccountStatus, PostStatus, collect
from bot.services.statusjson import render_json, sharing, with_sharing_json
from bot.states import PostState
from bot.statewords import count, post_state
from bot.store import OutboxError

__all__ = ["main", "render_json", "render_text"]


def main(args: argparse.Namespace) -> int:
    now = datetime.now(UTC)
    if args.audit:
        from bot.commands.audit import print_audit  # the web page's audit trail (issue 23)

        return print_audit(args)
    plan, store, code = plan_and_outbox(args, now)
    if plan is None:
        return code
    outbox = store.outbox if store is not None else None
    try:
        accounts, rows = collect(plan, outbox, now, read_failures(args.state_dir))
        shared = sharing(store.leases) if store is not None and store.leases is not None else None
    except OutboxError as error:  # the database went away meanwhile
        print(_("error: {error}").format(error=error), file=sys.stderr)
        return EXIT_FAILURE
    finally:
        if outbox is not None:
            outbox.close()
    name = config.display_path(args.schedule)
    where: Path | str = store.where if store is not None and store.leases is not None else args.state_dir
    if args.format == "json":
        document = render_json(name, args.state_dir, accounts, rows, now)
        sys.stdout.write(document if shared is None else with_sharing_json(document, shared, where))
    else:
        text = render_text(name, where, accounts, rows, now, plan)
        sys.stdout.write(text if shared is None else text + sharing_text(shared, plan.timezone))
    return EXIT_OK


def render_text(
    schedule_name: str,
    state_dir: Path | str,
    accounts: list[AccountStatus],
    rows: list[PostStatus],
    now: datetime,
    plan: Plan,
) -> str:
    zone = plan.timezone
    lines = [
        _("{schedule} — state {state_dir} — {now}").format(
            schedule=schedule_name, state_dir=state_dir, now=f"{now.astimezone(zone):%Y-%m-%d %H:%M:%S %Z}"
        ),
        "",
        _("Accounts"),
    ]
    for account in accounts:
        held = _("held: {reason}").format(reason=account.hold) if account.hold else _("ok")
        lines.append(f"  {account.name:<24} {account.platform:<9} {held}")
    counts = Counter(str(row.state) for row in rows)
    lines += ["", _("Posts: {counts}").format(counts=", ".join(count(s, n) for s, n in counts.items()))]
    for row in rows:
        progress = f"{row.sent}/{row.total}"
        shown = post_state(row.state)
        word = f"{shown} {progress}" if row.state in (PostState.PUBLISHING, PostState.SENT) else shown
        lines.append(f"  {row.id:<28} {row.account:<20} {word:<18} {row.at.astimezone(zone):%Y-%m-%d %H:%M:%S %Z}")
        if row.detail:
            lines.append(f"      {row.detail}")
        if row.approval and row.approval["approved"]:
            digest = str(row.approval["digest"])[:12]
            approved = _("approved by {by} at {at} ({digest})").format(
                by=row.approval["approved_by"], at=row.approval["approved_at"], digest=digest
            )
            lines.append(f"      {approved}")
        if row.action:
            lines.append("      " + _("what to do: {action}").format(action=row.action))
        lines.extend(f"      {url}" for url in row.urls)
    return "\n".join(lines) + "\n"
