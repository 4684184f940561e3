"""The one guarded read of a small UTF-8 text file the bot is given: the schedule, a message, the .env.

It never raises for a bad file: it returns the text, or a `FileFault` saying what makes the file unusable
(a folder, a device, missing, unreadable, too large, UTF-16, NUL bytes, not UTF-8) and where. Each caller
words the fault in its own terms (`match` on `fault.kind`), so the checks live here once and the pinned
messages stay the caller's.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path


class Fault(StrEnum):
    FOLDER = "folder"
    NOT_REGULAR = "not-regular"  # a device, pipe or socket
    MISSING = "missing"
    UNREADABLE = "unreadable"  # the system refused: `reason` has its words
    TOO_LARGE = "too-large"
    UTF16 = "utf-16"  # starts with a UTF-16 byte order mark
    NUL = "nul"  # a binary file, or UTF-16 without a byte order mark
    NOT_UTF8 = "not-utf-8"


@dataclass(frozen=True)
class FileFault:
    """Why a text file could not be read, and where in it."""

    kind: Fault
    line: int = 0  # 1-based place of the fault in the file; 0 for a fault of the whole file
    col: int = 0  # in characters, as an editor counts them
    size: int = 0  # TOO_LARGE: bytes found, more than the limit
    reason: str = ""  # UNREADABLE: the system's words (strerror)


_UTF16_BOMS = (b"\xff\xfe", b"\xfe\xff")
_UTF8_BOM = b"\xef\xbb\xbf"


def read_text(path: Path, max_bytes: int | None = None) -> str | FileFault:
    """The file's text (a UTF-8 byte order mark dropped), or why it cannot be used as text.

    Reads at most `max_bytes` + 1 bytes, whatever the file claims to hold, so a huge file costs nothing.
    """
    try:
        if path.is_dir():
            return FileFault(Fault.FOLDER)
        if path.exists() and not path.is_file():
            return FileFault(Fault.NOT_REGULAR)
        with path.open("rb") as stream:
            data = stream.read() if max_bytes is None else stream.read(max_bytes + 1)
            if max_bytes is not None and len(data) > max_bytes:  # report the size the file claims
                return FileFault(Fault.TOO_LARGE, size=max(os.fstat(stream.fileno()).st_size, len(data)))
    except FileNotFoundError:
        return FileFault(Fault.MISSING)
    except OSError as error:
        return FileFault(Fault.UNREADABLE, reason=error.strerror or str(error))
    if data.startswith(_UTF16_BOMS):
        return FileFault(Fault.UTF16, 1, 1)
    data = data.removeprefix(_UTF8_BOM)
    # NUL first: a binary file (an image named by mistake) is "not a text file" rather than "not UTF-8".
    nul = data.find(b"\x00")
    if nul >= 0:
        return FileFault(Fault.NUL, *_place(data, nul))
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as error:
        return FileFault(Fault.NOT_UTF8, *_place(data, error.start))


def _place(data: bytes, offset: int) -> tuple[int, int]:
    """Line and column (in characters) of the byte at `offset`."""
    before = data[:offset]
    line_start = before.rfind(b"\n") + 1
    return before.count(b"\n") + 1, len(before[line_start:].decode("utf-8", "replace")) + 1
