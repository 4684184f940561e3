"""The Spanish catalog: complete, reviewed (nothing fuzzy), placeholders kept, and the committed .mo is exactly
what its .po compiles to. A developer who adds an English sentence to bot/ without its Spanish fails here."""

from __future__ import annotations

import argparse
import io
import re
import tomllib
from collections.abc import Iterator

import pytest
from babel.messages.catalog import Catalog, Message
from babel.messages.extract import extract_from_dir, extract_python
from babel.messages.frontend import parse_keywords
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po

from bot import catalog
from bot.commands.argparse_words import PLURALS, WORDS
from tests.helpers import ROOT

PO = ROOT / "bot" / "i18n" / "locale" / "es" / "LC_MESSAGES" / "bot.po"
MO = ROOT / "bot" / "i18n" / "locale" / "es" / "LC_MESSAGES" / "bot.mo"

# {name}, {name!r}, {name:,} (str.format) and %(name)s, %s, %r (argparse's own): the placeholders of a message.
_BRACES = re.compile(r"(?<!\{)\{([A-Za-z_0-9]*)(?:![rsa])?(?::[^{}]*)?\}(?!\})")
_PERCENT = re.compile(r"%(?:\(([A-Za-z_]+)\))?[sdr]")


def _placeholders(text: str) -> list[str]:
    return sorted(_BRACES.findall(text.replace("{{", "").replace("}}", ""))) + sorted(
        "%" + name for name in _PERCENT.findall(text)
    )


def _read_po() -> Catalog:
    with PO.open("rb") as stream:
        return read_po(stream)


def _extracted() -> set[str | tuple[str, str]]:
    """Every message id in bot/, extracted as `pybabel extract` does with pyproject.toml's settings."""
    config = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["tool"]["babel"]
    keywords = parse_keywords(config["extract_messages"]["keywords"].split())
    found: set[str | tuple[str, str]] = set()
    for _file, _line, message, _comments, _context in extract_from_dir(
        str(ROOT / "bot"), keywords=keywords, comment_tags=()
    ):
        found.add(message if isinstance(message, str) else (message[0], message[1]))
    return found


def _messages(po: Catalog) -> Iterator[Message]:
    return (message for message in po if message.id)  # obsolete entries are not iterated


def test_every_message_of_bot_has_a_reviewed_spanish_translation() -> None:
    po = _read_po()
    translated = {m.id if isinstance(m.id, str) else (m.id[0], m.id[1]): m for m in _messages(po)}
    extracted = _extracted()
    assert len(extracted) > 300  # the extraction itself works (keywords, paths)
    missing = sorted(str(m) for m in extracted if m not in translated)
    assert not missing, (
        f"message ids of bot/ not in {PO.name} (run pybabel extract + update, translate):\n" + "\n".join(missing)
    )
    untranslated = sorted(str(key) for key, m in translated.items() if not all(_strings(m)))
    assert not untranslated, "no Spanish for:\n" + "\n".join(untranslated)
    fuzzy = sorted(str(key) for key, m in translated.items() if m.fuzzy)
    assert not fuzzy, "fuzzy (not reviewed):\n" + "\n".join(fuzzy)


def _strings(message: Message) -> tuple[str, ...]:
    string = message.string
    return (string,) if isinstance(string, str) else tuple(string or ())


def test_translations_keep_every_placeholder() -> None:
    wrong = []
    for message in _messages(_read_po()):
        ids = (message.id,) if isinstance(message.id, str) else tuple(message.id)
        for text in _strings(message):
            if _placeholders(text) != _placeholders(ids[-1]) and _placeholders(text) != _placeholders(ids[0]):
                wrong.append(f"{ids[0]!r} -> {text!r}")
    assert not wrong, "placeholders differ:\n" + "\n".join(wrong)


def test_the_committed_mo_is_what_the_po_compiles_to() -> None:
    compiled = io.BytesIO()
    write_mo(compiled, _read_po(), use_fuzzy=False)
    assert MO.read_bytes() == compiled.getvalue(), "run: pybabel compile -D bot -d bot/i18n/locale -l es"


def test_the_catalog_ships_with_the_package() -> None:
    config = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    data = config["tool"]["setuptools"]["package-data"]["bot.i18n"]
    assert "locale/*/LC_MESSAGES/*.mo" in data
    assert catalog.mo_path("es") == MO


def test_argparse_words_cover_every_message_of_this_pythons_argparse() -> None:
    with open(argparse.__file__, "rb") as stream:
        used = list(extract_python(stream, {"_": None, "ngettext": (1, 2)}, [], {}))
    ours: set[object] = set(WORDS) | set(PLURALS)
    missing = [
        m for _line, _f, m, _c in used if m is not None and (m if isinstance(m, str) else tuple(m[:2])) not in ours
    ]
    assert not missing, missing


@pytest.mark.parametrize(("english", "spanish"), [("post", "publicación"), ("hint: {hint}", "sugerencia: {hint}")])
def test_the_glossary_terms(english: str, spanish: str) -> None:
    translations = catalog.translations("es")
    assert translations is not None
    if english == "post":
        assert translations.ngettext("{n} post", "{n} posts", 1) == "{n} publicación"
        assert translations.ngettext("{n} post", "{n} posts", 2) == "{n} publicaciones"
    else:
        assert translations.gettext(english) == spanish
