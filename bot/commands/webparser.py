"""The options of `serve` and `users` (the approvers' web page, issue 23)."""

from __future__ import annotations

import argparse
from collections.abc import Callable
from typing import Any

from bot.i18n import _

Option = Callable[[argparse.ArgumentParser], None]


def web_commands(
    commands: Any,
    command: Callable[[str, str], argparse.ArgumentParser],
    state_dir: Option,
    database: Option,
    language: Option,
) -> None:
    serve = command("serve", _("the approvers' web page: sign in, read the campaign, approve; live on the day"))
    state_dir(serve)
    database(serve)
    serve.add_argument(
        "--bind", default="127.0.0.1:8080", metavar="HOST:PORT", help=_("where to listen (default: 127.0.0.1:8080)")
    )
    serve.add_argument(
        "--trusted-proxy",
        action="append",
        default=[],
        metavar="ADDR",
        help=_("the reverse proxy's address: only its X-Forwarded-Proto / X-Forwarded-For are believed (repeatable)"),
    )
    users = commands.add_parser("users", help=_("the web page's users"), description=_("the web page's users"))
    language(users)
    actions = users.add_subparsers(dest="users_command", required=True, metavar="ACTION")
    add = actions.add_parser("add", help=_("add a user (the password is asked for, never given as an argument)"))
    add.add_argument("name", metavar="NAME")
    add.add_argument("--role", required=True, choices=("approver", "viewer"), help=_("approver: approves and revokes"))
    from_stdin = _("read the password from the first line of stdin")
    add.add_argument("--password-stdin", action="store_true", help=from_stdin)
    listing = actions.add_parser("list", help=_("every user: role, last sign-in, locked or not"))
    passwd = actions.add_parser("passwd", help=_("set a new password (the user's sessions end)"))
    passwd.add_argument("name", metavar="NAME")
    passwd.add_argument("--password-stdin", action="store_true", help=from_stdin)
    remove = actions.add_parser("remove", help=_("remove a user (the user's sessions end)"))
    remove.add_argument("name", metavar="NAME")
    for sub in (add, listing, passwd, remove):
        language(sub)
        state_dir(sub)
        database(sub)
