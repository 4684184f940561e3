"""The daemon's accounts: one publisher per account (made on first use), one request at a time per account.

A publisher that cannot be made because of its credentials holds the account in the outbox, with the
variable to fix. `reset` drops every publisher, after `.env` was read again.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from datetime import datetime

from bot.credentials import Environment
from bot.i18n import _
from bot.model import Account, Post
from bot.publishers.base import CredentialsError, Publisher
from bot.store import Outbox

logger = logging.getLogger("bot.daemon")  # its lines are the daemon's, under the name they have always had

PublisherFactory = Callable[[Account, Environment], Publisher]


class Accounts:
    """Thread-safe publisher cache and per-account locks."""

    def __init__(self, env: Environment, factory: PublisherFactory) -> None:
        self.env = env
        self._factory = factory
        self._lock = threading.Lock()
        self._locks: dict[str, threading.Lock] = {}
        self._publishers: dict[str, Publisher] = {}

    def lock_for(self, account: str) -> threading.Lock:
        with self._lock:
            return self._locks.setdefault(account, threading.Lock())

    def reset(self, env: Environment) -> None:
        with self._lock:
            self.env = env
            self._publishers.clear()

    def publisher(self, post: Post, outbox: Outbox, now: Callable[[], datetime]) -> Publisher | None:
        """The account's publisher, or None after holding the account because its credentials are refused."""
        account = post.account
        with self._lock:
            found = self._publishers.get(account.name)
            env = self.env
        if found is not None:
            return found
        try:
            publisher = self._factory(account, env)
        except CredentialsError as error:
            reason = f"fix {error.variable or 'the credentials'} then restart ({error})"
            outbox.hold(account.name, reason, now())
            logger.error(
                _("post {id} account {name} held: {reason}").format(id=post.id, name=account.name, reason=reason)
            )
            return None
        with self._lock:
            self._publishers[account.name] = publisher
        return publisher
