"""Password hashing for the web page's users: argon2id (argon2-cffi), the one module that imports it.

Loaded only by `serve` and `users`. The hash string carries its own parameters and salt; a hash made with
weaker parameters than today's is re-made at the next successful sign-in.
"""

from __future__ import annotations

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

_HASHER = PasswordHasher()  # argon2id, RFC 9106's low-memory profile (t=3, m=64 MiB, p=4)
# Verified against when the name is unknown, so that an unknown name takes as long as a wrong password.
_DUMMY = _HASHER.hash("not a password of anyone")


def hash_password(password: str) -> str:
    return _HASHER.hash(password)


def verify_password(password_hash: str | None, password: str) -> bool:
    """True when `password` matches; with no hash (unknown user) the same work is done and False returned."""
    try:
        return _HASHER.verify(password_hash or _DUMMY, password) and password_hash is not None
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False


def needs_rehash(password_hash: str) -> bool:
    return _HASHER.check_needs_rehash(password_hash)
