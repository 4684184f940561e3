"""Which outbox: SQLite under --state-dir (the default, one daemon) or PostgreSQL at DATABASE_URL (several).

`--database-url URL` on the command line wins over DATABASE_URL in the environment or `.env`. psycopg is
imported only when a URL is given (bot/store/postgres.py), so the SQLite default never loads it. With
PostgreSQL the state folder still holds its lock (one daemon per folder) and the marker `resume` touches on
this machine; the outbox, the leases and the daemons' registry live in the database.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

from bot.credentials import Environment
from bot.i18n import _
from bot.services import statefolder
from bot.services.publishing import LeaseSettings, LeaseStore
from bot.store import Outbox

DATABASE_URL = "DATABASE_URL"
LEASE_SECONDS = "LEASE_SECONDS"


@dataclass(frozen=True)
class Store:
    """An open outbox and, when several daemons may share it, its leases (the same object for PostgreSQL)."""

    outbox: Outbox
    leases: LeaseStore | None
    where: str  # for messages: the state folder, or the database URL without its password


def database_url(option: str | None, env: Environment | None) -> str | None:
    """The PostgreSQL URL to use, or None for SQLite under --state-dir."""
    return option or (env.get(DATABASE_URL) if env is not None else None)


def open_store(url: str | None, state_dir: Path, *, create: bool) -> Store | None:
    """The outbox; None when nothing was published yet (and not `create`). Raises OutboxError (a newer
    schema, a damaged database, an unreachable server: StoreUnavailable)."""
    if url is None:
        outbox = statefolder.create_outbox(state_dir) if create else statefolder.open_outbox(state_dir)
        return Store(outbox, None, str(state_dir)) if outbox is not None else None
    from bot.store.postgres import PostgresOutbox  # psycopg: only with a database URL

    try:
        store = PostgresOutbox.open(url, create=create)
    except FileNotFoundError:
        return None
    return Store(store, store, store.where)


def lease_settings(option: float | None, env: Environment, http_timeout_seconds: float) -> LeaseSettings:
    """--lease SECONDS, else LEASE_SECONDS, else 20 s. Raises ValueError naming the setting."""
    text = str(option) if option is not None else env.get(LEASE_SECONDS)
    if text is None:
        return LeaseSettings(http_timeout_seconds=http_timeout_seconds)
    try:
        seconds = float(text)
    except ValueError:
        seconds = math.nan
    if not 0.5 <= seconds <= 3600:  # also refuses nan
        raise ValueError(
            _(
                "{LEASE_SECONDS} / --lease must be a number of seconds between 0.5 and 3600: write e.g. "
                "{LEASE_SECONDS}=20, or remove it (the default is 20)"
            ).format(LEASE_SECONDS=LEASE_SECONDS)
        )
    return LeaseSettings(timedelta(seconds=seconds), http_timeout_seconds)
