"""How an approval was made, kept in its `by` so that `status`, the previews and the page show it with the name:
"NAME (via web, ADDRESS)" from the web page, "NAME (via command line, LOGIN@HOST)" from `approve` / `revoke`, in
the language of the command that recorded it (kept as written, like the note)."""

from __future__ import annotations

import socket

from bot.approvals import default_approver
from bot.i18n import _


def web_by(name: str, address: str) -> str:
    return _("{name} (via web, {address})").format(name=name, address=address)


def cli_by(by: str | None) -> str | None:
    """--by (or the login name) and where the command ran. None/empty is passed on: the approve service then
    says that nobody can be told."""
    login = default_approver()
    who = by if by is not None else login
    if who is None or not who.strip():
        return by
    host = socket.gethostname()[:30] or "?"
    return _("{name} (via command line, {login}@{host})").format(name=who.strip(), login=login or "?", host=host)
