"""The SQLite outbox's tables and the migrations that bring an older database to the current version.

The schema version is SQLite's `user_version`. A new version adds an entry to MIGRATIONS (and a test that
migrates a database of the previous version); a database newer than SCHEMA_VERSION is refused.
"""

from __future__ import annotations

DB_NAME = "outbox.sqlite3"
BUSY_TIMEOUT_MS = 10_000

_SCHEMA_V1 = (
    """
CREATE TABLE posts (
    post_id TEXT NOT NULL,
    account TEXT NOT NULL,
    scheduled_at TEXT NOT NULL,
    texts_digest TEXT NOT NULL,          -- digest of the accepted fragment texts (see freeze)
    conflict TEXT,                       -- why the current message no longer matches (NULL: none)
    standalone_from INTEGER,             -- fragments from this index on are posted without reply_to
    next_at TEXT,                        -- when the runner wants to be called again
    last_outcome TEXT,
    last_message TEXT,
    notes TEXT NOT NULL DEFAULT '[]',    -- JSON list of notes for `status`
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    PRIMARY KEY (post_id, account)
)""",
    """
CREATE TABLE fragments (
    post_id TEXT NOT NULL,
    account TEXT NOT NULL,
    idx INTEGER NOT NULL,
    total INTEGER NOT NULL,
    text TEXT NOT NULL,
    at TEXT NOT NULL,
    state TEXT NOT NULL
        CHECK (state IN ('pending', 'sending', 'sent', 'failed', 'unknown', 'missed')),
    remote_id TEXT,
    url TEXT,
    attempts INTEGER NOT NULL DEFAULT 0,
    last_error TEXT,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    sent_at TEXT,
    PRIMARY KEY (post_id, account, idx),
    FOREIGN KEY (post_id, account) REFERENCES posts (post_id, account) ON DELETE CASCADE
)""",
    """
CREATE TABLE holds (
    account TEXT PRIMARY KEY,
    reason TEXT NOT NULL,
    held_at TEXT NOT NULL
)""",
)

# Version 2 (issue 14): the media ids uploaded for a post's first fragment, with their expiry.
_MEDIA_V2 = (
    """
CREATE TABLE media_uploads (
    post_id TEXT NOT NULL,
    account TEXT NOT NULL,
    position INTEGER NOT NULL,           -- 1-based order of the image on the post
    sha256 TEXT NOT NULL,                -- of the uploaded bytes
    media_id TEXT NOT NULL,
    expires_at TEXT,                     -- NULL: no known expiry
    uploaded_at TEXT NOT NULL,
    PRIMARY KEY (post_id, account, position),
    FOREIGN KEY (post_id, account) REFERENCES posts (post_id, account) ON DELETE CASCADE
)""",
)

# Version 3: approvals (issue 15). An append-only log: `latest` is the highest seq of a (post, account), never the
# largest `at` (clocks of several machines may disagree). `at` keeps its UTC offset as written (ISO 8601). The
# texts of approved or planned digests are kept so a refused `approve` can show what changed.
_APPROVALS_V3 = (
    """
CREATE TABLE approvals (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    kind TEXT NOT NULL CHECK (kind IN ('approve', 'revoke')),
    post_id TEXT NOT NULL,
    account TEXT NOT NULL,
    digest TEXT,                         -- 64 hex digits; NULL for a revocation
    by TEXT NOT NULL,
    at TEXT NOT NULL,
    note TEXT,
    CHECK ((kind = 'approve') = (digest IS NOT NULL))
)""",
    "CREATE INDEX approvals_by_post ON approvals (post_id, account, seq)",
    """
CREATE TABLE approval_texts (
    digest TEXT NOT NULL,
    post_id TEXT NOT NULL,
    account TEXT NOT NULL,
    texts TEXT NOT NULL,                 -- JSON list of the fragments' exact texts
    PRIMARY KEY (digest, post_id, account)
)""",
)

# Version 6 (issue 18): when a fragment's outcome became unknown, so the settling window survives a restart, and
# whether a resend after that doubt was refused as a duplicate (then it is only looked up, never sent again).
_DOUBT_V6 = (
    "ALTER TABLE fragments ADD COLUMN doubt_since TEXT",
    "ALTER TABLE fragments ADD COLUMN duplicate_refused INTEGER NOT NULL DEFAULT 0",
)

# version reached -> the statements that bring the previous version there
MIGRATIONS: dict[int, tuple[str, ...]] = {1: _SCHEMA_V1, 2: _MEDIA_V2, 3: _APPROVALS_V3}

# Version 4 (issue 23): the approvers' web page. Self-contained: renumber the key below if another version lands
# first. Sessions are kept under the SHA-256 of the cookie's token; passwords only as argon2id hashes.
_WEB_V4 = (
    """
CREATE TABLE web_users (
    name TEXT PRIMARY KEY,
    role TEXT NOT NULL CHECK (role IN ('approver', 'viewer')),
    password_hash TEXT NOT NULL,
    failures INTEGER NOT NULL DEFAULT 0,
    locked_until TEXT,
    last_sign_in TEXT,
    created_at TEXT NOT NULL
)""",
    """
CREATE TABLE web_sessions (
    token_hash TEXT PRIMARY KEY,
    name TEXT NOT NULL REFERENCES web_users (name) ON DELETE CASCADE,
    csrf TEXT NOT NULL,
    created_at TEXT NOT NULL,
    seen_at TEXT NOT NULL,
    address TEXT NOT NULL
)""",
    """
CREATE TABLE audit (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    at TEXT NOT NULL,
    kind TEXT NOT NULL,
    name TEXT,
    address TEXT,
    detail TEXT
)""",
)
MIGRATIONS[4] = _WEB_V4
MIGRATIONS[5] = ()  # PostgreSQL's 5 keeps each lease's takeover wait; SQLite has no leases: in step, nothing to do
MIGRATIONS[6] = _DOUBT_V6
MIGRATIONS[7] = ()  # PostgreSQL's 7 is bot_fire (a server-side function, pg_fire.py); SQLite: in step, nothing to do
SCHEMA_VERSION = max(MIGRATIONS)
