"""Chooses the publisher for an account. The platform adapters are imported here, lazily.

Commands that never publish (preview, validate) must not load tweepy, facebook-sdk or requests: importing
this module does not, only calling make_publisher() for a real platform does.
"""

from __future__ import annotations

import importlib
import sys
from collections.abc import Iterable
from typing import TextIO

from bot.credentials import ConnectionSettings, Environment
from bot.model import Account
from bot.publishers.base import Publisher
from bot.publishers.console import ConsolePublisher

ADAPTERS = {"x": "bot.publishers.x", "facebook": "bot.publishers.facebook"}


def preload(platforms: Iterable[str]) -> None:
    """Import the adapters of these platforms now, so the first post due does not wait for them.

    The daemon calls it at start-up: importing tweepy or facebook-sdk with requests takes about 0.1 s (more when
    two jobs import at once), which would otherwise be paid, late, by the first post of each platform.
    """
    for platform in sorted(set(platforms)):
        if platform in ADAPTERS:
            importlib.import_module(ADAPTERS[platform])


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
