"""YAML text -> a tree of nodes that remember their line and column. The only module that imports yaml.

We keep YAML's own typing out of the way: every scalar is kept as the text the user wrote (plus whether it
was quoted), and config.py decides what it means. That way `at: 2027-07-28 00:00` and `page_id: 0123` are
read exactly as written, and every value can be reported with its position.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import yaml

from bot.i18n import N_, _
from bot.model import Position
from bot.problems import Problem
from bot.yamlwords import yaml_problem

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
            return _("a value") if self.text else _("nothing")
        return _("a list") if self.kind == "sequence" else _("a mapping")

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
        what = yaml_problem(error.problem or error.context or "") or _("invalid YAML")
        hint = _("check the indentation (spaces only, no tabs) and that every 'key: value' pair has its colon")
        if "expected a single document" in str(error):
            what = _("the file holds more than one YAML document ('---')")
            hint = _("keep a single document: remove the extra '---' line")
        elif "nesting depth" in what:
            what = _("the values are nested too deeply")
            hint = _DEPTH_HINT
        return None, [Problem(Position(path, line, col), _("YAML syntax error: {what}").format(what=what), hint)]
    except yaml.reader.ReaderError as error:  # a character YAML does not allow, e.g. a control character
        offset = text.find(chr(error.character)) if isinstance(error.character, int) else -1
        line = text.count("\n", 0, offset) + 1 if offset >= 0 else 1
        col = offset - text.rfind("\n", 0, offset) if offset >= 0 else 1
        character = f"U+{error.character:04X}" if isinstance(error.character, int) else _("a character")
        return None, [
            Problem(
                Position(path, line, col),
                _("the file contains the control character {character}, which YAML does not allow").format(
                    character=character
                ),
                _("delete it (most editors do not show it), or write it as an escape such as \\t inside double quotes"),
            )
        ]
    except yaml.YAMLError as error:  # errors without a position
        return None, [
            Problem(
                Position(path, 1, 1), _("YAML error: {error}").format(error=error), _("save the file as UTF-8 text")
            )
        ]
    if root is None:
        return None, []
    converter = _Converter(path)
    try:
        converter.check(root)
        return converter.convert(root), []
    except _Refused as error:
        return None, [Problem(error.position, error.message, error.hint)]


# Aliases can expand exponentially ("billion laughs"): what they add when written out is limited, not the
# values written in the file (the file's size limits those: 5,000 accounts are 55,000 values, no alias).
MAX_ALIAS_VALUES = 100_000
MAX_DEPTH = 50  # a schedule is 4 levels deep; deeper nesting is a mistake or an attack on the recursion
_DEPTH_HINT = N_("a schedule needs only a few levels (accounts, posts, lists): check the brackets and the indentation")
_ALIAS_HINT = N_("write the values out instead of using aliases")
_YAML_TAG = "tag:yaml.org,2002:"
# The tags YAML gives plain values by itself; any other (!!python/object, !!binary, !custom) is refused.
_PLAIN_TAGS = {_YAML_TAG + name for name in ("str", "int", "float", "bool", "null", "timestamp", "seq", "map")}


class _Refused(Exception):
    def __init__(self, position: Position, message: str, hint: str) -> None:
        super().__init__(message)
        self.position = position
        self.message = message
        self.hint = hint


def _children(node: yaml.Node) -> list[yaml.Node]:
    if isinstance(node, yaml.ScalarNode):
        return []
    if isinstance(node, yaml.SequenceNode):
        return list(node.value)
    return [child for pair in node.value for child in pair]


class _Converter:
    """Turns PyYAML nodes into ours, refusing tags, merge keys, recursive aliases and runaway expansion."""

    def __init__(self, path: str) -> None:
        self.path = path
        self.sizes: dict[int, int] = {}  # id(node) -> how many values it expands to, aliases written out
        self.open: set[int] = set()

    def position(self, node: yaml.Node) -> Position:
        return Position(self.path, node.start_mark.line + 1, node.start_mark.column + 1)

    def check(self, root: yaml.Node) -> None:
        """Refuse what `convert` must not see, before it expands anything.

        An alias is the same node met again: the values written in the file are the distinct nodes, and what
        aliases add is the expanded count minus those. Each node is measured once (its size remembered), so
        this is linear in what is written, however much the aliases would expand to.
        """
        if self.measure(root, 1) - len(self.sizes) <= MAX_ALIAS_VALUES:
            return
        seen: set[int] = {id(root)}
        added = 0
        for child in _children(root):  # point at the top-level value whose aliases cross the limit
            added += self.sizes[id(child)] - self._written(child, seen)
            if added > MAX_ALIAS_VALUES:
                break
        raise _Refused(
            self.position(child),
            _("the aliases (*name) in this file add more than {limit:,} values when written out").format(
                limit=MAX_ALIAS_VALUES
            ),
            _ALIAS_HINT,
        )

    def _written(self, node: yaml.Node, seen: set[int]) -> int:
        """How many nodes under `node` (itself included) are not in `seen` yet; adds them to it."""
        count, stack = 0, [node]
        while stack:
            current = stack.pop()
            if id(current) not in seen:
                seen.add(id(current))
                count += 1
                stack.extend(_children(current))
        return count

    def measure(self, node: yaml.Node, depth: int) -> int:
        known = self.sizes.get(id(node))
        if known is not None:
            return known
        if depth > MAX_DEPTH:
            raise _Refused(
                self.position(node),
                _("the values are nested more than {MAX_DEPTH} levels deep").format(MAX_DEPTH=MAX_DEPTH),
                _DEPTH_HINT,
            )
        if node.tag not in _PLAIN_TAGS and node.tag != _YAML_TAG + "merge":  # a stray "<<" value is text
            tag = "!!" + node.tag.removeprefix(_YAML_TAG) if node.tag.startswith(_YAML_TAG) else node.tag
            raise _Refused(
                self.position(node),
                _("the YAML tag '{tag}' is not allowed").format(tag=tag[:60]),
                _("remove it: a schedule holds only plain values, lists and mappings"),
            )
        size = 1
        if not isinstance(node, yaml.ScalarNode):
            if id(node) in self.open:
                raise _Refused(
                    self.position(node), _("an alias refers to the list or mapping that contains it"), _ALIAS_HINT
                )
            self.open.add(id(node))
            pairs = node.value if isinstance(node, yaml.MappingNode) else [(None, item) for item in node.value]
            for key, value in pairs:
                if key is not None:
                    if key.tag == _YAML_TAG + "merge":
                        raise _Refused(
                            self.position(key),
                            _("merge keys ('<<: *name') are not supported"),
                            _("write the settings out in full in each place"),
                        )
                    size += self.measure(key, depth + 1)
                size += self.measure(value, depth + 1)
            self.open.discard(id(node))
        self.sizes[id(node)] = size
        return size

    def convert(self, node: yaml.Node) -> Node:
        position = self.position(node)
        if isinstance(node, yaml.ScalarNode):
            return Node("scalar", position, text=str(node.value), quoted=node.style in ("'", '"', "|", ">"))
        if isinstance(node, yaml.SequenceNode):
            return Node("sequence", position, items=[self.convert(item) for item in node.value])
        entries = [(self.convert(key), self.convert(value)) for key, value in node.value]
        return Node("mapping", position, entries=entries)
