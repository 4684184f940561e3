"""The language of a command's output, chosen once before anything is parsed or printed (bot/catalog.py).

`--lang`, `--schedule` and `--env-file` are read from the raw arguments here, before argparse, because argparse's
own help, usage and errors are already in the chosen language.
"""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from pathlib import Path

from bot import catalog
from bot.textfile import read_text


def option_value(argv: Sequence[str], name: str) -> str | None:
    """The last value given to option `name` (`--name VALUE` or `--name=VALUE`), or None."""
    value = None
    for index, word in enumerate(argv):
        if word == "--":
            break
        if word == name and index + 1 < len(argv):
            value = argv[index + 1]
        elif word.startswith(name + "="):
            value = word[len(name) + 1 :]
    return value


def choose(argv: Sequence[str], environ: Mapping[str, str] | None = None) -> str:
    """The language for this command line (raises catalog.LanguageError for an unknown BOT_LANG)."""
    environ = os.environ if environ is None else environ
    flag = option_value(argv, "--lang")
    if flag is not None and flag.strip().lower() not in catalog.LANGUAGES:
        flag = None  # argparse reports it, naming the accepted values, in the language chosen without it
    dotenv: Mapping[str, str] = {}
    if flag is None and not environ.get("BOT_LANG"):
        from bot import credentials  # only here: `--lang` or BOT_LANG spares preview its import

        env_file = option_value(argv, "--env-file")
        dotenv = credentials.load_environment(Path(env_file) if env_file else None, {}).values  # the file alone
    schedule = None
    if flag is None and not dotenv.get("BOT_LANG") and not environ.get("BOT_LANG"):
        text = read_text(Path(option_value(argv, "--schedule") or "schedule.yaml"), catalog.MAX_SCHEDULE_BYTES)
        schedule = catalog.schedule_language(text) if isinstance(text, str) else None
    return catalog.choose(flag, environ, dotenv, schedule)
