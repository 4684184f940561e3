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
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime

from bot.credentials import Environment
from bot.i18n import _
from bot.model import Account, Post
from bot.publishers.base import CredentialsError, Publisher
from bot.services import capholds
from bot.services.identity import ApprovedIdentity, checked
from bot.store import Outbox

logger = logging.getLogger("bot.daemon")  # its lines are the daemon's, under the name they have always had

PublisherFactory = Callable[[Account, Environment], Publisher]
IDENTIFY_WORKERS = 8  # look-ups at once at start-up (each one GET to X)


class Accounts:
    """Thread-safe publisher cache and per-account locks."""

    def __init__(self, env: Environment, factory: PublisherFactory) -> None:
        self.env = env
        self._factory = factory
        self._lock = threading.Lock()
        self._locks: dict[str, threading.Lock] = {}
        self._publishers: dict[Account, Publisher] = {}  # keyed on the whole account, not its name
        self._accounts: tuple[Account, ...] = ()

    def install(self, accounts: Iterable[Account]) -> None:
        """The schedule's accounts (at start and on every reload): who shares an X app with whom."""
        with self._lock:
            self._accounts = tuple(accounts)

    def api_key(self, account: Account) -> str | None:
        with self._lock:
            return capholds.api_key(account, self.env)

    def sharing_app(self, account: Account) -> list[str]:
        """The accounts (this one included) that post through the same X app (the same `*_API_KEY`)."""
        with self._lock:
            return capholds.sharing_app(account, self._accounts, self.env)

    def lock_for(self, account: str) -> threading.Lock:
        with self._lock:
            return self._locks.setdefault(account, threading.Lock())

    def reset(self, env: Environment) -> None:
        with self._lock:
            self.env = env
            self._publishers.clear()

    def ready(self, account: Account) -> bool:
        """Whether the account's publisher is made already (publisher() then asks nothing of anyone)."""
        with self._lock:
            return account in self._publishers

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
        return self._keep(account, env, publisher)

    def _keep(self, account: Account, env: Environment, publisher: Publisher) -> Publisher:
        """Cache `publisher` unless one was cached meanwhile for this account (that one is returned), or the
        environment was reset meanwhile (it is returned, not kept)."""
        with self._lock:
            if self.env is not env:
                return publisher
            found = self._publishers.get(account)
            if found is not None:
                return found
            for stale in [known for known in self._publishers if known.name == account.name]:
                del self._publishers[stale]  # the name now means another account: its old publisher is done
            self._publishers[account] = publisher
        return publisher

    def identify_ahead(self, posts: Iterable[Post], workers: int = IDENTIFY_WORKERS) -> threading.Thread:
        """Issue 22: make each account's publisher now and ask X, once per account, who its credentials post as
        (`workers` at a time, on threads of their own), so that the check before an X account's first post is not
        made at the post's time. Only a match is remembered: a mismatch or a failed look-up leaves the check to the
        post's time, which refuses and holds the account as before. Returns the thread (the daemon does not wait)."""
        accounts = list(dict.fromkeys(post.account for post in posts))

        def identify(account: Account) -> None:
            with self._lock:
                env = self.env
            try:
                publisher = self._keep(account, env, checked(self._factory(account, env), account))
            except CredentialsError:  # the post's run holds the account, saying which variable to fix
                return
            if isinstance(publisher, ApprovedIdentity):
                publisher.identify()

        def work() -> None:
            with ThreadPoolExecutor(max_workers=max(1, workers), thread_name_prefix="identity") as pool:
                list(pool.map(identify, accounts))

        thread = threading.Thread(target=work, name="identities", daemon=True)
        thread.start()
        return thread
