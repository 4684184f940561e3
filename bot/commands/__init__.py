"""The command layer: parse the arguments, call the services, print, pick the exit status.

One module per command, imported only when that command runs, so `preview` and `validate` never load the
daemon's libraries. Exit status: 0 success, 1 a runtime failure (e.g. credentials rejected), 2 invalid input
or usage. Nothing below this package imports it.
"""

from __future__ import annotations

import importlib
import sys
from collections.abc import Sequence

from bot import catalog
from bot.commands import argparse_words, language
from bot.commands.common import EXIT_INVALID, EXIT_OK
from bot.commands.parser import COMMAND_NAMES, parser
from bot.i18n import _


def main(argv: Sequence[str] | None = None) -> int:
    arguments = sys.argv[1:] if argv is None else list(argv)
    try:
        catalog.use(language.choose(arguments))
    except catalog.LanguageError as error:
        print(_("error: {error}").format(error=error.message()), file=sys.stderr)
        return EXIT_INVALID
    argparse_words.use_catalog()
    args = parser().parse_args(arguments)
    assert args.command in COMMAND_NAMES
    module = importlib.import_module(f"bot.commands.{args.command}")
    try:
        code: int = module.main(args)
        return code
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:  # `preview | head`
        return EXIT_OK
