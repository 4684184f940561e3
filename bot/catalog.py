"""The compiled catalogs and the choice of language: the adapter behind the pure facade bot/i18n/__init__.py.

One order decides the language of every command's output, in one place (`choose`):

1. ``--lang es|en`` on the command line;
2. ``BOT_LANG`` in the environment, then in the ``.env`` file;
3. ``language: es|en`` at the top of schedule.yaml;
4. the locale, as gettext reads it (``LANGUAGE``, ``LC_ALL``, ``LC_MESSAGES``, ``LANG``);
5. otherwise English, the source language.

An unknown value in 1 or 2 is a `LanguageError` (exit 2); in 3 it is left to the schedule's validation
(a file:line:col problem), and a locale of another language simply means English. The Spanish catalog is
the ``.mo`` committed beside its ``.po`` (tests/test_catalog.py checks that it is what the ``.po`` compiles to)
and shipped as package data, so an installed bot speaks Spanish with no build step.
"""

from __future__ import annotations

import gettext
import re
from collections.abc import Mapping
from pathlib import Path

from bot.i18n import N_, _, install
from bot.schema import LANGUAGES as LANGUAGES

DOMAIN = "bot"
LOCALE_DIR = Path(__file__).parent / "i18n" / "locale"
LOCALE_VARIABLES = ("LANGUAGE", "LC_ALL", "LC_MESSAGES", "LANG")
MAX_SCHEDULE_BYTES = 2 * 1024 * 1024

# `language: es` as the schedule writes it: a top-level key at the start of a line, a plain or quoted value.
_SCHEDULE_LANGUAGE = re.compile(r"""^language[ \t]*:[ \t]*(["']?)([^"'\s#]*)\1[ \t]*(?:#.*)?$""", re.MULTILINE)


class LanguageError(Exception):
    """A language the bot has no catalog for, named on the command line or in BOT_LANG."""

    def __init__(self, value: str, source: str) -> None:
        self.value = value
        self.source = source
        super().__init__(value, source)

    def message(self) -> str:
        return _("{source}: unknown language '{value}'; accepted: {accepted}").format(
            source=_(self.source), value=self.value, accepted=", ".join(LANGUAGES)
        )


def mo_path(language: str) -> Path:
    return LOCALE_DIR / language / "LC_MESSAGES" / f"{DOMAIN}.mo"


def translations(language: str) -> gettext.GNUTranslations | None:
    """The compiled catalog of `language` (None for English, the source)."""
    if language == "en":
        return None
    with mo_path(language).open("rb") as stream:
        return gettext.GNUTranslations(stream)


def use(language: str) -> None:
    """Make `language` the language of every later message (`bot.i18n._`)."""
    if language not in LANGUAGES:
        raise LanguageError(language, "language")
    install(translations(language), language)


def locale_language(environ: Mapping[str, str]) -> str | None:
    """The language the locale asks for, as gettext reads it (the first variable set), if we have it."""
    for variable in LOCALE_VARIABLES:
        value = environ.get(variable, "")
        if not value:
            continue
        for item in value.split(":"):
            code = re.split(r"[_.@-]", item, maxsplit=1)[0].lower()
            if code in LANGUAGES:
                return code
        return None  # the locale chose a language we have no catalog for (or C/POSIX): English
    return None


def schedule_language(text: str) -> str | None:
    """The value of the schedule's top-level `language:` key, read from its text (None when absent)."""
    match = _SCHEDULE_LANGUAGE.search(text)
    return match.group(2) if match else None


def choose(
    flag: str | None,
    environ: Mapping[str, str],
    dotenv: Mapping[str, str],
    schedule: str | None,
) -> str:
    """The language of the output, from the sources in their order (module docstring).

    `dotenv` holds the variables of the .env file, `schedule` the schedule's `language:` value (or None).
    """
    if flag is not None:
        return _accepted(flag, "--lang")
    if environ.get("BOT_LANG"):
        return _accepted(environ["BOT_LANG"], N_("BOT_LANG (environment)"))
    if dotenv.get("BOT_LANG"):
        return _accepted(dotenv["BOT_LANG"], N_("BOT_LANG (.env)"))
    if schedule in LANGUAGES:
        return schedule
    return locale_language(environ) or "en"


def _accepted(value: str, source: str) -> str:
    code = value.strip().lower()
    if code not in LANGUAGES:
        raise LanguageError(value, source)
    return code
