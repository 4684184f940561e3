"""The words a person reads: one lookup for every sentence of the interface.

Mark a sentence where it is written: ``_("account {name}: unknown key").format(name=name)`` (placeholders by
name), ``ngettext("{n} post", "{n} posts", n).format(n=n)`` for plurals, and ``N_("...")`` for a sentence
kept in a table and translated where it is shown (``_(TABLE[key])``). English is the source language.

This module is the pure facade: it imports nothing and reads no files. The commands choose the language once
per output and install its catalog (``install``); until then, and for English, the source text is returned.
"""

from __future__ import annotations

from typing import Protocol


class Translations(Protocol):
    def gettext(self, message: str, /) -> str: ...

    def ngettext(self, singular: str, plural: str, n: int, /) -> str: ...


class _Source:
    """English, the source language: every message is its own translation."""

    def gettext(self, message: str, /) -> str:
        return message

    def ngettext(self, singular: str, plural: str, n: int, /) -> str:
        return singular if n == 1 else plural


_active: Translations = _Source()
_language = "en"


def install(translations: Translations | None, language: str) -> None:
    """Make ``translations`` (None: English) the catalog every later lookup uses, in every thread."""
    global _active, _language
    _active = translations if translations is not None else _Source()
    _language = language


def language() -> str:
    """The code of the language in use ("en", "es")."""
    return _language


def _(message: str) -> str:
    return _active.gettext(message)


def ngettext(singular: str, plural: str, n: int) -> str:
    return _active.ngettext(singular, plural, n)


def N_(message: str) -> str:
    """Mark a sentence for the catalog without translating it yet (tables, constants)."""
    return message
