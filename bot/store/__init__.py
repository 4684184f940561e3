"""The outbox: record types and the store interface (no database library imported here).

records.py     FragmentRecord, PostSummary, FreezeResult, OutboxError
interface.py   Outbox: the Protocol every store implements
sqlite.py      SqliteOutbox (+ sqlite_schema, sqlite_reads, sqlite_texts): the embedded default

The names below are loaded on first use (PEP 562): importing one module of the package, e.g. sqlite_schema for
the database's file name, runs this file first, and `preview` must not pay for the records it does not read.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from bot.store.interface import Outbox
    from bot.store.records import (
        Begun,
        FragmentRecord,
        FreezeResult,
        MediaRecord,
        OutboxError,
        PostSummary,
        texts_digest,
    )

__all__ = [
    "Begun",
    "FragmentRecord",
    "FreezeResult",
    "MediaRecord",
    "Outbox",
    "OutboxError",
    "PostSummary",
    "texts_digest",
]

_HOME = {name: "bot.store.records" for name in __all__} | {"Outbox": "bot.store.interface"}


def __getattr__(name: str) -> Any:
    if name not in _HOME:
        raise AttributeError(f"module 'bot.store' has no attribute {name!r}")
    value = getattr(importlib.import_module(_HOME[name]), name)
    globals()[name] = value  # once: later look-ups find it without this function
    return value
