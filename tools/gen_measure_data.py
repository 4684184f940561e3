"""Generate bot/_measure_data.py from the data committed under tools/data/ (no network).

Inputs:
  * tools/data/twitter-text-tlds.txt: twitter-text's generic and country TLD lists, in its order.
  * tools/data/emoji-test-12.0.txt: Unicode's emoji-test.txt for Emoji 12.0, the list twitter-text
    3.x counts as emoji (PyPI twitter-text-parser 3.0.0 ships this very file). Every sequence of
    every status is an emoji except those of the "Component" group (lone skin tones and hair).

  * tools/data/twemoji-parser-11.0.2-regex.js: the emoji pattern of npm twemoji-parser 11.0.2, the one npm
    twitter-text 3.1.0 (the other published counter) finds emoji with, as the package ships it. Its
    language (a finite set of UTF-16 strings) is expanded into the list of sequences it counts as one emoji;
    the generated file keeps that list as its differences from EMOJI (EMOJI_NPM_ONLY, EMOJI_PY_ONLY).

Usage: ``python -m tools.gen_measure_data`` rewrites the file; ``--check`` only compares.
"""

from __future__ import annotations

import importlib
import sys
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
DATA = ROOT / "tools" / "data"
TLDS = DATA / "twitter-text-tlds.txt"
EMOJI_TEST = DATA / "emoji-test-12.0.txt"
TWEMOJI_REGEX = DATA / "twemoji-parser-11.0.2-regex.js"
OUTPUT = ROOT / "bot" / "_measure_data.py"
_WIDTH = 400  # long lines keep the generated file short (the house limit is 400 lines; E501 is off for it)


def read_tlds(path: Path = TLDS) -> dict[str, list[str]]:
    """The TLDs of each ``[section]``, in file order; '#' lines are comments."""
    sections: dict[str, list[str]] = {}
    current: list[str] | None = None
    for line in path.read_text(encoding="utf-8").splitlines():
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        if line.startswith("[") and line.endswith("]"):
            current = sections.setdefault(line[1:-1], [])
        elif current is None:
            raise ValueError(f"{path}: TLD {line!r} before any [section]")
        else:
            current.append(line)
    return sections


def read_emoji(path: Path = EMOJI_TEST) -> list[str]:
    """The emoji sequences of emoji-test.txt outside the Component group, in file order."""
    sequences: list[str] = []
    group = ""
    for line in path.read_text(encoding="utf-8").splitlines():
        if line.startswith("# group:"):
            group = line.split(":", 1)[1].strip()
            continue
        fields = line.split("#", 1)[0]
        if ";" not in fields or group == "Component":
            continue
        code_points = fields.split(";", 1)[0].split()
        sequences.append("".join(chr(int(cp, 16)) for cp in code_points))
    return sequences


def read_npm_emoji(path: Path = TWEMOJI_REGEX) -> list[str]:
    """Every string twemoji-parser's pattern matches, as code points, sorted.

    The pattern (`exports.default = /.../g;`) is written over UTF-16 code units; Python's regular expression
    parser reads the same syntax, and its tree (literals, classes, alternations, groups, `?`) is expanded.
    """
    parser: Any = importlib.import_module("re._parser")  # the standard library's own: no second grammar to keep

    source = path.read_text(encoding="utf-8")
    start = source.index("exports.default = /") + len("exports.default = /")
    pattern = source[start : source.rindex("/g;")]
    units = _expand(parser.parse(pattern))
    decoded = {u.encode("utf-16-le", "surrogatepass").decode("utf-16-le") for u in units}
    return sorted(decoded)


def _expand(tree: Any) -> set[str]:
    c: Any = importlib.import_module("re._constants")

    results = {""}
    for op, arg in tree:
        if op is c.LITERAL:
            options = {chr(arg)}
        elif op is c.IN:
            options = set()
            for kind, value in arg:
                if kind is c.LITERAL:
                    options.add(chr(value))
                elif kind is c.RANGE:
                    options |= {chr(u) for u in range(value[0], value[1] + 1)}
                else:
                    raise ValueError(f"unexpected class item {kind}")
        elif op is c.BRANCH:
            options = set().union(*(_expand(branch) for branch in arg[1]))
        elif op is c.SUBPATTERN:
            options = _expand(arg[3])
        elif op is c.ASSERT_NOT and list(arg[1]) == [(c.LITERAL, 0xFE0E)]:
            # `X(?:\ufe0f|(?!\ufe0e))`: a lone X before U+FE0E is not an emoji there. Every such X is one code
            # point of default weight, so it weighs 2 either way (tests/test_measure_reference.py checks it).
            options = {""}
        elif op is c.MAX_REPEAT and arg[0] == 0 and arg[1] == 1:
            options = {""} | _expand(arg[2])
        else:
            raise ValueError(f"unexpected pattern element {op} {arg!r}")
        results = {r + o for r in results for o in options}
    return results


def _escape(text: str) -> str:
    """``text`` as ASCII source: non-ASCII code points as ``\\u``/``\\U`` escapes."""
    out = []
    for ch in text:
        cp = ord(ch)
        if 0x20 <= cp < 0x7F and ch not in '"\\':
            out.append(ch)
        elif cp <= 0xFFFF:
            out.append(f"\\u{cp:04x}")
        else:
            out.append(f"\\U{cp:08x}")
    return "".join(out)


def _string_constant(name: str, words: list[str], escape: bool) -> str:
    """``NAME = ("w1 w2 ..." "...")``: the words joined by spaces, wrapped into short literals."""
    lines: list[str] = []
    current = ""
    for word in words:
        piece = (_escape(word) if escape else word) + " "
        if current and len(current) + len(piece) > _WIDTH:
            lines.append(current)
            current = ""
        current += piece
    lines.append(current.rstrip())
    body = "\n".join(f'    "{line}"' for line in lines)
    return f"{name} = (\n{body}\n)\n"


def render() -> str:
    tlds = read_tlds()
    emoji = read_emoji()
    npm = read_npm_emoji()
    listed = set(emoji)
    header = '''"""Data for bot.measure, generated by tools/gen_measure_data.py; do not edit by hand.

GTLDS, CCTLDS: twitter-text's TLD lists (tools/data/twitter-text-tlds.txt), space-separated, in the
order its URL pattern tries them.
EMOJI: the emoji sequences twitter-text 3.x counts as one emoji (Unicode emoji-test.txt 12.0 without
the Component group: tools/data/emoji-test-12.0.txt), space-separated, in file order: PyPI
twitter-text-parser 3.0.0's list.
EMOJI_NPM_ONLY, EMOJI_PY_ONLY: how npm twitter-text 3.1.0's list (the language of twemoji-parser 11.0.2's
pattern: tools/data/twemoji-parser-11.0.2-regex.js) differs from EMOJI: the sequences only it lists, and
those only EMOJI lists; sorted.
"""

# ruff: noqa: E501
'''
    return "\n".join(
        [
            header,
            _string_constant("GTLDS", tlds["generic"], escape=False),
            _string_constant("CCTLDS", tlds["country"], escape=False),
            _string_constant("EMOJI", emoji, escape=True),
            _string_constant("EMOJI_NPM_ONLY", [e for e in npm if e not in listed], escape=True),
            _string_constant("EMOJI_PY_ONLY", sorted(listed - set(npm)), escape=True),
        ]
    )


def main(argv: list[str]) -> int:
    text = render()
    if "--check" in argv:
        if OUTPUT.read_text(encoding="utf-8") != text:
            print(f"{OUTPUT} differs from what tools/gen_measure_data.py produces", file=sys.stderr)
            return 1
        return 0
    OUTPUT.write_text(text, encoding="utf-8", newline="\n")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
