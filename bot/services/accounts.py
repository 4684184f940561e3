"""The daemon's accounts: one publisher per account (made on first use), one request at a time per account.

A publisher that cannot be made because of its credentials holds the account in the outbox, with the
variable to fix. `reset` drops every publisher, after `.env` was read again.

Publishers are cached per account *as configured* (its whole settings: handle, Page id, credentials prefix, ...),
not per name: a reload that points a name at another Page or handle gets a new publisher, so a post goes to the
target its digest names, never to the one the name meant before.

Who an X token posts as is asked ahead (`identify_ahead`, at start) once per distinct set of credentials, not per
account, and remembered per set (`identity.Identities`): accounts sharing tokens, a reload and a `.env` read
again with the same tokens ask nothing more; only new tokens or a handle the known answer does not match are asked.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime

from bot.credentials import Environment, required_variables
from bot.i18n import _, ngettext
from bot.model import Account, Post
from bot.publishers.base import CredentialsError, Publisher
from bot.services import capholds
from bot.services.identity import ApprovedIdentity, Identities, checked, checks_identity, credentials_key
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
        self.identities = Identities()  # who each set of X tokens posts as: kept across reloads and resets

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
            publisher = self._checked(account, env)  # X: posts only as the approved handle
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

    def _checked(self, account: Account, env: Environment) -> Publisher:
        """A new publisher for `account`, wrapped to post only as its approved handle (X). Raises CredentialsError."""
        return checked(self._factory(account, env), account, self.identities, _key(account, env))

    def identify_ahead(
        self,
        posts: Iterable[Post],
        workers: int = IDENTIFY_WORKERS,
        clock: Callable[[], float] = time.monotonic,
    ) -> threading.Thread:
        """Issue 22: ask X now, once per distinct set of credentials (`workers` at a time, on threads of their own),
        who the tokens of the posts' X accounts post as, so that the check before an X account's first post is not
        made at the post's time. Tokens whose known answer already matches are not asked again; Facebook needs no
        check. Every account's publisher (X and Facebook) is made first, before any look-up: a post begins in its
        lease's round trip only when its publisher is made already (bot/services/firing.py), and making one costs
        tens of microseconds, no request. A mismatch or a failed look-up is left to the post's time, which refuses
        and holds the account as before. When every look-up is over it logs how many X accounts were checked, in
        how many seconds. Returns the thread (the daemon does not wait)."""
        every = list(dict.fromkeys(post.account for post in posts))
        accounts = [account for account in every if checks_identity(account)]
        with self._lock:
            env = self.env
        groups: dict[str, list[Account]] = {}
        for account in accounts:
            key = _key(account, env)
            if key is not None:  # a missing variable: the post's run holds the account, saying which to set
                groups.setdefault(key, []).append(account)
        asks = [
            unconfirmed[0]
            for key, group in groups.items()
            if (unconfirmed := [a for a in group if not self.identities.confirms(key, a)])
        ]  # one account per set of tokens whose answer is not known to match all of its accounts
        started = clock()

        def make(account: Account) -> Publisher | None:
            with self._lock:
                found = self._publishers.get(account)
            if found is not None:
                return found
            try:
                return self._keep(account, env, self._checked(account, env))
            except CredentialsError:  # the post's run holds the account, saying which variable to fix
                return None

        def identify(account: Account) -> bool:
            publisher = make(account)
            return isinstance(publisher, ApprovedIdentity) and publisher.identify()

        def work() -> None:
            for account in every:
                make(account)
            with ThreadPoolExecutor(max_workers=max(1, workers), thread_name_prefix="identity") as pool:
                confirmed = sum(pool.map(identify, asks))
            n = sum(len(group) for group in groups.values())
            logger.info(
                ngettext(
                    "identity of {n} X account checked in {seconds} s (look-ups: {asked}; not confirmed, asked again "
                    "before the first post: {unconfirmed})",
                    "identities of {n} X accounts checked in {seconds} s (look-ups: {asked}; not confirmed, asked "
                    "again before the first post: {unconfirmed})",
                    n,
                ).format(n=n, seconds=f"{clock() - started:.1f}", asked=len(asks), unconfirmed=len(asks) - confirmed)
            )

        thread = threading.Thread(target=work, name="identities", daemon=True)
        thread.start()
        return thread


def _key(account: Account, env: Environment) -> str | None:
    """The digest of the account's credential values (None when one is not set)."""
    values = [env.get(name) for name in required_variables(account)]
    return None if None in values else credentials_key([value for value in values if value is not None])
