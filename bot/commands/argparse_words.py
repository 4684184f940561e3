"""argparse's own words (usage, headings, errors), in the catalog like ours.

argparse looks its sentences up through gettext's default domain; `use_catalog` points its lookups at the facade
(bot.i18n), so its help, usage and error lines come out in the language in use. This list marks its message ids
for `pybabel extract`; tests/test_catalog.py checks it holds every one argparse of this Python asks for.
"""

from __future__ import annotations

import argparse

from bot.i18n import N_, _, ngettext

WORDS = (
    N_("usage: "),
    N_("argument %(argument_name)s: %(message)s"),
    N_(".__call__() not defined"),
    N_("conflicting subparser: %s"),
    N_("conflicting subparser alias: %s"),
    N_("unknown parser %(parser_name)r (choices: %(choices)s)"),
    N_('argument "-" with mode %r'),
    N_("can't open '%(filename)s': %(error)s"),
    N_("cannot merge actions - two groups are named %r"),
    N_("'required' is an invalid argument for positionals"),
    N_("invalid option string %(option)r: must start with a character %(prefix_chars)r"),
    N_("dest= is required for options like %r"),
    N_("invalid conflict_resolution value: %r"),
    N_("mutually exclusive arguments must be optional"),
    N_("positional arguments"),
    N_("options"),
    N_("show this help message and exit"),
    N_("cannot have multiple subparser arguments"),
    N_("unrecognized arguments: %s"),
    N_("not allowed with argument %s"),
    N_("ignored explicit argument %r"),
    N_("the following arguments are required: %s"),
    N_("one of the arguments %s is required"),
    N_("expected one argument"),
    N_("expected at most one argument"),
    N_("expected at least one argument"),
    N_("ambiguous option: %(option)s could match %(matches)s"),
    N_("unexpected option string: %s"),
    N_("%r is not callable"),
    N_("invalid %(type)s value: %(value)r"),
    N_("invalid choice: %(value)r (choose from %(choices)s)"),
    N_("%(prog)s: error: %(message)s\n"),
)


def _plural(singular: str, plural: str) -> tuple[str, str]:
    return (singular, plural)


PLURALS = (
    _plural("conflicting option string: %s", "conflicting option strings: %s"),
    _plural("expected %s argument", "expected %s arguments"),
)


def use_catalog() -> None:
    """Make argparse translate through bot.i18n (its module-level `_` and `ngettext` are gettext's)."""
    setattr(argparse, "_", _)  # noqa: B010 - argparse's own name, not an attribute of ours
    setattr(argparse, "ngettext", ngettext)  # noqa: B010
