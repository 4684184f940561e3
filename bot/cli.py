"""Commands and exit codes. Each command parses its arguments, calls the core, formats, picks the code.

Exit status: 0 success, 1 a runtime failure (e.g. credentials rejected), 2 invalid input or usage.
Heavy libraries (tweepy, facebook, apscheduler, requests) are imported only by the commands that need them.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import TextIO

from bot import campaign, config, credentials
from bot.model import Plan, Position, Schedule
from bot.problems import Problem, errors, sort_key

EXIT_OK = 0
EXIT_FAILURE = 1
EXIT_INVALID = 2


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python main.py",
        description="Publishes the Fiestas Patrias message on X and Facebook at the times in schedule.yaml.",
    )
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    def command(name: str, help_text: str) -> argparse.ArgumentParser:
        sub = commands.add_parser(name, help=help_text, description=help_text)
        sub.add_argument(
            "--schedule",
            type=Path,
            default=Path("schedule.yaml"),
            help="schedule file (default: schedule.yaml)",
        )
        return sub

    preview = command("preview", "dry run: show what will be posted, where and when; sends nothing")
    preview.add_argument("--format", choices=("text", "json"), default="text")
    preview.add_argument("--now", type=_aware_datetime, help="pretend the current time is this (ISO 8601)")

    validate = command("validate", "check the schedule, the messages and the credential variables")
    validate.add_argument("--now", type=_aware_datetime, help="pretend the current time is this (ISO 8601)")
    validate.add_argument("--env-file", type=Path, help="read credentials from this file (default: .env)")

    commands.add_parser("schema", help="print the JSON Schema of schedule.yaml")
    return parser


def _aware_datetime(text: str) -> datetime:
    try:
        value = datetime.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"'{text}' is not an ISO 8601 date and time") from None
    if value.tzinfo is None:
        raise argparse.ArgumentTypeError("give a UTC offset, e.g. 2027-07-27T12:00-05:00")
    return value


def report(problems: Sequence[Problem], stream: TextIO) -> None:
    for problem in sorted(problems, key=sort_key):
        print(problem.format(), file=stream)
    found = errors(problems)
    if found:
        count = len(found)
        print(f"{count} error{'s' if count != 1 else ''}: nothing was sent or changed.", file=stream)


def cmd_preview(args: argparse.Namespace) -> int:
    from bot import preview

    now = args.now or datetime.now(UTC)
    _, plan, problems = campaign.load_campaign(args.schedule, now)
    if plan is None:
        report(problems, sys.stderr)
        return EXIT_INVALID
    name = config.display_path(args.schedule)
    render = preview.render_json if args.format == "json" else preview.render_text
    sys.stdout.write(render(plan, name))
    return EXIT_OK


def cmd_validate(args: argparse.Namespace) -> int:
    now = args.now or datetime.now(UTC)
    schedule, plan, problems = campaign.load_campaign(args.schedule, now)
    env = credentials.load_environment(args.env_file)
    problems = problems + [Problem(p.position, p.message, "fix or remove the line") for p in env.problems]
    if schedule is not None and not errors(problems):  # credentials matter once the files are right
        problems += credential_problems(schedule, env)
    if plan is not None:
        problems += plan_warnings(plan)
    report(problems, sys.stderr)
    if errors(problems) or plan is None or schedule is None:
        return EXIT_INVALID
    fragments = sum(len(p.fragments) for p in plan.posts)
    print(
        f"{config.display_path(args.schedule)}: valid. {len(schedule.accounts)} accounts, "
        f"{len(schedule.posts)} schedule entries, {len(plan.posts)} posts, {fragments} fragments."
    )
    return EXIT_OK


def credential_problems(schedule: Schedule, env: credentials.Environment) -> list[Problem]:
    """Missing variables are warnings (preview needs none); a malformed value is an error."""
    problems = []
    used = {name for entry in schedule.posts for name in entry.to}
    for account in schedule.accounts.values():
        if account.name not in used:
            continue
        where = account.position if account.position.path else Position(config.display_path(schedule.path))
        missing = credentials.missing_variables(account, env)
        if missing:
            problems.append(
                Problem(
                    where,
                    f"account '{account.name}' needs {', '.join(missing)}, not set in the environment or .env",
                    "set them in .env (see .env.example) before `run`; `check` then verifies them",
                    severity="warning",
                )
            )
        for name in credentials.malformed_variables(account, env):
            problems.append(
                Problem(
                    where,
                    f"account '{account.name}': {name} is set but is not a token (spaces or quotes in it)",
                    f"copy the value again into {env.source_of(name)}, without spaces or surrounding quotes",
                )
            )
    return problems


def plan_warnings(plan: Plan) -> list[Problem]:
    return [
        Problem(
            post.source, f"post '{post.id}' to '{post.account.name}': {warning.message}", severity="warning"
        )
        for post in plan.posts
        for warning in post.warnings
    ]


def cmd_schema(args: argparse.Namespace) -> int:
    from bot.schema import json_schema

    print(json.dumps(json_schema(), indent=2, ensure_ascii=False))
    return EXIT_OK


COMMANDS = {"preview": cmd_preview, "validate": cmd_validate, "schema": cmd_schema}


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    try:
        return COMMANDS[args.command](args)
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:  # `preview | head`
        return EXIT_OK
