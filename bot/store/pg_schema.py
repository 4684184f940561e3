"""The PostgreSQL outbox's tables, versioned like the SQLite ones and migrated by the bot, never by hand.

The version lives in a one-row table `bot_schema`. Migrations run in one transaction under an advisory lock,
so daemons starting together do not race (PostgreSQL's DDL is transactional: a failed migration leaves
nothing behind). Times are `timestamptz`; text keys sort with the "C" collation, like SQLite's.
"""

from __future__ import annotations

import logging

from bot.i18n import _
from bot.store.pg_fire import FIRE_MIGRATION
from bot.store.pg_leases import LEASE_WAIT_MIGRATION
from bot.store.pg_query import Query
from bot.store.records import OutboxError

logger = logging.getLogger(__name__)

MIGRATION_LOCK = 7_201_328_001  # pg_advisory_xact_lock key: one migrating process at a time

_SCHEMA_V1 = (
    "CREATE TABLE bot_schema (version integer NOT NULL)",
    "INSERT INTO bot_schema (version) VALUES (0)",
    """
CREATE TABLE posts (
    post_id text COLLATE "C" NOT NULL,
    account text COLLATE "C" NOT NULL,
    scheduled_at timestamptz NOT NULL,
    texts_digest text NOT NULL,
    conflict text,
    standalone_from integer,
    next_at timestamptz,
    last_outcome text,
    last_message text,
    notes text NOT NULL DEFAULT '[]',
    created_at timestamptz NOT NULL,
    updated_at timestamptz NOT NULL,
    PRIMARY KEY (post_id, account)
)""",
    """
CREATE TABLE fragments (
    post_id text COLLATE "C" NOT NULL,
    account text COLLATE "C" NOT NULL,
    idx integer NOT NULL,
    total integer NOT NULL,
    text text NOT NULL,
    at timestamptz NOT NULL,
    state text NOT NULL CHECK (state IN ('pending', 'sending', 'sent', 'failed', 'unknown', 'missed')),
    remote_id text,
    url text,
    attempts integer NOT NULL DEFAULT 0,
    last_error text,
    created_at timestamptz NOT NULL,
    updated_at timestamptz NOT NULL,
    sent_at timestamptz,
    PRIMARY KEY (post_id, account, idx),
    FOREIGN KEY (post_id, account) REFERENCES posts (post_id, account) ON DELETE CASCADE
)""",
    """
CREATE TABLE holds (
    account text COLLATE "C" PRIMARY KEY,
    reason text NOT NULL,
    held_at timestamptz NOT NULL
)""",
    # Fencing tokens: strictly increasing over every lease ever granted, even after a row is deleted.
    "CREATE SEQUENCE lease_tokens",
    """
CREATE TABLE leases (
    post_id text COLLATE "C" NOT NULL,
    account text COLLATE "C" NOT NULL,
    token bigint NOT NULL,
    owner text NOT NULL,
    ttl interval NOT NULL,
    acquired_at timestamptz NOT NULL,
    renewed_at timestamptz NOT NULL,    -- the holder's last proof of life (a renewal or a guarded write)
    expires_at timestamptz NOT NULL,
    usable_at timestamptz NOT NULL,     -- takeover: nothing looked up or written before this
    previous_owner text,
    previous_renewed_at timestamptz,
    PRIMARY KEY (post_id, account)
)""",
    """
CREATE TABLE daemons (
    owner text PRIMARY KEY,
    plan_digest text NOT NULL,
    started_at timestamptz NOT NULL,
    seen_at timestamptz NOT NULL
)""",
)

# Version 2 (issue 14): the media ids uploaded for a post's first fragment, as in SQLite's version 2.
_MEDIA_V2 = (
    """
CREATE TABLE media_uploads (
    post_id text COLLATE "C" NOT NULL,
    account text COLLATE "C" NOT NULL,
    position integer NOT NULL,
    sha256 text NOT NULL,
    media_id text NOT NULL,
    expires_at timestamptz,
    uploaded_at timestamptz NOT NULL,
    PRIMARY KEY (post_id, account, position),
    FOREIGN KEY (post_id, account) REFERENCES posts (post_id, account) ON DELETE CASCADE
)""",
)

# Version 3: approvals (issue 15), as in the SQLite outbox: an append-only log ordered by seq (never by `at`:
# machines' clocks may disagree), `at` with the UTC offset it was written with, and the texts of digests.
_APPROVALS_V3 = (
    """
CREATE TABLE approvals (
    seq bigserial PRIMARY KEY,
    kind text NOT NULL CHECK (kind IN ('approve', 'revoke')),
    post_id text COLLATE "C" NOT NULL,
    account text COLLATE "C" NOT NULL,
    digest text,
    by_name text NOT NULL,
    at timestamptz NOT NULL,
    at_offset integer NOT NULL,         -- seconds east of UTC, as written
    note text,
    CHECK ((kind = 'approve') = (digest IS NOT NULL))
)""",
    "CREATE INDEX approvals_by_post ON approvals (post_id, account, seq)",
    """
CREATE TABLE approval_texts (
    digest text COLLATE "C" NOT NULL,
    post_id text COLLATE "C" NOT NULL,
    account text COLLATE "C" NOT NULL,
    texts text NOT NULL,                -- JSON list of the fragments' exact texts
    PRIMARY KEY (digest, post_id, account)
)""",
)

# Version 6 (issue 18): as SQLite's version 6, when a fragment's doubt began and whether a duplicate was refused.
_DOUBT_V6 = (
    "ALTER TABLE fragments ADD COLUMN doubt_since timestamptz",
    "ALTER TABLE fragments ADD COLUMN duplicate_refused boolean NOT NULL DEFAULT false",
)

# version reached -> the statements that bring the previous version there
MIGRATIONS: dict[int, tuple[str, ...]] = {1: _SCHEMA_V1, 2: _MEDIA_V2, 3: _APPROVALS_V3}


def current_version(q: Query) -> int | None:
    """The schema version, or None when the bot's tables do not exist yet."""
    found = q("SELECT to_regclass('bot_schema') IS NOT NULL AS present").one()
    if found is None or not found["present"]:
        return None
    row = q("SELECT version FROM bot_schema").one()
    return 0 if row is None else int(row["version"])


def migrate(q: Query, where: str) -> None:
    """Bring the schema to SCHEMA_VERSION (inside the caller's transaction)."""
    q("SELECT pg_advisory_xact_lock(%s)", (MIGRATION_LOCK,))
    version = current_version(q) or 0
    if version > SCHEMA_VERSION:
        raise OutboxError(
            _(
                "the database {where} has schema version {version}, newer than this bot's "
                "{SCHEMA_VERSION}: upgrade the bot on every machine, or use another database"
            ).format(where=where, version=version, SCHEMA_VERSION=SCHEMA_VERSION)
        )
    for target in range(version + 1, SCHEMA_VERSION + 1):
        for statement in MIGRATIONS[target]:
            q(statement)
        q("UPDATE bot_schema SET version = %s", (target,))
        logger.info(_("database {where} migrated to schema version {target}").format(where=where, target=target))


# Version 4 (issue 23): the approvers' web page, as in SQLite's version 4. Self-contained: renumber the key
# below if another version lands first.
_WEB_V4 = (
    """
CREATE TABLE web_users (
    name text COLLATE "C" PRIMARY KEY,
    role text NOT NULL CHECK (role IN ('approver', 'viewer')),
    password_hash text NOT NULL,
    failures integer NOT NULL DEFAULT 0,
    locked_until timestamptz,
    last_sign_in timestamptz,
    created_at timestamptz NOT NULL
)""",
    """
CREATE TABLE web_sessions (
    token_hash text PRIMARY KEY,
    name text COLLATE "C" NOT NULL REFERENCES web_users (name) ON DELETE CASCADE,
    csrf text NOT NULL,
    created_at timestamptz NOT NULL,
    seen_at timestamptz NOT NULL,
    address text NOT NULL
)""",
    """
CREATE TABLE audit (
    seq bigserial PRIMARY KEY,
    at timestamptz NOT NULL,
    kind text NOT NULL,
    name text,
    address text,
    detail text
)""",
)
MIGRATIONS[4] = _WEB_V4
MIGRATIONS[5] = LEASE_WAIT_MIGRATION  # issue 18: each lease keeps its holder's takeover wait
MIGRATIONS[6] = _DOUBT_V6
MIGRATIONS[7] = FIRE_MIGRATION  # issue 22: bot_fire, the lease, freeze and first `sending` mark in one round trip
SCHEMA_VERSION = max(MIGRATIONS)
