"""A guarded file read and a generic reader of positioned YAML trees: mappings checked against declared
fields, typed values, every problem with its file:line:col. The schedule's rules (bot/config.py) use it."""

from __future__ import annotations

import difflib
import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from bot.model import Position
from bot.problems import Problem
from bot.schema import Field
from bot.yamlfile import Node


def read_text_file(
    path: Path, shown: str, what: str, max_bytes: int, name_a_file: str, not_found_hint: str
) -> tuple[str | None, list[Problem]]:
    """The file's UTF-8 text, or None and the one problem that makes it unusable (a folder, a device, too
    large, UTF-16, not UTF-8, NUL bytes); `what` names the file in the messages ("schedule")."""
    whole_file = Position(shown)
    try:
        if path.is_dir():
            return None, [Problem(whole_file, f"this is a folder, not a {what} file", "name a .yaml file")]
        if path.exists() and not path.is_file():
            return None, [Problem(whole_file, "this is not a regular file (a device, pipe or socket)", name_a_file)]
        with path.open("rb") as stream:  # at most one byte over the limit, whatever stat() said
            data = stream.read(max_bytes + 1)
    except FileNotFoundError:
        return None, [Problem(whole_file, f"{what} file not found", not_found_hint)]
    except OSError as error:
        return None, [Problem(whole_file, f"cannot read the {what}: {error.strerror}", name_a_file)]
    if len(data) > max_bytes:
        message = f"the file is larger than {max_bytes:,} bytes: too large to be a {what}"
        return None, [Problem(whole_file, message, name_a_file)]
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        return None, [Problem(Position(shown, 1, 1), f"the {what} is UTF-16 text, not UTF-8", "save it as UTF-8")]
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        line = data[: error.start].count(b"\n") + 1
        return None, [Problem(Position(shown, line, 1), f"the {what} is not UTF-8 text", "save it as UTF-8")]
    if "\x00" in text:
        at = text.index("\x00")
        where = Position(shown, text.count("\n", 0, at) + 1, at - text.rfind("\n", 0, at))
        return None, [Problem(where, f"the {what} is not a text file (it contains NUL bytes)", name_a_file)]
    return text, []


@dataclass
class Entry:
    key: Node
    value: Node


class PositionedReader:
    """Reads values out of a positioned YAML tree against declared fields, collecting every problem."""

    example_integer = 0  # the number a "write digits only" hint shows when the field has no default
    pattern_hints: Mapping[str, str] = {}  # field name -> hint for a value that does not match its pattern

    def __init__(self) -> None:
        self.problems: list[Problem] = []
        self.misspelt: set[str] = set()  # keys reported as misspelt: not reported as missing too

    def error(self, position: Position, message: str, hint: str = "") -> None:
        self.problems.append(Problem(position, message, hint))

    # -- structure -----------------------------------------------------------------------------------

    def mapping(self, node: Node, fields: tuple[Field, ...], where: str) -> dict[str, Entry]:
        """Check a mapping's keys against `fields`: duplicates, unknown keys, missing required keys."""
        found: dict[str, Entry] = {}
        allowed = [f.name for f in fields]
        self.misspelt = set()  # about this mapping only; read by the checks that follow
        for key, value in node.entries:
            if key.kind != "scalar":
                self.error(key.position, f"{where}: a key must be a plain name", "keys are words such as 'id' or 'at'")
                continue
            if key.text in found:
                first = found[key.text].key.position.line
                self.error(
                    key.position,
                    f"{where}: '{show(key.text)}' is given twice (first on line {first})",
                    "keep only one of them",
                )
                continue
            if key.text not in allowed:
                hint = suggest(key.text, allowed)
                self.error(key.position, f"{where}: unknown key '{show(key.text)}'", hint)
                self.misspelt.update(difflib.get_close_matches(key.text, allowed, n=1, cutoff=0.6))
                continue
            found[key.text] = Entry(key, value)
        return found

    def require(self, node: Node, found: dict[str, Entry], fields: tuple[Field, ...], where: str) -> bool:
        ok = True
        for field in fields:
            if field.required and field.name not in found and field.name not in self.misspelt:
                self.error(node.position, f"{where}: missing required key '{field.name}'", field.description)
                ok = False
        return ok

    def scalar(self, entry: Entry, where: str) -> str | None:
        node = entry.value
        if node.kind != "scalar":
            self.error(
                node.position,
                f"{where}: '{entry.key.text}' must be a single value, not {node.describe()}",
                f"write one value after '{entry.key.text}:', without brackets or '-' items",
            )
            return None
        if node.is_null or not node.text.strip():
            self.error(
                entry.key.position,
                f"{where}: '{entry.key.text}' has no value",
                f"write its value after '{entry.key.text}:', or remove the line",
            )
            return None
        return node.text.strip()

    def timezone(self, entry: Entry, where: str) -> ZoneInfo | None:
        text = self.scalar(entry, where)
        if text is None:
            return None
        try:
            return ZoneInfo(text)
        except (ZoneInfoNotFoundError, ValueError, OSError):  # OSError: 'America' is a folder of zones
            self.error(
                entry.value.position,
                f"{where}: unknown time zone '{show(text)}'",
                "use an IANA name such as America/Lima, Europe/Madrid or Asia/Tokyo",
            )
            return None

    def pattern(self, entry: Entry, field: Field, where: str) -> str | None:
        text = self.scalar(entry, where)
        if text is None:
            return None
        if field.pattern and not re.match(field.pattern, text):
            self.error(
                entry.value.position,
                f"{where}: '{show(text)}' is not a valid value for '{field.name}'",
                self.pattern_hints.get(field.name, field.description),
            )
            return None
        return text

    # -- the document --------------------------------------------------------------------------------

    def choice(self, entry: Entry, field: Field, where: str) -> str | None:
        text = self.scalar(entry, where)
        if text is None:
            return None
        if text not in field.choices:
            options = ", ".join(field.choices)
            self.error(
                entry.value.position,
                f"{where}: {field.name} '{show(text)}' is not one of: {options}",
                suggest(text, list(field.choices)) or field.description,
            )
            return None
        return text

    def integer(self, entry: Entry, field: Field, where: str, maximum: int) -> int | None:
        text = self.scalar(entry, where)
        if text is None:
            return None
        if not re.fullmatch(r"[0-9_]+", text):
            self.error(
                entry.value.position,
                f"{where}: {field.name} must be a whole number, not '{show(text)}'",
                f"write digits only, e.g. {field.name}: {field.default or self.example_integer}",
            )
            return None
        value = int(text.replace("_", ""))
        low = field.minimum or 0
        if not low <= value <= maximum:
            self.error(
                entry.value.position,
                f"{where}: {field.name} must be between {low} and {maximum}",
                field.description,
            )
            return None
        return value


def show(text: str, limit: int = 60) -> str:
    """A value from the file as a message quotes it: long ones are cut, so one problem stays one short line."""
    return text if len(text) <= limit else text[: limit - 3] + "..."


def suggest(word: str, choices: list[str]) -> str:
    close = difflib.get_close_matches(word, choices, n=1, cutoff=0.6)
    if close:
        return f"did you mean '{close[0]}'?"
    if choices:
        return f"expected one of: {', '.join(choices)}"
    return ""
