"""Problems found in the user's files: what is wrong, where, and what to do about it."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Literal

from bot.model import Position

Severity = Literal["error", "warning"]


@dataclass(frozen=True)
class Problem:
    position: Position
    message: str
    hint: str = ""
    severity: Severity = "error"

    def format(self) -> str:
        """`PATH:LINE:COL: error: message` and, on the next line, the hint."""
        text = f"{self.position}: {self.severity}: {self.message}"
        if self.hint:
            text += f"\n    hint: {self.hint}"
        return text


def errors(problems: Iterable[Problem]) -> list[Problem]:
    return [p for p in problems if p.severity == "error"]


def sort_key(problem: Problem) -> tuple[str, int, int]:
    return (problem.position.path, problem.position.line, problem.position.col)


class InvalidInput(Exception):
    """Raised by the loaders when the files cannot be used; carries every problem found."""

    def __init__(self, problems: list[Problem]) -> None:
        super().__init__(f"{len(problems)} problem(s)")
        self.problems = problems
