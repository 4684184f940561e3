"""Credentials and connection settings, from the environment and an optional `.env` file.

Real environment variables win over `.env`. Values are secrets: nothing here formats one into a message;
`mask()` shows the last 4 characters where a person must tell two tokens apart.
This is the only module that imports python-dotenv.
"""

from __future__ import annotations

import io
import logging
import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from bot.model import Account, Position

X_VARIABLE_SUFFIXES = ("API_KEY", "API_SECRET", "ACCESS_TOKEN", "ACCESS_TOKEN_SECRET")
FACEBOOK_VARIABLE_SUFFIXES = ("PAGE_TOKEN",)

DEFAULT_X_API_BASE_URL = "https://api.twitter.com"
DEFAULT_FACEBOOK_GRAPH_URL = "https://graph.facebook.com"
DEFAULT_FACEBOOK_GRAPH_VERSION = "v25.0"
DEFAULT_HTTP_TIMEOUT_SECONDS = 30.0


@dataclass(frozen=True)
class EnvProblem:
    """A line of the .env file that could not be read."""

    position: Position
    message: str


@dataclass(frozen=True)
class Environment:
    """The variables the bot may read: the process environment over the .env file's."""

    values: Mapping[str, str]
    env_file: Path | None = None  # the .env that was read, if any
    problems: tuple[EnvProblem, ...] = field(default=())

    def get(self, name: str) -> str | None:
        value = self.values.get(name)
        return value if value else None

    def source_of(self, name: str) -> str:
        """Where a variable came from, for messages: 'environment' or the .env path."""
        if name in os.environ or self.env_file is None:
            return "environment"
        return str(self.env_file)


def load_environment(env_file: Path | None = None, environ: Mapping[str, str] | None = None) -> Environment:
    """Read `env_file` (default: `.env` in the working folder, if present) under the real environment.

    Lines that python-dotenv cannot parse are returned as problems with their line number, not raised.
    """
    environ = os.environ if environ is None else environ
    explicit = env_file is not None
    path = env_file if env_file is not None else Path(".env")
    if not path.is_file():
        if explicit:
            problem = EnvProblem(Position(str(path)), "the .env file does not exist")
            return Environment(dict(environ), None, (problem,))
        return Environment(dict(environ), None)

    from dotenv import dotenv_values
    from dotenv.parser import parse_stream

    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError as error:
        line = path.read_bytes()[: error.start].count(b"\n") + 1
        problem = EnvProblem(Position(str(path), line, 1), "the .env file is not UTF-8 text")
        return Environment(dict(environ), path, (problem,))
    except OSError as error:
        problem = EnvProblem(Position(str(path)), f"cannot read the .env file: {error.strerror}")
        return Environment(dict(environ), path, (problem,))

    problems = tuple(
        EnvProblem(
            Position(str(path), binding.original.line, 1),
            "this line is not NAME=value; quote values that contain spaces or '#'",
        )
        for binding in parse_stream(io.StringIO(text))
        if binding.error
    )
    # dotenv logs its own warning for each bad line; ours, with the line number, is reported instead.
    dotenv_logger = logging.getLogger("dotenv.main")
    previous = dotenv_logger.level
    dotenv_logger.setLevel(logging.ERROR)
    try:
        parsed = dotenv_values(stream=io.StringIO(text))
    finally:
        dotenv_logger.setLevel(previous)
    from_file = {k: v for k, v in parsed.items() if v is not None}
    return Environment({**from_file, **environ}, path, problems)


def required_variables(account: Account) -> tuple[str, ...]:
    """The environment variables an account needs, in the order .env.example lists them."""
    suffixes = X_VARIABLE_SUFFIXES if account.platform == "x" else FACEBOOK_VARIABLE_SUFFIXES
    return tuple(f"{account.credentials}_{suffix}" for suffix in suffixes)


def missing_variables(account: Account, env: Environment) -> tuple[str, ...]:
    return tuple(name for name in required_variables(account) if env.get(name) is None)


def malformed_variables(account: Account, env: Environment) -> tuple[str, ...]:
    """Variables that are set but cannot be a token: inner whitespace or leftover quotes."""
    bad = []
    for name in required_variables(account):
        value = env.get(name)
        if value is None:
            continue
        if value != value.strip() or any(c.isspace() for c in value) or value[0] in "'\"<":
            bad.append(name)
    return tuple(bad)


def mask(secret: str) -> str:
    """Show only the last 4 characters of a secret (all of it hidden when it is short)."""
    if len(secret) <= 8:
        return "****"
    return "…" + secret[-4:]


@dataclass(frozen=True)
class ConnectionSettings:
    """Where and how the publishers connect: settings, so operators can proxy and tests can redirect."""

    x_api_base_url: str = DEFAULT_X_API_BASE_URL
    facebook_graph_url: str = DEFAULT_FACEBOOK_GRAPH_URL
    facebook_graph_version: str = DEFAULT_FACEBOOK_GRAPH_VERSION
    timeout_seconds: float = DEFAULT_HTTP_TIMEOUT_SECONDS


def connection_settings(env: Environment) -> ConnectionSettings:
    """Read X_API_BASE_URL, FACEBOOK_GRAPH_URL, FACEBOOK_GRAPH_VERSION and HTTP_TIMEOUT_SECONDS.

    Raises ValueError with a message naming the variable when one is malformed.
    """
    timeout_text = env.get("HTTP_TIMEOUT_SECONDS")
    timeout = DEFAULT_HTTP_TIMEOUT_SECONDS
    if timeout_text is not None:
        try:
            timeout = float(timeout_text)
        except ValueError:
            timeout = -1.0
        if not 0 < timeout <= 600:
            raise ValueError("HTTP_TIMEOUT_SECONDS must be a number of seconds between 0 and 600")
    version = env.get("FACEBOOK_GRAPH_VERSION") or DEFAULT_FACEBOOK_GRAPH_VERSION
    if not version.startswith("v"):
        version = "v" + version
    return ConnectionSettings(
        x_api_base_url=(env.get("X_API_BASE_URL") or DEFAULT_X_API_BASE_URL).rstrip("/"),
        facebook_graph_url=(env.get("FACEBOOK_GRAPH_URL") or DEFAULT_FACEBOOK_GRAPH_URL).rstrip("/"),
        facebook_graph_version=version,
        timeout_seconds=timeout,
    )
