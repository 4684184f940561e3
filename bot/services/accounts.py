"""The daemon's accounts: one publisher per account (made on first use), one request at a time per account.

A publisher that cannot be made because of its credentials holds the account in the outbox, with the
variable to fix. `reset` drops every publisher, after `.env` was read again.

Publishers are cached per account *as configured* (its whole settings: handle, Page id, credentials prefix, ...),
not per name: a reload that points a name at another Page or handle gets a new publisher, so a post goes to the
target its digest names, never to the one the name meant before.
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
from bot.services.identity import checked
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
        self._publishers: dict[Account, Publisher] = {}  # keyed on the whole account, not its name

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
            found = self._publishers.get(account)
            env = self.env
        if found is not None:
            return found
        try:
            publisher = checked(self._factory(account, env), account)  # X: posts only as the approved handle
        except CredentialsError as error:
            reason = f"fix {error.variable or 'the credentials'} then restart ({error})"
            outbox.hold(account.name, reason, now())
            logger.error(
                _("post {id} account {name} held: {reason}").format(id=post.id, name=account.name, reason=reason)
            )
            return None
        with self._lock:
            for stale in [known for known in self._publishers if known.name == account.name]:
                del self._publishers[stale]  # the name now means another account: its old publisher is done
            self._publishers[account] = publisher
        return publisher
