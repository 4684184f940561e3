"""The secrets scanner: no credential value may appear in any output, log or state file of the bot.

A process-wide registry holds every credential value a test hands to the bot: the fake API registers each
secret it issues (X consumer keys and secrets, access tokens and secrets, Page tokens), and `run_cli` registers
the credential variables it passes in the environment or that the `.env` file it runs with holds. The
scanners then look for those values:

- `run_cli` (tests/helpers.py) scans the stdout and stderr of every command it runs;
- the e2e `Campaign` (tests/e2e.py) runs its commands through `run_cli` and scans the daemon's log files;
- alert payloads (what Apprise delivered to tests/alert_receivers.py) go through `assert_clean_alerts`, and the
  secret parts of an alert URL itself (password, tokens in the path) are registered by `register_url`;
- an autouse fixture in tests/conftest.py resets the registry before every test and, after it, scans every
  log record emitted in the test process and every file under the test's `tmp_path` (daemon logs, the outbox
  database and its WAL, status output saved by the test...), except the credential files themselves
  (`.env`, `*.env`, and any file `run_cli` read as an env file).

A finding raises `SecretLeak`, whose message names the variable and shows only the value's last 4 characters.
Values shorter than MIN_LENGTH are not registered: they would match innocent text.
"""

from __future__ import annotations

import logging
import os
import threading
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

MIN_LENGTH = 8
CREDENTIAL_PREFIXES = ("CANCILLERIA_", "EMBAJADA_")
CREDENTIAL_SUFFIXES = ("_API_KEY", "_API_SECRET", "_ACCESS_TOKEN", "_ACCESS_TOKEN_SECRET", "_PAGE_TOKEN", "_TOKEN")
ENCODINGS = ("utf-8", "utf-16-le")  # SQLite stores text as UTF-8 (default) or UTF-16

_lock = threading.Lock()
_secrets: dict[str, str] = {}  # value -> what it is (a variable name or a description)
_credential_files: set[Path] = set()


class SecretLeak(AssertionError):
    """A registered secret was found where it must never be."""


@dataclass(frozen=True)
class Finding:
    label: str
    masked: str
    where: str

    def __str__(self) -> str:
        return f"{self.label} ({self.masked}) found in {self.where}"


def is_credential_variable(name: str) -> bool:
    return name.startswith(CREDENTIAL_PREFIXES) or name.endswith(CREDENTIAL_SUFFIXES)


def mask(value: str) -> str:
    return "…" + value[-4:]


def register(value: str | None, label: str) -> None:
    """Remember `value` as a secret; `label` says what it is (shown instead of the value)."""
    if value is None:
        return
    candidates = {value, value.strip(), value.strip().strip("'\"")}
    with _lock:
        for candidate in candidates:
            if len(candidate) >= MIN_LENGTH:
                _secrets.setdefault(candidate, label)


def register_env(env: Mapping[str, str] | None) -> None:
    """Register the values of the credential variables among `env` (names per is_credential_variable)."""
    for name, value in (env or {}).items():
        if is_credential_variable(name):
            register(value, name)


def register_env_file(path: Path) -> None:
    """Register the credential values of a .env file the bot will read; the file itself is not scanned."""
    if not path.is_file():
        return
    from dotenv import dotenv_values

    logger = logging.getLogger("dotenv.main")
    previous = logger.level
    logger.setLevel(logging.CRITICAL)  # a deliberately broken .env is the test's business, not ours
    try:
        values = dotenv_values(path, encoding="utf-8")
    except (UnicodeDecodeError, OSError):
        values = {}
    finally:
        logger.setLevel(previous)
    register_env({name: value for name, value in values.items() if value is not None})
    with _lock:
        _credential_files.add(path.resolve())


def register_url(url: str, label: str) -> None:
    """Register the secret parts of an Apprise or heartbeat URL: user, password, path pieces, query values."""
    from urllib.parse import parse_qsl, urlsplit

    rest = url.split("://", 1)[-1]
    pieces: Sequence[str | None]
    try:
        parts = urlsplit("x://" + rest)
        pieces = [parts.username, parts.password, *parts.path.split("/"), *(v for _, v in parse_qsl(parts.query))]
    except ValueError:
        pieces = rest.replace("@", "/").replace(":", "/").split("/")
    for piece in pieces:
        register(piece, f"{label} (a part of the URL)")


def secrets() -> dict[str, str]:
    with _lock:
        return dict(_secrets)


def reset() -> None:
    with _lock:
        _secrets.clear()
        _credential_files.clear()


def redact(text: str) -> str:
    """`text` with every registered secret replaced by its mask (for messages about where a leak was)."""
    for value in sorted(secrets(), key=len, reverse=True):
        text = text.replace(value, mask(value))
    return text


def find_in_text(text: str, where: str) -> list[Finding]:
    return [Finding(label, mask(value), where) for value, label in secrets().items() if value in text]


def find_in_bytes(data: bytes, where: str) -> list[Finding]:
    found = []
    for value, label in secrets().items():
        if any(value.encode(encoding) in data for encoding in ENCODINGS):
            found.append(Finding(label, mask(value), where))
    return found


def is_credential_file(path: Path) -> bool:
    if path.name == ".env" or path.name.endswith(".env") or path.name.startswith(".env."):
        return True
    with _lock:
        return path.resolve() in _credential_files


def find_in_tree(folder: Path) -> list[Finding]:
    """Every registered secret in the files under `folder` (bytes), credential files excepted."""
    if not secrets() or not folder.is_dir():
        return []
    found: list[Finding] = []
    for directory, _, names in os.walk(folder):
        for name in names:
            path = Path(directory) / name
            if path.is_symlink() or not path.is_file() or is_credential_file(path):
                continue
            try:
                data = path.read_bytes()
            except OSError:
                continue
            found += find_in_bytes(data, str(path))
    return found


def fail_on(findings: Iterable[Finding]) -> None:
    found = list(findings)
    if found:
        raise SecretLeak("secret values leaked:\n  " + "\n  ".join(str(f) for f in found))


def assert_clean_text(text: str, where: str) -> None:
    fail_on(find_in_text(text, where))


def assert_clean_alerts(payloads: Iterable[tuple[str, str | bytes]]) -> None:
    """No registered secret in any delivered alert: (where, payload) pairs, e.g. a json:// body or a mail."""
    found: list[Finding] = []
    for where, payload in payloads:
        data = payload.encode() if isinstance(payload, str) else payload
        found += find_in_bytes(data, f"alert {where}")
    fail_on(found)


def assert_clean_tree(folder: Path) -> None:
    fail_on(find_in_tree(folder))


class LeakHandler(logging.Handler):
    """A logging handler that records a Finding for every record whose formatted text holds a secret."""

    def __init__(self) -> None:
        super().__init__(logging.NOTSET)
        self.setFormatter(logging.Formatter("%(levelname)s %(name)s: %(message)s"))
        self.findings: list[Finding] = []

    def emit(self, record: logging.LogRecord) -> None:
        try:
            text = self.format(record)
        except Exception:  # a broken record is not our concern here
            return
        found = find_in_text(text, f"a log record of {record.name} ({record.levelname})")
        if found:
            with _lock:
                self.findings.extend(found)
