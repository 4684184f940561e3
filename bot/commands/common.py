"""Exit codes and the one way a list of problems reaches the terminal."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TextIO

from bot.problems import Problem, report_lines

EXIT_OK = 0
EXIT_FAILURE = 1
EXIT_INVALID = 2


def report(problems: Sequence[Problem], stream: TextIO) -> None:
    for line in report_lines(problems):
        print(line, file=stream)
