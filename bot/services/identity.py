"""Who a post goes out as: X posts as whoever the token belongs to, while the digest names the configured handle.

`ApprovedIdentity` wraps a platform's publisher: before its first upload or post it asks the platform who the
credentials post as (one GET per publisher; a reload or a new `.env` makes a new one) and refuses, with a
CredentialsError, credentials that post as another handle than the approved one. The runner then holds the account
(nothing is sent) until a person fixes the tokens or the handle and resumes. Pre-flight holds it too (see
bot/services/preflight.py, `Hold`).
"""

from __future__ import annotations

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


def checked(publisher: Publisher, account: Account) -> Publisher:
    """`publisher`, wrapped so that it posts only as the approved handle where the platform posts as the token's
    owner (X); unchanged elsewhere (a Facebook post goes to the Page its URL names) and on a dry run."""
    if PLATFORMS[account.platform].identity != "handle" or isinstance(publisher, ConsolePublisher):
        return publisher
    return ApprovedIdentity(publisher, account)


class ApprovedIdentity:
    """A Publisher that checks, once, that its credentials post as the account's handle before anything is sent."""

    def __init__(self, inner: Publisher, account: Account) -> None:
        self.inner = inner
        self.account = account
        self.platform = inner.platform
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

    def identify(self) -> bool:
        """Check ahead of the first post (at the daemon's start): remembered only when the credentials post as the
        approved handle; a mismatch or a failed look-up is left for _verify to raise at the post's time. Whether
        the check passed."""
        with self._lock:
            if self._verified:
                return True
        try:
            problem = wrong_handle(self.account, self.inner.whoami())
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
        with self._lock:
            if self._verified:
                return
        problem = wrong_handle(self.account, self.inner.whoami())
        if problem is not None:
            raise CredentialsError(problem)
        with self._lock:
            self._verified = True
