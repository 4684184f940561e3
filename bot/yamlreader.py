"""The schedule's wording of the guarded file read (bot/textfile.py), and a generic reader of positioned YAML
trees: mappings checked against declared fields, typed values, every problem with its file:line:col. The
schedule's rules (bot/config.py) use it."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import assert_never
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from bot.i18n import _
from bot.model import Position
from bot.problems import Problem
from bot.schema import Field
from bot.textfile import Fault, read_text
from bot.yamlfile import Node


def read_text_file(
    path: Path, shown: str, what: str, max_bytes: int, name_a_file: str, not_found_hint: str
) -> tuple[str | None, list[Problem]]:
    """The file's UTF-8 text, or None and the one problem that makes it unusable (bot/textfile.py's guard);
    `what` names the file in the messages ("schedule")."""
    read = read_text(path, max_bytes)
    if isinstance(read, str):
        return read, []
    whole_file = Position(shown)
    match read.kind:
        case Fault.FOLDER:
            problem = Problem(
                whole_file, _("this is a folder, not a {what} file").format(what=what), _("name a .yaml file")
            )
        case Fault.NOT_REGULAR:
            problem = Problem(whole_file, _("this is not a regular file (a device, pipe or socket)"), name_a_file)
        case Fault.MISSING:
            problem = Problem(whole_file, _("{what} file not found").format(what=what), not_found_hint)
        case Fault.UNREADABLE:
            problem = Problem(
                whole_file, _("cannot read the {what}: {reason}").format(what=what, reason=read.reason), name_a_file
            )
        case Fault.TOO_LARGE:
            message = _("the file is larger than {max_bytes:,} bytes: too large to be a {what}").format(
                max_bytes=max_bytes, what=what
            )
            problem = Problem(whole_file, message, name_a_file)
        case Fault.UTF16:
            problem = Problem(
                Position(shown, 1, 1),
                _("the {what} is UTF-16 text, not UTF-8").format(what=what),
                _("save it as UTF-8"),
            )
        case Fault.NUL:
            where = Position(shown, read.line, read.col)
            problem = Problem(
                where, _("the {what} is not a text file (it contains NUL bytes)").format(what=what), name_a_file
            )
        case Fault.NOT_UTF8:
            problem = Problem(
                Position(shown, read.line, 1),
                _("the {what} is not UTF-8 text").format(what=what),
                _("save it as UTF-8"),
            )
        case _:
            assert_never(read.kind)
    return None, [problem]


@dataclass
class Entry:
    """One key and its value in a YAML mapping, both positioned."""

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
                self.error(
                    key.position,
                    _("{where}: a key must be a plain name").format(where=where),
                    _("keys are words such as 'id' or 'at'"),
                )
                continue
            if key.text in found:
                first = found[key.text].key.position.line
                self.error(
                    key.position,
                    _("{where}: '{text}' is given twice (first on line {first})").format(
                        where=where, text=show(key.text), first=first
                    ),
                    _("keep only one of them"),
                )
                continue
            if key.text not in allowed:
                hint = suggest(key.text, allowed)
                self.error(
                    key.position, _("{where}: unknown key '{text}'").format(where=where, text=show(key.text)), hint
                )
                self.misspelt.update(_close(key.text, allowed))
                continue
            found[key.text] = Entry(key, value)
        return found

    def require(self, node: Node, found: dict[str, Entry], fields: tuple[Field, ...], where: str) -> bool:
        ok = True
        for field in fields:
            if field.required and field.name not in found and field.name not in self.misspelt:
                self.error(
                    node.position,
                    _("{where}: missing required key '{name}'").format(where=where, name=field.name),
                    field.description,
                )
                ok = False
        return ok

    def scalar(self, entry: Entry, where: str) -> str | None:
        node = entry.value
        if node.kind != "scalar":
            self.error(
                node.position,
                _("{where}: '{text}' must be a single value, not {node}").format(
                    where=where, text=entry.key.text, node=node.describe()
                ),
                _("write one value after '{text}:', without brackets or '-' items").format(text=entry.key.text),
            )
            return None
        if node.is_null or not node.text.strip():
            self.error(
                entry.key.position,
                _("{where}: '{text}' has no value").format(where=where, text=entry.key.text),
                _("write its value after '{text}:', or remove the line").format(text=entry.key.text),
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
                _("{where}: unknown time zone '{text}'").format(where=where, text=show(text)),
                _("use an IANA name such as America/Lima, Europe/Madrid or Asia/Tokyo"),
            )
            return None

    def pattern(self, entry: Entry, field: Field, where: str) -> str | None:
        text = self.scalar(entry, where)
        if text is None:
            return None
        if field.pattern and not re.match(field.pattern, text):
            self.error(
                entry.value.position,
                _("{where}: '{text}' is not a valid value for '{name}'").format(
                    where=where, text=show(text), name=field.name
                ),
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
                _("{where}: {name} '{text}' is not one of: {options}").format(
                    where=where, name=field.name, text=show(text), options=options
                ),
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
                _("{where}: {name} must be a whole number, not '{text}'").format(
                    where=where, name=field.name, text=show(text)
                ),
                _("write digits only, e.g. {name}: {default}").format(
                    name=field.name, default=field.default or self.example_integer
                ),
            )
            return None
        value = int(text.replace("_", ""))
        low = field.minimum or 0
        if not low <= value <= maximum:
            self.error(
                entry.value.position,
                _("{where}: {name} must be between {low} and {maximum}").format(
                    where=where, name=field.name, low=low, maximum=maximum
                ),
                field.description,
            )
            return None
        return value


def show(text: str, limit: int = 60) -> str:
    """A value from the file as a message quotes it: long ones are cut, so one problem stays one short line."""
    return text if len(text) <= limit else text[: limit - 3] + "..."


def suggest(word: str, choices: list[str]) -> str:
    close = _close(word, choices)
    if close:
        return _("did you mean '{word}'?").format(word=close[0])
    if choices:
        return _("expected one of: {choices}").format(choices=", ".join(choices))
    return ""


def _close(word: str, choices: list[str]) -> list[str]:
    import difflib  # only a misspelt value needs it: a valid schedule never loads it

    return difflib.get_close_matches(word, choices, n=1, cutoff=0.6)
