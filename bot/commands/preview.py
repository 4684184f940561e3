"""`preview`: what will be posted, where and when, as text, JSON or one HTML page; sends nothing."""

from __future__ import annotations

import argparse
import sys
from datetime import UTC, datetime
from pathlib import Path

from bot import config
from bot.commands.common import EXIT_FAILURE, EXIT_INVALID, EXIT_OK, report
from bot.i18n import _
from bot.model import Plan
from bot.services import campaign
from bot.services.approvalview import read_approvals


def main(args: argparse.Namespace) -> int:
    from bot import preview

    fmt = args.format or ("html" if args.open else "text")
    if fmt != "html" and (args.open or args.database_url):
        print(
            _("error: {value} goes with --format html").format(value="--open" if args.open else "--database-url"),
            file=sys.stderr,
        )
        return EXIT_INVALID
    now = args.now or datetime.now(UTC)
    schedule, plan, problems = campaign.load_campaign(args.schedule, now)
    if plan is None or schedule is None:
        report(problems, sys.stderr)
        return EXIT_INVALID
    name = config.display_path(args.schedule)
    if fmt != "html":
        try:
            approvals = read_approvals(plan, args.state_dir)
        except _outbox_error() as error:  # e.g. written by a newer bot: the same message and status as `status`
            print(_("error: {error}").format(error=error), file=sys.stderr)
            return EXIT_FAILURE
        output = (preview.render_json if fmt == "json" else preview.render_text)(plan, name, approvals)
        return _output(args.output, output, plan, open_it=False)
    from bot.commands.reading import database_url
    from bot.html import command

    try:
        page = command.build_page(schedule, plan, name, args.state_dir, now, database_url(args))
    except _outbox_error() as error:  # e.g. written by a newer bot: the same message and status as `status`
        print(_("error: {error}").format(error=error), file=sys.stderr)
        return EXIT_FAILURE
    path = command.temporary_file() if args.open and args.output is None else args.output  # --open needs a file
    return _output(path, page, plan, open_it=args.open)


def _outbox_error() -> type[Exception]:
    """The store's OutboxError. An `except` clause names its class only once an exception reaches it, so a
    preview that reads no outbox never imports the store's records."""
    from bot.store import OutboxError

    return OutboxError


def _output(path: Path | None, output: str, plan: Plan, open_it: bool) -> int:
    """stdout, or --output FILE with a one-line receipt on stderr; then --open."""
    if path is None:
        sys.stdout.write(output)
        return EXIT_OK
    from bot.html import command

    problem = command.write_page(path, output)
    if problem is not None:
        print(_("error: {error}").format(error=problem), file=sys.stderr)
        return EXIT_INVALID
    fragments = sum(len(p.fragments) for p in plan.posts)
    print(
        _("wrote {path} ({fragments} fragments, {posts} posts)").format(
            path=path, fragments=fragments, posts=len(plan.posts)
        ),
        file=sys.stderr,
    )
    if open_it and (note := command.open_in_browser(path)) is not None:
        print(note, file=sys.stderr)
    return EXIT_OK
