"""How an approval was made, kept in its `by` so that `status`, the previews and the page show it with the name:
"NAME (via web, ADDRESS)" from the web page, "NAME (via command line, LOGIN@HOST)" from `approve` / `revoke`."""

from __future__ import annotations

import socket

from bot.approvals import default_approver


def web_by(name: str, address: str) -> str:
    return f"{name} (via web, {address})"


def cli_by(by: str | None) -> str | None:
    """--by (or the login name) and where the command ran. None/empty is passed on: the approve service then
    says that nobody can be told."""
    login = default_approver()
    who = by if by is not None else login
    if who is None or not who.strip():
        return by
    host = socket.gethostname()[:30] or "?"
    return f"{who.strip()} (via command line, {login or '?'}@{host})"
