"""`validate`: the schedule, its messages and the credential variables, every problem at once."""

from __future__ import annotations

import argparse
import sys
from datetime import UTC, datetime

from bot import config
from bot.commands.common import EXIT_INVALID, EXIT_OK, report
from bot.i18n import _, ngettext
from bot.problems import errors
from bot.services import campaign
from bot.services.alertsettings import alert_problems
from bot.services.applimit import app_limit_problems
from bot.services.environment import credential_problems, load_environment, plan_warnings
from bot.services.settings import setting_problems


def main(args: argparse.Namespace) -> int:
    now = args.now or datetime.now(UTC)
    schedule, plan, problems = campaign.load_campaign(args.schedule, now)
    env, env_problems = load_environment(args.env_file)
    if schedule is not None and not errors(problems):  # credentials matter once the files are right
        problems += credential_problems(schedule, env)
    problems += env_problems
    problems += setting_problems(env)  # every setting `run` would refuse, by the rule `run` applies
    problems += [p for p in alert_problems(env, plan, now) if p.severity == "warning"]
    if plan is not None:
        problems += plan_warnings(plan)
    if plan is not None and schedule is not None:
        problems += app_limit_problems(schedule, plan, env)
    report(problems, sys.stderr)
    if errors(problems) or plan is None or schedule is None:
        return EXIT_INVALID
    fragments = sum(len(p.fragments) for p in plan.posts)
    print(
        _("{schedule}: valid. {accounts}, {entries}, {posts}, {fragments}.").format(
            schedule=config.display_path(args.schedule),
            accounts=ngettext("{n} account", "{n} accounts", len(schedule.accounts)).format(n=len(schedule.accounts)),
            entries=ngettext("{n} schedule entry", "{n} schedule entries", len(schedule.posts)).format(
                n=len(schedule.posts)
            ),
            posts=ngettext("{n} post", "{n} posts", len(plan.posts)).format(n=len(plan.posts)),
            fragments=ngettext("{n} fragment", "{n} fragments", fragments).format(n=fragments),
        )
    )
    return EXIT_OK
