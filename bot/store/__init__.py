"""The outbox: record types and the store interface (no database library imported here).

records.py     FragmentRecord, PostSummary, FreezeResult, OutboxError
interface.py   Outbox: the Protocol every store implements
sqlite.py      SqliteOutbox (+ sqlite_schema, sqlite_reads, sqlite_texts): the embedded default
"""

from bot.store.interface import Outbox
from bot.store.records import FragmentRecord, FreezeResult, MediaRecord, OutboxError, PostSummary, texts_digest

__all__ = ["FragmentRecord", "FreezeResult", "MediaRecord", "Outbox", "OutboxError", "PostSummary", "texts_digest"]
