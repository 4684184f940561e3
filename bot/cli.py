"""Commands and exit codes. Each command parses its arguments, calls the core, formats, picks the code.

Exit status: 0 success, 1 a runtime failure (e.g. credentials rejected), 2 invalid input or usage.
Heavy libraries (tweepy, facebook, apscheduler, requests) are imported only by the commands that need them.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
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
    preview.add_argument(
        "--format",
        choices=("text", "json", "html"),
        help="text (default; html with --open), json, or html: one page to approve the campaign",
    )
    preview.add_argument("--now", type=_aware_datetime, help="pretend the current time is this (ISO 8601)")
    preview.add_argument("--output", type=Path, metavar="FILE", help="write to FILE instead of stdout")
    preview.add_argument(
        "--open", action="store_true", help="open the HTML page in a browser (without --output: a temporary file)"
    )
    preview.add_argument(
        "--state-dir",
        type=Path,
        help="HTML: show what the outbox in this folder recorded (default: ./state if it holds one, as `status`)",
    )

    validate = command("validate", "check the schedule, the messages and the credential variables")
    validate.add_argument("--now", type=_aware_datetime, help="pretend the current time is this (ISO 8601)")
    validate.add_argument("--env-file", type=Path, help="read credentials from this file (default: .env)")

    check = command("check", "verify every account's credentials against X and Facebook")
    check.add_argument("--env-file", type=Path, help="read credentials from this file (default: .env)")

    run = command("run", "the daemon: publish each post at its time; runs until stopped")
    _state_dir_option(run)
    run.add_argument("--env-file", type=Path, help="read credentials from this file (default: .env)")
    run.add_argument("--dry-run", action="store_true", help="print instead of posting, with a separate outbox")
    run.add_argument("--exit-when-done", action="store_true", help="exit 0 once every post has reached a final state")
    run.add_argument(
        "--catch-up",
        type=_duration,
        default=_duration("6h"),
        help="publish a post missed while the daemon was down if it is at most this late (default 6h)",
    )

    status = command("status", "what went out, what is scheduled, what failed and why")
    _state_dir_option(status)
    status.add_argument("--format", choices=("text", "json"), default="text")

    resume = command("resume", "let a held, failed or conflicting post continue")
    _state_dir_option(resume)
    resume.add_argument("post_id", metavar="POST_ID")
    resume.add_argument("--account", help="only this account's post (default: every account of POST_ID)")
    resume.add_argument(
        "--accept-edit",
        action="store_true",
        help="continue a post whose message was edited after it started, with the new text",
    )

    commands.add_parser("schema", help="print the JSON Schema of schedule.yaml")
    return parser


def _state_dir_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--state-dir", type=Path, default=Path("state"), help="folder of the outbox (default: ./state)")


def _duration(text: str) -> timedelta:
    value = config.parse_duration(text)
    if value is None:
        raise argparse.ArgumentTypeError(f"'{text}' is not a duration such as 30m, 6h or 1d")
    return value


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

    fmt = args.format or ("html" if args.open else "text")
    if fmt != "html" and (args.open or args.state_dir is not None):
        print("error: --open and --state-dir go with --format html", file=sys.stderr)
        return EXIT_INVALID
    now = args.now or datetime.now(UTC)
    schedule, plan, problems = campaign.load_campaign(args.schedule, now)
    if plan is None or schedule is None:
        report(problems, sys.stderr)
        return EXIT_INVALID
    name = config.display_path(args.schedule)
    if fmt != "html":
        output = (preview.render_json if fmt == "json" else preview.render_text)(plan, name)
        return _preview_output(args.output, output, plan, open_it=False)
    from bot.html import command
    from bot.outbox import OutboxError

    try:
        page = command.build_page(schedule, plan, name, args.state_dir, now)
    except OutboxError as error:  # e.g. written by a newer bot: the same message and status as `status`
        print(f"error: {error}", file=sys.stderr)
        return EXIT_FAILURE
    path = command.temporary_file() if args.open and args.output is None else args.output  # --open needs a file
    return _preview_output(path, page, plan, open_it=args.open)


def _preview_output(path: Path | None, output: str, plan: Plan, open_it: bool) -> int:
    """stdout, or --output FILE with a one-line receipt on stderr; then --open."""
    if path is None:
        sys.stdout.write(output)
        return EXIT_OK
    from bot.html import command

    problem = command.write_page(path, output)
    if problem is not None:
        print(f"error: {problem}", file=sys.stderr)
        return EXIT_INVALID
    fragments = sum(len(p.fragments) for p in plan.posts)
    print(f"wrote {path} ({fragments} fragments, {len(plan.posts)} posts)", file=sys.stderr)
    if open_it and (note := command.open_in_browser(path)) is not None:
        print(note, file=sys.stderr)
    return EXIT_OK


def cmd_validate(args: argparse.Namespace) -> int:
    now = args.now or datetime.now(UTC)
    schedule, plan, problems = campaign.load_campaign(args.schedule, now)
    env, env_problems = load_environment(args.env_file)
    if schedule is not None and not errors(problems):  # credentials matter once the files are right
        problems += credential_problems(schedule, env)
    problems += env_problems
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


def credential_problems(
    schedule: Schedule, env: credentials.Environment, used_only: bool = True, missing_is_error: bool = False
) -> list[Problem]:
    """A malformed value is an error; a missing one is a warning for validate and an error for check/run."""
    problems = []
    used = {name for entry in schedule.posts for name in entry.to}
    unread = env.unread()  # variables of .env lines already reported as broken are not reported as missing too
    for account in schedule.accounts.values():
        if used_only and account.name not in used:
            continue
        where = account.position if account.position.path else Position(config.display_path(schedule.path))
        missing = [] if unread is None else [n for n in credentials.missing_variables(account, env) if n not in unread]
        if missing:
            problems.append(
                Problem(
                    where,
                    f"account '{account.name}' needs {', '.join(missing)}, not set in the environment or .env",
                    _misspelt_hint(missing, env)
                    or "set them in .env (see .env.example) before `run`; `check` then verifies them",
                    severity="error" if missing_is_error else "warning",
                )
            )
        for name in credentials.malformed_variables(account, env):
            reason = credentials.token_problem(env.get(name))
            hint = f"copy the value again into {env.source_of(name)}, without spaces or surrounding quotes"
            if env.get(name) in credentials.EXAMPLE_VALUES:
                hint = f"put the real value in {env.source_of(name)} (README.md, 'Credentials', says where to find it)"
            problems.append(
                Problem(
                    env.position_of(name) or where,
                    f"account '{account.name}': {name} is set but is not a token ({reason})",
                    hint,
                )
            )
    return problems


def _misspelt_hint(missing: list[str], env: credentials.Environment) -> str:
    """When the .env sets a variable under a near name (case, '-' for '_'), say where."""
    for name in missing:
        for written, (line, _) in env.places.items():
            if written != name and written.upper().replace("-", "_").replace(".", "_") == name:
                return f"line {line} of {env.env_file} sets '{written}': names are case-sensitive and use '_'"
    return ""


def plan_warnings(plan: Plan) -> list[Problem]:
    return [
        Problem(post.source, f"post '{post.id}' to '{post.account.name}': {warning.message}", severity="warning")
        for post in plan.posts
        for warning in post.warnings
    ]


def cmd_schema(args: argparse.Namespace) -> int:
    from bot.schema import json_schema

    print(json.dumps(json_schema(), indent=2, ensure_ascii=False))
    return EXIT_OK


def load_environment(env_file: Path | None) -> tuple[credentials.Environment, list[Problem]]:
    env = credentials.load_environment(env_file)
    found = [*env.problems, *credentials.setting_problems(env)]
    return env, [Problem(p.position, p.message, p.hint) for p in found]


def cmd_check(args: argparse.Namespace) -> int:
    """0: every account OK; 1: a platform refused or a mismatch; 2: invalid files or missing variables."""
    schedule, _, problems = campaign.load_campaign(args.schedule, datetime.now(UTC))  # messages are files too
    env, env_problems = load_environment(args.env_file)
    problems += env_problems
    if schedule is not None and not errors(problems):
        problems += credential_problems(schedule, env, used_only=False, missing_is_error=True)
    if errors(problems) or schedule is None:
        report(problems, sys.stderr)
        return EXIT_INVALID
    try:
        settings = credentials.connection_settings(env)
    except ValueError as error:
        print(f"error: {error}", file=sys.stderr)
        return EXIT_INVALID

    from bot.check import check_accounts, format_check

    results = check_accounts(schedule.accounts.values(), env, settings)
    sys.stdout.write(format_check(results))
    return EXIT_OK if all(result.ok for result in results) else EXIT_FAILURE


def cmd_run(args: argparse.Namespace) -> int:
    from bot import daemon

    return daemon.main_run(args)


def cmd_status(args: argparse.Namespace) -> int:
    from bot import status

    return status.main_status(args)


def cmd_resume(args: argparse.Namespace) -> int:
    from bot import status

    return status.main_resume(args)


COMMANDS = {
    "preview": cmd_preview,
    "validate": cmd_validate,
    "check": cmd_check,
    "run": cmd_run,
    "status": cmd_status,
    "resume": cmd_resume,
    "schema": cmd_schema,
}


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    try:
        return COMMANDS[args.command](args)
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:  # `preview | head`
        return EXIT_OK
