"""Message files -> text to publish.

A message file is UTF-8 text (plain or Markdown), optionally starting with a front matter block:

    ---
    title: Mensaje por Fiestas Patrias
    author: Canciller
    date: 2027-07-28
    ---
    The text to publish...

Loading normalises line endings to "\\n" and changes nothing else. The front matter is not published.
"""

from __future__ import annotations

from pathlib import Path
from typing import assert_never

from bot import yamlfile
from bot.i18n import N_, _
from bot.model import Message, Position
from bot.problems import Problem, describe_character, hidden_characters
from bot.textfile import Fault, FileFault, read_text

MAX_MESSAGE_BYTES = 256 * 1024  # far above Facebook's 63,206 characters; anything bigger is a wrong file
FRONT_MATTER_KEYS = ("title", "author", "date", "lang")


def normalise_line_endings(text: str) -> str:
    return text.replace("\r\n", "\n").replace("\r", "\n")


def load_message(path: Path, display: str, at: Position) -> tuple[Message | None, list[Problem]]:
    """Read a message file. `at` is where the schedule names it, for problems about the file as a whole."""
    raw = read_text(path, MAX_MESSAGE_BYTES)
    if not isinstance(raw, str):
        return None, [_unreadable(raw, path, display, at)]
    text = normalise_line_endings(raw)
    message, problems = _split_front_matter(path, display, text)
    if message is not None and not message.text.strip():
        return None, [
            Problem(
                at, _("message {display} is empty").format(display=display), _("write the text to publish in the file")
            )
        ]
    if message is not None and (hidden := _hidden(message)):
        return None, hidden
    return message, problems


def _hidden(message: Message) -> list[Problem]:
    """A control or bidi character in the text: it would not show (or would reorder the text) in a terminal or on the
    page where the approver reads it, yet it is published and covered by the digest."""
    return [
        Problem(
            message.position_of(offset),
            _(
                "message {file} contains the invisible character {character}: whoever approves the text cannot see it"
            ).format(file=message.display, character=describe_character(message.text[offset])),
            _("remove it (an editor that shows invisible characters helps); only newlines and tabs are allowed"),
        )
        for offset in hidden_characters(message.text)
    ]


_TEXT = N_("name a text file (plain text or Markdown, saved as UTF-8)")
_SAVE_UTF8 = N_("save the file with UTF-8 encoding")


def _unreadable(fault: FileFault, path: Path, display: str, at: Position) -> Problem:
    """The guard's fault in a message's words: at `at`, where the schedule names the file, but for bad UTF-8."""
    match fault.kind:
        case Fault.FOLDER:
            return Problem(
                at, _("message {display} is a folder, not a file").format(display=display), _("name a text file")
            )
        case Fault.NOT_REGULAR:
            return Problem(
                at,
                _("message {display} is not a regular file (a device, pipe or socket)").format(display=display),
                _TEXT,
            )
        case Fault.MISSING:
            return Problem(at, _("message file {display} does not exist").format(display=display), _path_hint(path))
        case Fault.UNREADABLE:
            return Problem(
                at,
                _("cannot read message file {display}: {reason}").format(display=display, reason=fault.reason),
                _TEXT,
            )
        case Fault.TOO_LARGE:
            message = _("message {display} is too large ({size:,} bytes; the limit is {MAX_MESSAGE_BYTES:,})").format(
                display=display, size=fault.size, MAX_MESSAGE_BYTES=MAX_MESSAGE_BYTES
            )
            return Problem(at, message, _("check that the schedule names the right file"))
        case Fault.UTF16:
            return Problem(at, _("message {display} is UTF-16 text, not UTF-8").format(display=display), _SAVE_UTF8)
        case Fault.NUL:
            return Problem(
                at, _("message {display} is not a text file (it contains NUL bytes)").format(display=display), _TEXT
            )
        case Fault.NOT_UTF8:
            where = Position(display, fault.line, fault.col)
            return Problem(where, _("message {display} is not valid UTF-8 text").format(display=display), _SAVE_UTF8)
        case _:
            assert_never(fault.kind)


def _path_hint(path: Path) -> str:
    folder = path.parent
    if folder.is_dir():
        names = sorted(p.name for p in folder.iterdir() if p.is_file())[:5]
        if names:
            return _("the path is relative to the schedule's folder; files there: {names}").format(
                names=", ".join(names)
            )
    return _("the path is relative to the folder of schedule.yaml")


def _split_front_matter(path: Path, display: str, text: str) -> tuple[Message | None, list[Problem]]:
    if not text.startswith("---\n"):
        return Message(path, display, text), []
    end = text.find("\n---\n", 3)
    if end < 0:
        if text.endswith("\n---"):
            end = len(text) - 4
        else:
            return None, [
                Problem(
                    Position(display, 1, 1),
                    _("the front matter that starts here has no closing '---' line"),
                    _("end the front matter with a line holding only '---', or remove the first line"),
                )
            ]
    block = text[4 : end + 1]
    body = text[end + 5 :]
    first_line = text[: end + 5].count("\n") + 1
    root, problems = yamlfile.parse(block, display)
    # yamlfile counts lines from the start of the block, which is line 2 of the file.
    problems = [_shift(p, 1) for p in problems]
    meta: dict[str, str] = {}
    if root is not None:
        if root.kind != "mapping":
            problems.append(
                Problem(
                    _shift_pos(root.position, 1),
                    _("the front matter must be 'key: value' lines"),
                    _("e.g. 'title: ...' between the two '---' lines; allowed keys: {FRONT_MATTER_KEYS}").format(
                        FRONT_MATTER_KEYS=", ".join(FRONT_MATTER_KEYS)
                    ),
                )
            )
        else:
            for key, value in root.entries:
                if key.text not in FRONT_MATTER_KEYS:
                    problems.append(
                        Problem(
                            _shift_pos(key.position, 1),
                            _("unknown front matter key '{text}'").format(text=key.text),
                            _("allowed keys: {FRONT_MATTER_KEYS}").format(
                                FRONT_MATTER_KEYS=", ".join(FRONT_MATTER_KEYS)
                            ),
                        )
                    )
                elif value.kind != "scalar":
                    problems.append(
                        Problem(
                            _shift_pos(value.position, 1),
                            _("'{text}' must be one value").format(text=key.text),
                            _("write it on one line: {text}: ...").format(text=key.text),
                        )
                    )
                else:
                    meta[key.text] = value.text
    if problems:
        return None, problems
    return Message(path, display, body, first_line, meta), []


def _shift_pos(position: Position, lines: int) -> Position:
    return Position(position.path, position.line + lines, position.col)


def _shift(problem: Problem, lines: int) -> Problem:
    return Problem(_shift_pos(problem.position, lines), problem.message, problem.hint, problem.severity)
