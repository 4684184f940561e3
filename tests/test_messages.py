"""Message files: line endings, front matter, encodings, positions."""

from __future__ import annotations

from pathlib import Path

from bot.messages import load_message
from bot.model import Position

AT = Position("schedule.yaml", 3, 14)


def test_crlf_becomes_lf_and_nothing_else_changes(tmp_path: Path) -> None:
    path = tmp_path / "m.txt"
    path.write_bytes("  ¡Hola!\r\n\r\nSegunda  línea.\r\n".encode())
    message, problems = load_message(path, "m.txt", AT)
    assert problems == [] and message is not None
    assert message.text == "  ¡Hola!\n\nSegunda  línea.\n"


def test_utf8_bom_is_not_part_of_the_text(tmp_path: Path) -> None:
    path = tmp_path / "m.txt"
    path.write_bytes(b"\xef\xbb\xbfHola")
    message, _ = load_message(path, "m.txt", AT)
    assert message is not None and message.text == "Hola"


def test_front_matter_is_metadata_and_positions_count_from_the_file(tmp_path: Path) -> None:
    path = tmp_path / "m.md"
    path.write_text("---\ntitle: Saludo\nauthor: Canciller\n---\nPrimera.\nSegunda palabra.\n", encoding="utf-8")
    message, problems = load_message(path, "m.md", AT)
    assert problems == [] and message is not None
    assert message.meta == {"title": "Saludo", "author": "Canciller"}
    assert message.text == "Primera.\nSegunda palabra.\n"
    assert message.position_of(message.text.index("palabra")) == Position("m.md", 6, 9)


def test_unclosed_front_matter(tmp_path: Path) -> None:
    path = tmp_path / "m.md"
    path.write_text("---\ntitle: x\nTexto\n", encoding="utf-8")
    message, problems = load_message(path, "m.md", AT)
    assert message is None
    assert [p.format().splitlines()[0] for p in problems] == [
        "m.md:1:1: error: the front matter that starts here has no closing '---' line"
    ]


def test_whitespace_only_message_is_empty(tmp_path: Path) -> None:
    path = tmp_path / "m.txt"
    path.write_text(" \n\t\n", encoding="utf-8")
    _, problems = load_message(path, "m.txt", AT)
    assert [p.message for p in problems] == ["message m.txt is empty"]
    assert problems[0].position == AT


def test_a_folder_is_not_a_message(tmp_path: Path) -> None:
    _, problems = load_message(tmp_path, "messages", AT)
    assert [p.message for p in problems] == ["message messages is a folder, not a file"]
