"""`check`: every account's credentials against X and Facebook.

Exit 0: every account OK; 1: a platform refused or a mismatch; 2: invalid files or missing variables.
"""

from __future__ import annotations

import argparse
import sys
from datetime import UTC, datetime

from bot import credentials
from bot.commands.common import EXIT_FAILURE, EXIT_INVALID, EXIT_OK, report
from bot.i18n import _
from bot.problems import errors
from bot.services import campaign
from bot.services.environment import credential_problems, load_environment
from bot.services.settings import CONNECTION_NAMES, setting_problems


def main(args: argparse.Namespace) -> int:
    schedule, _plan, problems = campaign.load_campaign(args.schedule, datetime.now(UTC))  # messages are files too
    env, env_problems = load_environment(args.env_file)
    problems += env_problems + setting_problems(env, only=CONNECTION_NAMES)
    if schedule is not None and not errors(problems):
        problems += credential_problems(schedule, env, used_only=False, missing_is_error=True)
    if errors(problems) or schedule is None:
        report(problems, sys.stderr)
        return EXIT_INVALID
    try:
        settings = credentials.connection_settings(env)
    except ValueError as error:
        print(_("error: {error}").format(error=error), file=sys.stderr)
        return EXIT_INVALID

    from bot.services.check import check_accounts, format_check

    results = check_accounts(schedule.accounts.values(), env, settings)
    sys.stdout.write(format_check(results))
    return EXIT_OK if all(result.ok for result in results) else EXIT_FAILURE
