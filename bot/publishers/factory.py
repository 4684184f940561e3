"""Chooses the publisher for an account. The platform adapters are imported here, lazily.

Commands that never publish (preview, validate) must not load tweepy, facebook-sdk or requests: importing
this module does not, only calling make_publisher() for a real platform does.
"""

from __future__ import annotations

import importlib
import sys
from collections.abc import Callable, Iterable
from typing import TextIO

from bot.credentials import ConnectionSettings, Environment
from bot.model import Account
from bot.platforms import PLATFORMS
from bot.publishers.base import Publisher
from bot.publishers.console import ConsolePublisher


def preload(platforms: Iterable[str]) -> None:
    """Import the adapters of these platforms now, so the first post due does not wait for them.

    The daemon calls it at start-up: importing tweepy or facebook-sdk with requests takes about 0.1 s (more when
    two jobs import at once), which would otherwise be paid, late, by the first post of each platform.
    """
    for platform in sorted(set(platforms)):
        if platform in PLATFORMS:
            importlib.import_module(PLATFORMS[platform].adapter[0])


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
    if account.platform not in PLATFORMS:
        raise ValueError(f"account {account.name!r}: unknown platform {account.platform!r}")
    module, name = PLATFORMS[account.platform].adapter
    adapter: Callable[[Account, Environment, ConnectionSettings], Publisher] = getattr(
        importlib.import_module(module), name
    )
    return adapter(account, env, settings)
