"""README.es.md shows what the program prints: every ```console block is run (in order, in a copy of the
committed campaign) and its output compared, the moment of the run (ISO dates and times) aside."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

from tests.helpers import ROOT

GUIDE = ROOT / "README.es.md"
_BLOCK = re.compile(r"(?:<!-- prueba: (?P<setup>[a-z]+) -->\n)?```console\n(?P<body>.*?)```", re.DOTALL)
_MOMENT = re.compile(r"\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}:\d{2}(?:\.\d+)?(?:[+-]\d{2}:?\d{2})?")


def _blocks() -> list[tuple[str | None, str, str]]:
    """(setup, command, expected output) of every `$ command` in the guide's console blocks."""
    found = []
    for match in _BLOCK.finditer(GUIDE.read_text(encoding="utf-8")):
        for part in re.split(r"^\$ ", match["body"], flags=re.MULTILINE)[1:]:
            command, _newline, output = part.partition("\n")
            found.append((match["setup"], command, output))
    return found


def _normal(text: str) -> str:
    return _MOMENT.sub("<moment>", text)


def test_the_guide_is_linked_from_the_top_of_the_readme() -> None:
    top = (ROOT / "README.md").read_text(encoding="utf-8").split("\n## ", 1)[0]
    assert "(README.es.md)" in top


def test_every_command_of_the_spanish_guide_prints_what_it_shows(tmp_path: Path) -> None:
    shutil.copy(ROOT / "schedule.yaml", tmp_path)
    shutil.copy(ROOT / "main.py", tmp_path)
    shutil.copytree(ROOT / "messages", tmp_path / "messages")
    shutil.copytree(ROOT / "media", tmp_path / "media")
    secret = ("BOT_LANG", "ALERT_URLS", "CANCILLERIA_", "DATABASE_URL", "LANGUAGE", "LC_ALL", "LC_MESSAGES")
    env = {k: v for k, v in os.environ.items() if not k.startswith(secret)}
    env.update(PYTHONUNBUFFERED="1", LANG="C.UTF-8", PATH=f"{Path(sys.executable).parent}{os.pathsep}{env['PATH']}")
    blocks = _blocks()
    assert len(blocks) >= 6
    schedule = tmp_path / "schedule.yaml"
    committed = schedule.read_text(encoding="utf-8")
    for setup, command, expected in blocks:
        assert setup in (None, "platfrom")
        text = committed.replace("    platform: x\n", "    platfrom: x\n", 1) if setup else committed
        schedule.write_text(text, encoding="utf-8")
        result = subprocess.run(
            ["sh", "-c", command + " 2>&1"], cwd=tmp_path, env=env, capture_output=True, text=True, timeout=60
        )
        assert _normal(result.stdout) == _normal(expected), command
