"""YAML text -> a tree of nodes that remember their line and column. The only module that imports yaml.

We keep YAML's own typing out of the way: every scalar is kept as the text the user wrote (plus whether it
was quoted), and config.py decides what it means. That way `at: 2027-07-28 00:00` and `page_id: 0123` are
read exactly as written, and every value can be reported with its position.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import yaml

from bot.model import Position
from bot.problems import Problem

try:  # the C parser is several times faster; fall back when PyYAML was built without libyaml
    from yaml import CSafeLoader as _Loader
except ImportError:  # pragma: no cover - depends on the PyYAML build
    from yaml import SafeLoader as _Loader  # type: ignore[assignment]


@dataclass
class Node:
    """A YAML node: a scalar (text), a sequence (items) or a mapping (entries: key node -> value node)."""

    kind: str  # "scalar" | "sequence" | "mapping"
    position: Position
    text: str = ""
    quoted: bool = False
    items: list[Node] = field(default_factory=list)
    entries: list[tuple[Node, Node]] = field(default_factory=list)

    def describe(self) -> str:
        """How to name this node's type in a message."""
        if self.kind == "scalar":
            return "a value" if self.text else "nothing"
        return "a list" if self.kind == "sequence" else "a mapping"

    @property
    def is_null(self) -> bool:
        return self.kind == "scalar" and not self.quoted and self.text in ("", "~", "null", "Null", "NULL")


def parse(text: str, path: str) -> tuple[Node | None, list[Problem]]:
    """Parse one YAML document. Syntax errors become problems with the position YAML reports."""
    try:
        root = yaml.compose(text, Loader=_Loader)
    except yaml.MarkedYAMLError as error:
        mark = error.problem_mark or error.context_mark
        line, col = (mark.line + 1, mark.column + 1) if mark is not None else (1, 1)
        what = error.problem or error.context or "invalid YAML"
        hint = "check the indentation (spaces only, no tabs) and that every 'key: value' pair has its colon"
        if "expected a single document" in str(error):
            what = "the file holds more than one YAML document ('---')"
            hint = "keep a single document: remove the extra '---' line"
        return None, [Problem(Position(path, line, col), f"YAML syntax error: {what}", hint)]
    except yaml.YAMLError as error:  # errors without a position, e.g. a reader error on control characters
        return None, [Problem(Position(path, 1, 1), f"YAML error: {error}", "save the file as UTF-8 text")]
    if root is None:
        return None, []
    converter = _Converter(path)
    try:
        return converter.convert(root), []
    except _TooComplex as error:
        return None, [Problem(error.position, error.message, "write the values out instead of using aliases")]


MAX_NODES = 100_000  # aliases can expand exponentially ("billion laughs"); no real schedule comes close


class _TooComplex(Exception):
    def __init__(self, position: Position, message: str) -> None:
        super().__init__(message)
        self.position = position
        self.message = message


class _Converter:
    """Turns PyYAML nodes into ours, refusing recursive aliases and runaway expansion."""

    def __init__(self, path: str) -> None:
        self.path = path
        self.count = 0
        self.open: set[int] = set()

    def convert(self, node: yaml.Node) -> Node:
        position = Position(self.path, node.start_mark.line + 1, node.start_mark.column + 1)
        self.count += 1
        if self.count > MAX_NODES:
            raise _TooComplex(position, f"the file expands to more than {MAX_NODES} values")
        if isinstance(node, yaml.ScalarNode):
            return Node("scalar", position, text=str(node.value), quoted=node.style in ("'", '"', "|", ">"))
        if id(node) in self.open:
            raise _TooComplex(position, "an alias refers to the list or mapping that contains it")
        self.open.add(id(node))
        try:
            if isinstance(node, yaml.SequenceNode):
                return Node("sequence", position, items=[self.convert(item) for item in node.value])
            entries = [(self.convert(key), self.convert(value)) for key, value in node.value]
            return Node("mapping", position, entries=entries)
        finally:
            self.open.discard(id(node))
