"""Credentials and connection settings, from the environment and an optional `.env` file.

Real environment variables win over `.env`. Values are secrets: nothing here formats one into a message;
`mask()` shows the last 4 characters where a person must tell two tokens apart.
This is the only module that imports python-dotenv.
"""

from __future__ import annotations

import io
import os
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import assert_never

from bot.i18n import N_, _
from bot.model import Account, Position
from bot.platforms import PLATFORMS
from bot.textfile import Fault, FileFault, read_text

DEFAULT_X_API_BASE_URL = "https://api.twitter.com"
DEFAULT_FACEBOOK_GRAPH_URL = "https://graph.facebook.com"
DEFAULT_FACEBOOK_GRAPH_VERSION = "v25.0"
DEFAULT_HTTP_TIMEOUT_SECONDS = 30.0
DEFAULT_SETTLE_SECONDS = 60.0  # issue 18: how long a post whose outcome is unknown is looked up before any resend
MAX_SETTLE_SECONDS = 3600.0
MAX_ENV_BYTES = 8 * 1024 * 1024  # about 60 bytes a variable: 10,000 accounts take 1.5 MB; bigger is the wrong file


@dataclass(frozen=True)
class EnvProblem:
    """A line of the .env file that could not be read, or a setting that is wrong."""

    position: Position
    message: str
    hint: str = _("fix or remove the line")
    names: tuple[str, ...] = ()  # the variables the bad line was meant to set: not reported as missing too
    whole_file: bool = False  # the file could not be read at all: no variable is reported as missing


# The values .env.example ships with: copied unchanged, they would be sent to X and Facebook as tokens.
EXAMPLE_VALUES = frozenset(
    ("your-api-key", "your-api-secret", "your-access-token", "your-access-token-secret", "your-page-access-token")
)


@dataclass(frozen=True)
class Environment:
    """The variables the bot may read: the process environment over the .env file's."""

    values: Mapping[str, str]
    env_file: Path | None = None  # the .env that was read, if any
    problems: tuple[EnvProblem, ...] = field(default=())
    places: Mapping[str, tuple[int, int]] = field(default_factory=dict)  # name -> (line, column of its value)

    def __repr__(self) -> str:
        """Every value masked (its last 4 characters at most): a logged or printed Environment shows no secret."""
        shown = ", ".join(f"{name}={mask(value)!r}" for name, value in sorted(self.values.items()))
        return f"Environment({{{shown}}}, env_file={self.env_file!r}, problems={len(self.problems)})"

    __str__ = __repr__

    def get(self, name: str) -> str | None:
        value = self.values.get(name)
        return value if value else None

    def source_of(self, name: str) -> str:
        """Where a variable came from, for messages: 'environment' or the .env path."""
        if name in os.environ or self.env_file is None:
            return "environment"
        return str(self.env_file)

    def position_of(self, name: str) -> Position | None:
        """Where the .env file sets `name` (None when it comes from the real environment or no file)."""
        if name in os.environ or self.env_file is None or name not in self.places:
            return None
        return Position(str(self.env_file), *self.places[name])

    def unread(self) -> set[str] | None:
        """Variables a broken line meant to set; None when the whole file could not be read."""
        if any(problem.whole_file for problem in self.problems):
            return None
        return {name for problem in self.problems for name in problem.names}


def load_environment(env_file: Path | None = None, environ: Mapping[str, str] | None = None) -> Environment:
    """Read `env_file` (default: `.env` in the working folder, if present) under the real environment.

    Lines that python-dotenv cannot parse are returned as problems with their line number, not raised.
    """
    environ = os.environ if environ is None else environ
    explicit = env_file is not None
    path = env_file if env_file is not None else Path(".env")
    text = read_text(path, MAX_ENV_BYTES)
    if not isinstance(text, str):
        absent = text.kind in (Fault.MISSING, Fault.FOLDER, Fault.NOT_REGULAR)
        if absent and not explicit:
            return Environment(dict(environ), None)  # no .env of our own here: the environment alone
        return Environment(dict(environ), None if absent else path, (_unreadable(text, path),))

    from dotenv.parser import parse_stream

    problems: list[EnvProblem] = []
    places: dict[str, tuple[int, int]] = {}
    raw: list[tuple[str, str | None]] = []
    for binding in parse_stream(io.StringIO(text)):
        # A binding starts after the previous line's end: skip the blank and comment-free lines before it.
        leading = _LEADING.match(binding.original.string)
        skipped = leading.group() if leading else ""
        line = binding.original.line + skipped.count("\n")
        first = binding.original.string[len(skipped) :].split("\n", 1)[0].rstrip("\r")
        if binding.error:
            col, message, name = _diagnose(first)
            hint = _("write NAME=value on one line; put a value with spaces or '#' in quotes")
            problems.append(EnvProblem(Position(str(path), line, col), message, hint, (name,) if name else ()))
        elif binding.key is not None:
            value_at = _VALUE_AT.match(first)
            places[binding.key] = (line, value_at.end() + 1 if value_at else 1)
            raw.append((binding.key, binding.value))
    from_file = {k: v for k, v in _interpolate(raw).items() if v is not None}
    return Environment({**from_file, **environ}, path, tuple(problems), places)


_LEADING = re.compile(r"\s*")
_VALUE_AT = re.compile(r"[ \t]*(?:export[ \t]+)?[^=]*=[ \t]*")


def _interpolate(raw: list[tuple[str, str | None]]) -> dict[str, str | None]:
    """python-dotenv's `${NAME}` / `${NAME:-default}` expansion, as `dotenv_values` does it (earlier lines of
    the file over the process environment), in one pass: dotenv's own copies the environment and every
    earlier variable for each line, quadratic in the lines (8 s for a 12,500-line .env)."""
    from collections import ChainMap

    from dotenv.variables import parse_variables

    values: dict[str, str | None] = {}
    scope: ChainMap[str, str | None] = ChainMap(values, os.environ)  # type: ignore[arg-type]
    for name, value in raw:
        if value is not None and "${" in value:
            value = "".join(atom.resolve(scope) for atom in parse_variables(value))
        values[name] = value
    return values


_NAME_A_FILE = N_("check the path given to --env-file")
_SAVE_UTF8 = N_("save the file as UTF-8 text")


def _unreadable(fault: FileFault, path: Path) -> EnvProblem:
    """The guard's fault in the .env file's words; no variable is then reported as missing."""
    whole_file = Position(str(path))
    match fault.kind:
        case Fault.FOLDER:
            return EnvProblem(whole_file, _("the .env file is a folder, not a file"), _NAME_A_FILE, whole_file=True)
        case Fault.NOT_REGULAR:
            return EnvProblem(whole_file, _("the .env file is not a regular file"), _NAME_A_FILE, whole_file=True)
        case Fault.MISSING:
            return EnvProblem(whole_file, _("the .env file does not exist"), _NAME_A_FILE, whole_file=True)
        case Fault.UNREADABLE:
            message = _("cannot read the .env file: {reason}").format(reason=fault.reason)
            return EnvProblem(whole_file, message, _NAME_A_FILE, whole_file=True)
        case Fault.TOO_LARGE:
            message = _("the .env file is larger than {MAX_ENV_BYTES:,} bytes: too large to be a .env file").format(
                MAX_ENV_BYTES=MAX_ENV_BYTES
            )
            return EnvProblem(whole_file, message, _NAME_A_FILE, whole_file=True)
        case Fault.UTF16:
            where = Position(str(path), 1, 1)
            return EnvProblem(where, _("the .env file is UTF-16 text, not UTF-8"), _SAVE_UTF8, whole_file=True)
        case Fault.NUL:
            where = Position(str(path), fault.line, fault.col)
            message = _("the .env file is not a text file (it contains NUL bytes)")
            return EnvProblem(where, message, _NAME_A_FILE, whole_file=True)
        case Fault.NOT_UTF8:
            where = Position(str(path), fault.line, 1)
            return EnvProblem(where, _("the .env file is not UTF-8 text"), _SAVE_UTF8, whole_file=True)
        case _:
            assert_never(fault.kind)


_LINE_START = re.compile(r"[ \t]*(?:export[ \t]+)?([A-Za-z_][A-Za-z0-9_.-]*)?[ \t]*")


def _diagnose(line: str) -> tuple[int, str, str | None]:
    """Column, message and variable name for a line python-dotenv could not read (never quoting its value)."""
    start = _LINE_START.match(line)
    assert start is not None  # every part of the pattern is optional
    name, at = start.group(1), start.end()
    if "=" not in line:
        return 1, _("this line is not NAME=value: it has no '='"), name
    if not name:
        return at + 1, _("this line is not NAME=value: it does not start with a variable name"), None
    if line[at] != "=":
        meant = re.search(r"([A-Za-z_][A-Za-z0-9_.-]*)[ \t]*=", line)  # `export: KEY=...` meant KEY
        return (
            at + 1,
            _("this line is not NAME=value: expected '=' after {name}").format(name=name),
            meant[1] if meant else name,
        )
    at = re.compile(r"=[ \t]*").match(line, at).end()  # type: ignore[union-attr]
    if at < len(line) and line[at] in "'\"":
        quote = line[at]
        closing = re.compile(rf"(?:\\.|[^{quote}\\])*{quote}").match(line, at + 1)
        if closing is None:
            return (
                at + 1,
                _("the value of {name} opens a quote ({quote}) that is not closed on this line").format(
                    name=name, quote=quote
                ),
                name,
            )
        rest = re.compile(r"[ \t]*").match(line, closing.end()).end()  # type: ignore[union-attr]
        if rest < len(line) and line[rest] != "#":
            return rest + 1, _("the value of {name} goes on after its closing quote").format(name=name), name
    return 1, _("this line is not NAME=value; quote values that contain spaces or '#'"), name


def required_variables(account: Account) -> tuple[str, ...]:
    """The environment variables an account needs, in the order .env.example lists them."""
    return tuple(f"{account.credentials}_{suffix}" for suffix in PLATFORMS[account.platform].credential_suffixes)


def missing_variables(account: Account, env: Environment) -> tuple[str, ...]:
    return tuple(name for name in required_variables(account) if env.get(name) is None)


def malformed_variables(account: Account, env: Environment) -> tuple[str, ...]:
    """Variables that are set but cannot be a token: inner whitespace or leftover quotes."""
    return tuple(name for name in required_variables(account) if token_problem(env.get(name)) is not None)


_SPACE = re.compile(r"\s")  # what str.isspace() calls a space, Unicode's too
_NOT_PRINTABLE_ASCII = re.compile(r"[^\x20-\x7e]")  # not (isascii() and isprintable())


def token_problem(value: str | None) -> str | None:
    """Why `value` cannot be a token (never showing it), or None. Tokens are printable ASCII without spaces."""
    if value is None:
        return None
    if _SPACE.search(value):
        return _("it has spaces or line breaks in it")
    if value[0] in "'\"<" or value[-1] in "'\">":
        return _("it is still in quotes or <angle brackets>")
    if value in EXAMPLE_VALUES:
        return _("it is still the example value from .env.example")
    odd = _NOT_PRINTABLE_ASCII.search(value)
    if odd is not None:
        return _("it has the character U+{odd:04X} in it, which no token has").format(odd=ord(odd[0]))
    return None


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
    settle_seconds: float = DEFAULT_SETTLE_SECONDS  # SETTLE_SECONDS: the settling window (bot/services/settling.py)


def connection_settings(env: Environment) -> ConnectionSettings:
    """Read X_API_BASE_URL, FACEBOOK_GRAPH_URL, FACEBOOK_GRAPH_VERSION and HTTP_TIMEOUT_SECONDS.

    Raises ValueError with a message naming the variable when one is malformed (see setting_problems).
    """
    for problem in setting_problems(env):
        raise ValueError(problem.message)
    timeout_text = env.get("HTTP_TIMEOUT_SECONDS")
    timeout = DEFAULT_HTTP_TIMEOUT_SECONDS if timeout_text is None else float(timeout_text)
    settle_text = env.get("SETTLE_SECONDS")
    settle = DEFAULT_SETTLE_SECONDS if settle_text is None else float(settle_text)
    version = env.get("FACEBOOK_GRAPH_VERSION") or DEFAULT_FACEBOOK_GRAPH_VERSION
    if not version.startswith("v"):
        version = "v" + version
    return ConnectionSettings(
        x_api_base_url=(env.get("X_API_BASE_URL") or DEFAULT_X_API_BASE_URL).rstrip("/"),
        facebook_graph_url=(env.get("FACEBOOK_GRAPH_URL") or DEFAULT_FACEBOOK_GRAPH_URL).rstrip("/"),
        facebook_graph_version=version,
        timeout_seconds=timeout,
        settle_seconds=settle,
    )


Refusal = tuple[str, str]  # what is wrong with a setting's value, and what to write instead


def _check_base_url(name: str, default: str) -> Callable[[str], Refusal | None]:
    def check(url: str) -> Refusal | None:
        if re.fullmatch(r"https?://[^\s/?#@]+(/[^\s?#]*)?", url):
            return None
        return (
            _("{name} is not an http:// or https:// address").format(name=name),
            _("write e.g. {name}={default}, or remove it").format(name=name, default=default),
        )

    return check


def _check_graph_version(version: str) -> Refusal | None:
    if re.fullmatch(r"v?\d{1,3}\.\d{1,2}", version):
        return None
    return (
        _("FACEBOOK_GRAPH_VERSION is not a Graph API version"),
        _("write e.g. FACEBOOK_GRAPH_VERSION={DEFAULT_FACEBOOK_GRAPH_VERSION}, or remove it").format(
            DEFAULT_FACEBOOK_GRAPH_VERSION=DEFAULT_FACEBOOK_GRAPH_VERSION
        ),
    )


def _check_timeout(text: str) -> Refusal | None:
    try:
        timeout = float(text)
    except ValueError:
        timeout = -1.0
    if 0 < timeout <= 600:  # also refuses nan
        return None
    return (
        _("HTTP_TIMEOUT_SECONDS must be a number of seconds between 0 and 600"),
        _("write e.g. HTTP_TIMEOUT_SECONDS=30, or remove it (the default is 30)"),
    )


def _check_settle(text: str) -> Refusal | None:
    try:
        settle = float(text)
    except ValueError:
        settle = -1.0
    if 0 <= settle <= MAX_SETTLE_SECONDS:  # also refuses nan
        return None
    return (
        _("SETTLE_SECONDS must be a number of seconds between 0 and 3600"),
        _("write e.g. SETTLE_SECONDS=60, or remove it (the default is 60)"),
    )


# The connection settings and the rule each value must keep (bot/services/settings.py lists every setting).
CONNECTION_CHECKS: tuple[tuple[str, Callable[[str], Refusal | None]], ...] = (
    ("X_API_BASE_URL", _check_base_url("X_API_BASE_URL", DEFAULT_X_API_BASE_URL)),
    ("FACEBOOK_GRAPH_URL", _check_base_url("FACEBOOK_GRAPH_URL", DEFAULT_FACEBOOK_GRAPH_URL)),
    ("FACEBOOK_GRAPH_VERSION", _check_graph_version),
    ("HTTP_TIMEOUT_SECONDS", _check_timeout),
    ("SETTLE_SECONDS", _check_settle),
)


def setting_problems(env: Environment) -> tuple[EnvProblem, ...]:
    """The connection settings that cannot work, each where it is set (their values are not shown)."""
    problems = []
    for name, check in CONNECTION_CHECKS:
        value = env.get(name)
        refusal = check(value) if value is not None else None
        if refusal is not None:
            where = env.position_of(name) or Position(f"environment variable {name}")
            problems.append(EnvProblem(where, *refusal))
    return tuple(problems)
