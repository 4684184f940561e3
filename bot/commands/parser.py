"""The command line: every command, its options and their help texts."""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Callable
from datetime import datetime, timedelta
from pathlib import Path

from bot.catalog import LANGUAGES
from bot.durations import parse_duration
from bot.i18n import _

COMMAND_NAMES = (
    "preview",
    "validate",
    "check",
    "run",
    "status",
    "resume",
    "approve",
    "revoke",
    "schema",
    "alerts",
    "serve",
    "users",
)


def parser() -> argparse.ArgumentParser:
    parser = _Parser(
        prog="python main.py",
        description=_("Publishes the Fiestas Patrias message on X and Facebook at the times in schedule.yaml."),
    )
    _language_option(parser)
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    def command(name: str, help_text: str) -> argparse.ArgumentParser:
        sub = commands.add_parser(name, help=help_text, description=help_text)
        _language_option(sub)
        sub.add_argument(
            "--schedule",
            type=Path,
            default=Path("schedule.yaml"),
            help=_("schedule file (default: schedule.yaml)"),
        )
        return sub

    preview = command("preview", _("dry run: show what will be posted, where and when; sends nothing"))
    preview.add_argument(
        "--format",
        choices=("text", "json", "html"),
        help=_("text (default; html with --open), json, or html: one page to approve the campaign"),
    )
    preview.add_argument("--now", type=_aware_datetime, help=_("pretend the current time is this (ISO 8601)"))
    preview.add_argument("--output", type=Path, metavar="FILE", help=_("write to FILE instead of stdout"))
    preview.add_argument(
        "--open", action="store_true", help=_("open the HTML page in a browser (without --output: a temporary file)")
    )
    preview.add_argument(
        "--state-dir",
        type=Path,
        help=_("HTML: show what the outbox in this folder recorded (default: ./state if it holds one, as `status`)"),
    )
    _database_option(preview)

    validate = command("validate", _("check the schedule, the messages and the credential variables"))
    validate.add_argument("--now", type=_aware_datetime, help=_("pretend the current time is this (ISO 8601)"))
    validate.add_argument("--env-file", type=Path, help=_("read credentials from this file (default: .env)"))

    check = command("check", _("verify every account's credentials against X and Facebook"))
    check.add_argument("--env-file", type=Path, help=_("read credentials from this file (default: .env)"))

    run = command("run", _("the daemon: publish each post at its time; runs until stopped"))
    _state_dir_option(run)
    run.add_argument("--env-file", type=Path, help=_("read credentials from this file (default: .env)"))
    _database_option(run)
    run.add_argument(
        "--lease",
        type=float,
        metavar="SECONDS",
        help=_(
            "with a database: how long a daemon holds a post it publishes between renewals (default: "
            "LEASE_SECONDS, else 20)"
        ),
    )
    run.add_argument("--dry-run", action="store_true", help=_("print instead of posting, with a separate outbox"))
    run.add_argument(
        "--exit-when-done", action="store_true", help=_("exit 0 once every post has reached a final state")
    )
    run.add_argument(
        "--catch-up",
        type=_duration,
        default=_duration("6h"),
        help=_("publish a post missed while the daemon was down if it is at most this late (default 6h)"),
    )
    run.add_argument(
        "--preflight",
        type=_duration_or_zero,
        default=_duration("1h"),
        metavar="DURATION",
        help=_("check each post's credentials and message this long before it (default 1h; 0 turns it off)"),
    )
    loudness = run.add_mutually_exclusive_group()
    loudness.add_argument("-v", "--verbose", action="store_true", help=_("log debugging detail too"))
    loudness.add_argument("-q", "--quiet", action="store_true", help=_("log only warnings and errors"))

    status = command("status", _("what went out, what is scheduled, what failed and why"))
    _state_dir_option(status)
    _database_option(status)
    status.add_argument("--format", choices=("text", "json"), default="text")
    status.add_argument(
        "--audit", action="store_true", help=_("list the web page's audit trail: sign-ins, failures, approvals")
    )

    resume = command("resume", _("let a held, failed or conflicting post continue"))
    _state_dir_option(resume)
    _database_option(resume)
    resume.add_argument("post_id", metavar="POST_ID")
    resume.add_argument("--account", help=_("only this account's post (default: every account of POST_ID)"))
    resume.add_argument(
        "--accept-edit",
        action="store_true",
        help=_("continue a post whose message was edited after it started, with the new text"),
    )

    _approval_commands(command)
    from bot.commands.webparser import web_commands  # issue 23: `serve` and `users`

    web_commands(commands, command, _state_dir_option, _database_option, _language_option)

    _language_option(commands.add_parser("schema", help=_("print the JSON Schema of schedule.yaml")))

    alerts = commands.add_parser(
        "alerts", help=_("alerts through ALERT_URLS"), description=_("alerts through ALERT_URLS")
    )
    alerts_commands = alerts.add_subparsers(dest="alerts_command", required=True, metavar="ACTION")
    test = alerts_commands.add_parser("test", help=_("send a test alert to each URL of ALERT_URLS; say which worked"))
    test.add_argument("--env-file", type=Path, help=_("read ALERT_URLS from this file (default: .env)"))
    for sub in (alerts, test):
        _language_option(sub)
    return parser


def _approval_commands(command: Callable[[str, str], argparse.ArgumentParser]) -> None:
    approve = command("approve", _("record that a post's exact text (its digest, from the preview) is approved"))
    _state_dir_option(approve)
    _database_option(approve)
    approve.add_argument("post_id", metavar="POST_ID")
    approve.add_argument(
        "--digest",
        required=True,
        metavar="HEX",
        help=_("the digest the preview shows (12 hex digits are enough); refused if the text changed since"),
    )
    approve.add_argument("--account", help=_("approve this account's post only (default: every account of POST_ID)"))
    approve.add_argument("--by", metavar="NAME", help=_("who approves (default: the login name)"))
    approve.add_argument("--note", metavar="TEXT", help=_("a note kept with the approval"))
    revoke = command("revoke", _("withdraw the approval of a post: it is not published until approved again"))
    _state_dir_option(revoke)
    _database_option(revoke)
    revoke.add_argument("post_id", metavar="POST_ID")
    revoke.add_argument("--account", help=_("this account's post only (default: every account of POST_ID)"))
    revoke.add_argument("--by", metavar="NAME", help=_("who withdraws it (default: the login name)"))
    revoke.add_argument("--note", metavar="TEXT", help=_("why, kept with the revocation"))


def _language_option(parser: argparse.ArgumentParser) -> None:
    # Read before argparse runs (bot/commands/language.py); declared here for --help and to refuse a bad value.
    parser.add_argument(
        "--lang",
        choices=LANGUAGES,
        help=_("language of the output: es or en (default: BOT_LANG, then schedule.yaml's language, then the locale)"),
    )


def _state_dir_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--state-dir", type=Path, default=Path("state"), help=_("folder of the outbox (default: ./state)")
    )


def _database_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--database-url",
        metavar="URL",
        help=_(
            "the PostgreSQL outbox shared by several daemons, postgresql://user:password@host:port/dbname "
            "(default: DATABASE_URL in the environment or .env; unset: SQLite under --state-dir)"
        ),
    )


def _duration(text: str) -> timedelta:
    value = parse_duration(text)
    if value is None:
        raise argparse.ArgumentTypeError(_("'{text}' is not a duration such as 30m, 6h or 1d").format(text=text))
    return value


def _duration_or_zero(text: str) -> timedelta:
    return timedelta(0) if text.strip() == "0" else _duration(text)


def _aware_datetime(text: str) -> datetime:
    try:
        value = datetime.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(_("'{text}' is not an ISO 8601 date and time").format(text=text)) from None
    if value.tzinfo is None:
        raise argparse.ArgumentTypeError(_("give a UTC offset, e.g. 2027-07-27T12:00-05:00"))
    return value


class _Formatter(argparse.HelpFormatter):
    """argparse's help layout at the terminal's width, found without importing shutil: argparse makes a
    formatter for every option it adds, and shutil (with the compression modules it loads) was 2 ms of every
    command's start, `preview` included, for a help text that is rarely shown."""

    def __init__(self, prog: str, indent_increment: int = 2, max_help_position: int = 24) -> None:
        super().__init__(prog, indent_increment, max_help_position, width=_terminal_columns() - 2)


class _Parser(argparse.ArgumentParser):
    """An ArgumentParser whose help uses _Formatter; its subcommands' parsers are of this class too."""

    def __init__(self, *args: object, **kwargs: object) -> None:
        kwargs.setdefault("formatter_class", _Formatter)
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]


def _terminal_columns() -> int:
    """shutil.get_terminal_size().columns: $COLUMNS, else the terminal of stdout, else 80."""
    try:
        columns = int(os.environ.get("COLUMNS", ""))
    except ValueError:
        columns = 0
    if columns <= 0:
        try:
            columns = os.get_terminal_size(sys.__stdout__.fileno()).columns  # type: ignore[union-attr]
        except (AttributeError, ValueError, OSError):
            columns = 0
    return columns or 80
