"""`users add|list|passwd|remove`: the people who may sign in to the web page (`serve`).

A password is read from a prompt without echo (twice), or with --password-stdin from the first line of
standard input; never from the command line, where `ps` and the shell's history would show it.
"""

from __future__ import annotations

import argparse
import getpass
import sys
from datetime import UTC, datetime

from bot.commands.common import EXIT_FAILURE, EXIT_INVALID, EXIT_OK
from bot.commands.webstore import open_web_store
from bot.i18n import _
from bot.services import webusers


def main(args: argparse.Namespace) -> int:
    opened = open_web_store(args)
    if isinstance(opened, int):
        return opened
    store, where, _leases = opened
    now = datetime.now(UTC)
    try:
        if args.users_command == "list":
            return _list(store, now, where)
        if args.users_command == "remove":
            webusers.remove_user(store, args.name, now)
            print(_("removed user {name}; their sessions ended").format(name=args.name))
            return EXIT_OK
        webusers.check_name(args.name)
        password = _password(args.password_stdin)
        if password is None:
            return EXIT_INVALID
        if args.users_command == "add":
            webusers.add_user(store, args.name, args.role, password, now)
            print(_("added user {name} ({role}) in {where}").format(name=args.name, role=args.role, where=where))
        else:
            webusers.change_password(store, args.name, password, now)
            print(_("new password for {name}; their sessions ended").format(name=args.name))
        return EXIT_OK
    except webusers.UserError as error:
        print(_("error: {message}").format(message=error.message), file=sys.stderr)
        if error.hint:
            print("    " + _("hint: {hint}").format(hint=error.hint), file=sys.stderr)
        return EXIT_INVALID if args.users_command in ("add", "passwd") else EXIT_FAILURE
    finally:
        store.close()


def _list(store: webusers.WebStore, now: datetime, where: str) -> int:
    users = store.users()
    if not users:
        print(
            _("no users in {where}: add one with `python main.py users add NAME --role approver`").format(where=where)
        )
        return EXIT_OK
    for user in users:
        last = user.last_sign_in.isoformat(timespec="seconds") if user.last_sign_in else _("never signed in")
        lock = (
            _("locked until {until}").format(until=user.locked_until.isoformat(timespec="seconds"))
            if user.locked_until is not None and webusers.locked(user, now)
            else _("not locked")
        )
        print(f"{user.name:<24} {user.role:<9} {last:<26} {lock}")
    return EXIT_OK


def _password(from_stdin: bool) -> str | None:
    if from_stdin:
        line = sys.stdin.readline()
        password = line[:-1] if line.endswith("\n") else line
    else:
        try:
            password = getpass.getpass(_("password: "))
            again = getpass.getpass(_("the same password again: "))
        except EOFError:
            again, password = "", "x"
        if password != again:
            print(_("error: the two passwords differ; nothing was changed"), file=sys.stderr)
            return None
    try:
        return webusers.check_password(password)
    except webusers.UserError as error:
        print(_("error: {message}").format(message=error.message), file=sys.stderr)
        print("    " + _("hint: {hint}").format(hint=error.hint), file=sys.stderr)
        return None
