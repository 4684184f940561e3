"""Problems found in the user's files: what is wrong, where, and what to do about it."""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Literal

from bot.i18n import N_, _, ngettext
from bot.model import Position

Severity = Literal["error", "warning"]
_SEVERITY = {"error": N_("error"), "warning": N_("warning")}


@dataclass(frozen=True)
class Problem:
    """One problem found in the input: where, what is wrong, what to do, and how serious."""

    position: Position
    message: str
    hint: str = ""
    severity: Severity = "error"

    def format(self) -> str:
        """`PATH:LINE:COL: error: message` and, on the next line, the hint."""
        # _() again here: a sentence kept in a table (N_) is translated where it is shown; one already in the
        # language in use is not a message id and comes back unchanged.
        text = f"{self.position}: {_(_SEVERITY[self.severity])}: {printable(_(self.message))}"
        if self.hint:
            text += "\n    " + _("hint: {hint}").format(hint=printable(_(self.hint)))
        return text


# Control characters (ESC would let a file recolour or rewrite the terminal) and the bidi overrides that can make
# text read differently from what it is: a value quoted in a message shows them as escapes, never raw.
_UNPRINTABLE = re.compile("[\x00-\x1f\x7f-\x9f\u200e\u200f\u202a-\u202e\u2066-\u2069]")


def printable(text: str) -> str:
    """`text` with every control or bidi-override character written as an escape such as \\x1b."""
    return _UNPRINTABLE.sub(lambda m: repr(m.group())[1:-1], text)


# What a published text (a message, an alt text) may not contain: the same characters but newline and tab, which are
# part of ordinary text. Each would hide or reorder part of the text for whoever reads it before approving it.
_HIDDEN = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]")


def hidden_characters(text: str) -> list[int]:
    """The offsets in `text` of characters a published text may not contain (see _HIDDEN)."""
    return [match.start() for match in _HIDDEN.finditer(text)]


def shown(text: str) -> str:
    """`text` for a person to read, its newlines and tabs kept: every other control or bidi character escaped."""
    return _HIDDEN.sub(lambda m: repr(m.group())[1:-1], text)


def describe_character(character: str) -> str:
    """E.g. "U+001B", "U+202E (RIGHT-TO-LEFT OVERRIDE)": how a message names an invisible character."""
    import unicodedata  # only a problem found needs it

    name = unicodedata.name(character, "")
    code = f"U+{ord(character):04X}"
    return f"{code} ({name})" if name else code


def errors(problems: Iterable[Problem]) -> list[Problem]:
    return [p for p in problems if p.severity == "error"]


def sort_key(problem: Problem) -> tuple[str, int, int]:
    return (problem.position.path, problem.position.line, problem.position.col)


def report_lines(problems: Iterable[Problem]) -> list[str]:
    """Every problem sorted by place, then a count line when any is an error: what `report` prints."""
    ordered = sorted(problems, key=sort_key)
    lines = [problem.format() for problem in ordered]
    found = errors(ordered)
    if found:
        count = len(found)
        lines.append(
            ngettext(
                "{n} error: nothing was sent or changed.", "{n} errors: nothing was sent or changed.", count
            ).format(n=count)
        )
    return lines
