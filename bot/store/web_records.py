"""The web page's people, sessions and audit trail as the stores keep them (no database library here).

A session is stored under the SHA-256 of its cookie's token, never the token itself: whoever reads the
database cannot sign in with what they read. Passwords are stored only as argon2id hashes (bot/passwords.py).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

ROLES = ("approver", "viewer")


@dataclass(frozen=True)
class UserRecord:
    name: str
    role: str  # one of ROLES
    password_hash: str
    failures: int  # failed sign-ins since the last success or lock
    locked_until: datetime | None
    last_sign_in: datetime | None
    created_at: datetime

    def __repr__(self) -> str:  # the hash never appears in a log or a traceback
        return f"UserRecord(name={self.name!r}, role={self.role!r})"


@dataclass(frozen=True)
class SessionRecord:
    token_hash: str
    name: str
    role: str
    csrf: str
    created_at: datetime
    seen_at: datetime
    address: str

    def __repr__(self) -> str:
        return f"SessionRecord(name={self.name!r})"


@dataclass(frozen=True)
class AuditRecord:
    seq: int
    at: datetime
    kind: str  # sign-in, sign-in-failed, locked, sign-out, approve, approve-refused, revoke, user-added, ...
    name: str | None
    address: str | None
    detail: str | None
