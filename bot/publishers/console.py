"""The console publisher: prints what would be posted instead of posting (dry runs).

It implements the same Publisher protocol as the real adapters, so a dry run goes through the same runner.
"""

from __future__ import annotations

import logging
import unicodedata
from collections.abc import Sequence
from datetime import datetime
from typing import TextIO

from bot.i18n import _
from bot.model import Account
from bot.publishers.base import Identity, MediaUpload, Published, UploadedMedia

logger = logging.getLogger(__name__)


class ConsolePublisher:
    """Writes each post to `stream` and remembers it, so find_recent() can find it again."""

    platform = "console"

    def __init__(self, account: Account, stream: TextIO) -> None:
        self.account = account
        self.stream = stream
        self._posted: list[tuple[str, str]] = []  # (remote id, NFC text), oldest first
        self._uploads = 0

    def publish(
        self,
        text: str,
        reply_to: str | None = None,
        media: Sequence[MediaUpload] = (),
        media_ids: Sequence[str] = (),
    ) -> Published:
        remote_id = f"console-{len(self._posted) + 1}"
        where = f"reply to {reply_to}" if reply_to else "new post"
        self.stream.write(f"--- [dry run] {self.account.name} ({self.account.label}) {where} -> {remote_id}\n")
        for item in media:
            self.stream.write(f"[image {item.name}, {item.mime}, {len(item.data)} bytes] alt: {item.alt}\n")
        if media_ids:
            self.stream.write(f"[attached media: {', '.join(media_ids)}]\n")
        self.stream.write(text if text.endswith("\n") else text + "\n")
        self.stream.flush()
        self._posted.append((remote_id, _normalise(text)))
        logger.info(_("console {name}: printed {remote_id}").format(name=self.account.name, remote_id=remote_id))
        return Published(remote_id, f"console://{self.account.name}/{remote_id}")

    def find_recent(self, text: str) -> Published | None:
        wanted = _normalise(text)
        for remote_id, posted in reversed(self._posted):
            if posted == wanted:
                return Published(remote_id, f"console://{self.account.name}/{remote_id}")
        return None

    def upload_media(self, media: Sequence[MediaUpload], now: datetime) -> tuple[UploadedMedia, ...]:
        """Prints nothing (publish shows the images); returns ids that never expire."""
        uploaded = []
        for _item in media:
            self._uploads += 1
            uploaded.append(UploadedMedia(f"console-media-{self._uploads}", None))
        return tuple(uploaded)

    def whoami(self) -> Identity:
        return Identity(f"console:{self.account.name}", self.account.label, self.account.handle)


def _normalise(text: str) -> str:
    return unicodedata.normalize("NFC", text.replace("\r\n", "\n").replace("\r", "\n"))
