"""Who a post goes out as: X posts as whoever the token belongs to, while the digest names the configured handle.

`ApprovedIdentity` wraps a platform's publisher: before its first upload or post it asks the platform who the
credentials post as and refuses, with a CredentialsError, credentials that post as another handle than the approved
one. The runner then holds the account (nothing is sent) until a person fixes the tokens or the handle and resumes.
Pre-flight holds it too (see bot/services/preflight.py, `Hold`).

The answer depends on the tokens alone, so `Identities` keeps it per set of credentials (their values, by a
digest): accounts sharing tokens, and an account that a reload or a new `.env` leaves with the same tokens, need no
second GET when the answer matches their handle; a mismatch is never trusted from it (the platform is asked again).
"""

from __future__ import annotations

import hashlib
import threading
from collections.abc import Sequence
from datetime import datetime

from bot.model import Account
from bot.platforms import PLATFORMS
from bot.publishers.base import CredentialsError, Identity, MediaUpload, Published, Publisher, UploadedMedia
from bot.publishers.console import ConsolePublisher


def wrong_handle(account: Account, identity: Identity) -> str | None:
    """Why these credentials may not post for `account` (they post as another X handle), or None."""
    if PLATFORMS[account.platform].identity != "handle" or not account.handle or not identity.handle:
        return None
    approved = account.handle.lstrip("@")
    if approved.casefold() == identity.handle.casefold():
        return None
    from bot.i18n import _

    return _(
        "the credentials of account '{account}' post as @{actual}, not as @{approved}, the handle the approval is "
        "for: nothing is sent from it; put the tokens of @{approved} in .env (or fix the handle in schedule.yaml and "
        "approve again), then `python main.py resume POST_ID`"
    ).format(account=account.name, actual=identity.handle, approved=approved)


def checks_identity(account: Account) -> bool:
    """Whether the platform posts as the token's owner (X), so that who it is must be checked before posting."""
    return PLATFORMS[account.platform].identity == "handle"


def credentials_key(values: Sequence[str]) -> str:
    """A digest of one account's credential values: equal for accounts sharing tokens, never the tokens."""
    return hashlib.sha256("\0".join(values).encode("utf-8")).hexdigest()


class Identities:
    """Who each set of credentials posts as, from the platform's answers (thread-safe)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._known: dict[str, Identity] = {}

    def remember(self, key: str, identity: Identity) -> None:
        with self._lock:
            self._known[key] = identity

    def confirms(self, key: str | None, account: Account) -> bool:
        """True when the answer known for these credentials is the account's approved handle."""
        if key is None:
            return False
        with self._lock:
            identity = self._known.get(key)
        return identity is not None and wrong_handle(account, identity) is None


def checked(
    publisher: Publisher, account: Account, identities: Identities | None = None, key: str | None = None
) -> Publisher:
    """`publisher`, wrapped so that it posts only as the approved handle where the platform posts as the token's
    owner (X); unchanged elsewhere (a Facebook post goes to the Page its URL names) and on a dry run. With
    `identities` and the credentials' `key`, an answer already known for the same tokens spares the GET."""
    if not checks_identity(account) or isinstance(publisher, ConsolePublisher):
        return publisher
    return ApprovedIdentity(publisher, account, identities, key)


class ApprovedIdentity:
    """A Publisher that checks, once, that its credentials post as the account's handle before anything is sent."""

    def __init__(
        self, inner: Publisher, account: Account, identities: Identities | None = None, key: str | None = None
    ) -> None:
        self.inner = inner
        self.account = account
        self.platform = inner.platform
        self._identities = identities
        self._key = key
        self._lock = threading.Lock()
        self._verified = False

    def publish(
        self,
        text: str,
        reply_to: str | None = None,
        media: Sequence[MediaUpload] = (),
        media_ids: Sequence[str] = (),
    ) -> Published:
        self._verify()
        return self.inner.publish(text, reply_to, media, media_ids)

    def upload_media(self, media: Sequence[MediaUpload], now: datetime) -> tuple[UploadedMedia, ...]:
        self._verify()
        return self.inner.upload_media(media, now)

    def find_recent(self, text: str) -> Published | None:
        return self.inner.find_recent(text)

    def whoami(self) -> Identity:
        return self.inner.whoami()

    def _ask(self) -> Identity:
        """The platform's answer (one GET), remembered for these credentials."""
        identity = self.inner.whoami()
        if self._identities is not None and self._key is not None:
            self._identities.remember(self._key, identity)
        return identity

    def _known(self) -> bool:
        """Verified already, or the answer known for the same tokens is the approved handle (then verified now)."""
        with self._lock:
            if self._verified:
                return True
        if self._identities is None or not self._identities.confirms(self._key, self.account):
            return False
        with self._lock:
            self._verified = True
        return True

    def identify(self) -> bool:
        """Check ahead of the first post (at the daemon's start): remembered only when the credentials post as the
        approved handle; a mismatch or a failed look-up is left for _verify to raise at the post's time. Whether
        the check passed."""
        if self._known():
            return True
        try:
            problem = wrong_handle(self.account, self._ask())
        except Exception:  # any failure: the post's time asks again and says why
            return False
        if problem is not None:
            return False
        with self._lock:
            self._verified = True
        return True

    def _verify(self) -> None:
        """Raises CredentialsError (the account is held) when the token posts as another handle; a failed look-up
        raises what the platform's whoami raises (RetryLater: nothing was sent, try again)."""
        if self._known():
            return
        problem = wrong_handle(self.account, self._ask())
        if problem is not None:
            raise CredentialsError(problem)
        with self._lock:
            self._verified = True
