"""systemd's notify protocol: READY=1, WATCHDOG=1, STOPPING=1 as datagrams to $NOTIFY_SOCKET.

No-op when NOTIFY_SOCKET is unset (not started by systemd with Type=notify). A name starting with '@' is in
the abstract namespace (a NUL byte on the wire). Failures are logged, never raised: systemd's bookkeeping
must not stop the daemon.
"""

from __future__ import annotations

import logging
import os
import socket
from collections.abc import Mapping

from bot.i18n import _

logger = logging.getLogger(__name__)


class Notifier:
    """Sends notify messages to the socket named in `environ` (default os.environ) at construction."""

    def __init__(self, environ: Mapping[str, str] | None = None) -> None:
        env = os.environ if environ is None else environ
        name = env.get("NOTIFY_SOCKET", "")
        self._address: str | bytes | None = None
        if name.startswith("@"):
            self._address = b"\0" + name[1:].encode()
        elif name.startswith("/"):
            self._address = name
        elif name:
            logger.warning(
                _("NOTIFY_SOCKET={name!r} is not a socket path or @abstract name: systemd is not told").format(
                    name=name
                )
            )
        self._watchdog = _watchdog_seconds(env)

    @property
    def enabled(self) -> bool:
        return self._address is not None

    @property
    def watchdog_seconds(self) -> float | None:
        """WatchdogSec= of the unit (from WATCHDOG_USEC, when meant for this process), else None."""
        return self._watchdog

    def notify(self, message: str) -> bool:
        """Send one message ('READY=1', 'STATUS=...'); True when sent."""
        if self._address is None:
            return False
        try:
            with socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM | socket.SOCK_CLOEXEC) as sock:
                sock.connect(self._address)
                sock.sendall(message.encode())
            return True
        except OSError as error:
            logger.warning(
                _("could not notify systemd ({value}): {value2}").format(
                    value=message.split("=", 1)[0], value2=error.strerror or error
                )
            )
            return False

    def ready(self, status: str | None = None) -> bool:
        return self.notify("READY=1" + (f"\nSTATUS={status}" if status else ""))

    def watchdog(self) -> bool:
        return self.notify("WATCHDOG=1")

    def stopping(self) -> bool:
        return self.notify("STOPPING=1")


def _watchdog_seconds(env: Mapping[str, str]) -> float | None:
    usec = env.get("WATCHDOG_USEC", "")
    pid = env.get("WATCHDOG_PID", "")
    if not usec.isdigit() or int(usec) == 0:
        return None
    if pid and pid != str(os.getpid()):
        return None  # meant for another process (e.g. a parent shell)
    return int(usec) / 1_000_000
