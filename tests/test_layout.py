"""The shape of bot/: no import cycle, no module over 400 lines, argparse only in the command layer.

The layers themselves (what may import what) are the import-linter contracts in pyproject.toml, checked by
`.ci/run` (`lint-imports`); this file keeps the rules that hold for every module, read with `ast` so that
imports inside functions count too.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from tests.helpers import ROOT

BOT = ROOT / "bot"
MAX_LINES = 400
OVER_THE_LIMIT: dict[str, str] = {}  # path -> why it may be longer; empty: every module keeps the limit


def module_name(path: Path, root: Path) -> str:
    parts = list(path.relative_to(root.parent).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def import_graph(root: Path) -> dict[str, set[str]]:
    """Module -> the modules of the same package it imports, anywhere in its body."""
    files = {module_name(path, root): path for path in root.rglob("*.py")}
    graph: dict[str, set[str]] = {name: set() for name in files}
    for name, path in files.items():
        package = name if path.name == "__init__.py" else name.rpartition(".")[0]
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            targets: list[str] = []
            if isinstance(node, ast.Import):
                targets = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom):
                base = node.module or ""
                if node.level:
                    anchor = package.split(".")[: len(package.split(".")) - node.level + 1]
                    base = ".".join([*anchor, base] if base else anchor)
                # `from bot import config` imports the module bot.config; `from bot.x import name` imports bot.x
                targets = [f"{base}.{alias.name}" if f"{base}.{alias.name}" in files else base for alias in node.names]
            graph[name].update(target for target in targets if target in files and target != name)
    return graph


def find_cycle(graph: dict[str, set[str]]) -> list[str] | None:
    """One import cycle, as the list of modules around it, or None."""
    state: dict[str, int] = {}  # 1: on the current path, 2: done
    path: list[str] = []

    def visit(name: str) -> list[str] | None:
        state[name] = 1
        path.append(name)
        for target in sorted(graph[name]):
            if state.get(target) == 1:
                return [*path[path.index(target) :], target]
            if target not in state and (found := visit(target)) is not None:
                return found
        path.pop()
        state[name] = 2
        return None

    for name in sorted(graph):
        if name not in state and (found := visit(name)) is not None:
            return found
    return None


def test_bot_has_no_import_cycle() -> None:
    graph = import_graph(BOT)
    assert "bot.services.daemon" in graph and graph["bot.commands.run"] >= {"bot.services.daemon"}
    assert find_cycle(graph) is None, " -> ".join(find_cycle(graph) or [])


def test_the_cycle_finder_sees_a_cycle_made_by_an_import_inside_a_function(tmp_path: Path) -> None:
    package = tmp_path / "pkg"
    (package / "sub").mkdir(parents=True)
    (package / "__init__.py").write_text("")
    (package / "sub" / "__init__.py").write_text("")
    (package / "a.py").write_text("from pkg.sub import b\n")
    (package / "sub" / "b.py").write_text("def late():\n    from pkg import a\n")
    assert find_cycle(import_graph(package)) == ["pkg.a", "pkg.sub.b", "pkg.a"]
    (package / "sub" / "b.py").write_text("def late():\n    from pkg import sub\n")
    assert find_cycle(import_graph(package)) is None


@pytest.mark.parametrize("path", sorted(BOT.rglob("*.py")), ids=lambda p: str(p.relative_to(ROOT)))
def test_no_module_is_over_the_house_limit(path: Path) -> None:
    if str(path.relative_to(ROOT)) in OVER_THE_LIMIT:
        pytest.skip(OVER_THE_LIMIT[str(path.relative_to(ROOT))])
    lines = len(path.read_text(encoding="utf-8").splitlines())
    assert lines <= MAX_LINES, f"{path.relative_to(ROOT)} has {lines} lines: split it by responsibility"


def test_only_the_command_layer_sees_argparse() -> None:
    users = {
        module_name(path, BOT)
        for path in BOT.rglob("*.py")
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8")))
        if isinstance(node, ast.Import | ast.ImportFrom)
        and any((getattr(node, "module", None) or alias.name) == "argparse" for alias in node.names)
    }
    assert users and all(name.startswith("bot.commands.") for name in users), sorted(users)


def test_every_command_but_run_loads_without_fcntl() -> None:
    """What the README promises for Windows: only `run` (the state folder's lock) needs fcntl."""
    import subprocess
    import sys

    commands = ["preview", "validate", "check", "status", "resume", "schema"]
    code = "import sys; sys.modules['fcntl'] = None\n" + "".join(f"import bot.commands.{c}\n" for c in commands)
    loaded = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=False)
    assert loaded.returncode == 0, loaded.stderr
    blocked = subprocess.run(
        [sys.executable, "-c", code + "import bot.commands.run\n"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    assert "fcntl" in blocked.stderr  # the check itself can fail
