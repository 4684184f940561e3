"""Which watched files changed since the last look: a signature (mtime, size) per path, polled."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from pathlib import Path

Signature = dict[Path, tuple[int, int] | None]  # None: the file is missing


def signature(paths: Iterable[Path]) -> Signature:
    found: Signature = {}
    for path in paths:
        try:
            stat = path.stat()
            found[path] = (stat.st_mtime_ns, stat.st_size)
        except OSError:
            found[path] = None
    return found


class Watcher:
    """Polls the paths `watched()` names; the set may change between polls (a reload names new messages)."""

    def __init__(self, watched: Callable[[], list[Path]]) -> None:
        self._watched = watched
        self._seen: Signature = signature(watched())

    def changes(self) -> list[Path]:
        """The paths whose signature differs from the last poll (new paths count as changed)."""
        now = signature(self._watched())
        changed = [path for path in now if now[path] != self._seen.get(path)]
        self._seen = now
        return changed

    def follow(self) -> None:
        """After a reload: paths newly watched are taken as they are now; the others keep the last poll."""
        now = signature(self._watched())
        self._seen = {path: self._seen.get(path, now[path]) for path in now}
