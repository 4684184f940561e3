"""Chooses the publisher for an account. The platform adapters are imported here, lazily.

Commands that never publish (preview, validate) must not load tweepy, facebook-sdk or requests: importing
this module does not, only calling make_publisher() for a real platform does.
"""

from __future__ import annotations

import sys
from typing import TextIO

from bot.credentials import ConnectionSettings, Environment
from bot.model import Account
from bot.publishers.base import Publisher
from bot.publishers.console import ConsolePublisher


def make_publisher(
    account: Account,
    env: Environment,
    settings: ConnectionSettings,
    dry_run: bool = False,
    stream: TextIO | None = None,
) -> Publisher:
    """The publisher for `account`: the console one on a dry run, else the platform's adapter.

    Raises CredentialsError when a variable the account needs is not set.
    """
    if dry_run:
        return ConsolePublisher(account, stream if stream is not None else sys.stdout)
    if account.platform == "x":
        from bot.publishers.x import XPublisher

        return XPublisher(account, env, settings)
    if account.platform == "facebook":
        from bot.publishers.facebook import FacebookPublisher

        return FacebookPublisher(account, env, settings)
    raise ValueError(f"account {account.name!r}: unknown platform {account.platform!r}")
