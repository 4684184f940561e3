"""`alerts test`: send a test alert to each URL of ALERT_URLS and print, per URL, OK or why it failed.

Exit 0: every URL delivered; 1: any failed; 2: ALERT_URLS unset or a URL that cannot be parsed (named, with
its position in .env). Only this command and `run` import apprise.
"""

from __future__ import annotations

import argparse
import sys
from datetime import UTC, datetime

from bot.commands.common import report
from bot.services.environment import load_environment


def main(args: argparse.Namespace) -> int:
    from bot.alerts.probe import format_probe, probe_alert_urls

    env, problems = load_environment(args.env_file)
    report(problems, sys.stderr)
    env_text = None
    if env.env_file is not None and env.position_of("ALERT_URLS") is not None:
        env_text = env.env_file.read_text(encoding="utf-8", errors="replace")
    name = str(env.env_file) if env.env_file is not None else ".env"
    result = probe_alert_urls(env.get("ALERT_URLS"), datetime.now(UTC), env_text=env_text, env_name=name)
    (sys.stderr if result.problems else sys.stdout).write(format_probe(result))
    return result.exit_code
