"""The console publisher: prints what would be posted instead of posting (dry runs).

It implements the same Publisher protocol as the real adapters, so a dry run goes through the same runner.
"""

from __future__ import annotations

import logging
import unicodedata
from typing import TextIO

from bot.model import Account
from bot.publishers.base import Identity, Published

logger = logging.getLogger(__name__)


class ConsolePublisher:
    """Writes each post to `stream` and remembers it, so find_recent() can find it again."""

    platform = "console"

    def __init__(self, account: Account, stream: TextIO) -> None:
        self.account = account
        self.stream = stream
        self._posted: list[tuple[str, str]] = []  # (remote id, NFC text), oldest first

    def publish(self, text: str, reply_to: str | None = None) -> Published:
        remote_id = f"console-{len(self._posted) + 1}"
        where = f"reply to {reply_to}" if reply_to else "new post"
        self.stream.write(f"--- [dry run] {self.account.name} ({self.account.label}) {where} -> {remote_id}\n")
        self.stream.write(text if text.endswith("\n") else text + "\n")
        self.stream.flush()
        self._posted.append((remote_id, _normalise(text)))
        logger.info("console %s: printed %s", self.account.name, remote_id)
        return Published(remote_id, f"console://{self.account.name}/{remote_id}")

    def find_recent(self, text: str) -> Published | None:
        wanted = _normalise(text)
        for remote_id, posted in reversed(self._posted):
            if posted == wanted:
                return Published(remote_id, f"console://{self.account.name}/{remote_id}")
        return None

    def whoami(self) -> Identity:
        return Identity(f"console:{self.account.name}", self.account.label, self.account.handle)


def _normalise(text: str) -> str:
    return unicodedata.normalize("NFC", text.replace("\r\n", "\n").replace("\r", "\n"))
