"""PyYAML's and libyaml's syntax problems in the interface's words: their own texts are English only.

Matched by how the problem text begins, so that the pure-Python parser's variants ("..., but got '<scalar>'")
and libyaml's ("did not find expected ...") read the same; a problem not listed is shown as YAML words it.
"""

from __future__ import annotations

from bot.i18n import N_, _

_CLOSE_MAPPING = N_("a ',' or the closing '}' is missing")
_CLOSE_LIST = N_("a ',' or the closing ']' is missing")
_NO_TOKEN = N_("a character that nothing in YAML can start with (a tab, or one of @ ` % at the start of a value?)")
_NO_COLON = N_("the ':' after a key is missing")
_NO_PAIR_HERE = N_(
    "a 'key: value' pair is not allowed here (a value without quotes that contains ': ', or a wrong indentation?)"
)
_NO_KEY_HERE = N_("a key is not allowed here")
_NO_ITEM_HERE = N_("a list item ('- ') is not allowed here: check its indentation")
_TAB = N_("a tab where the indentation must be spaces")
_END = N_("the file ends in the middle of a value (a quote or a bracket left open?)")
_ESCAPE = N_("an unknown escape (\\) inside double quotes: write \\\\ for a backslash, or use single quotes")
_NO_KEY = N_("a key was expected here: check the indentation of this line")
_NO_DASH = N_("a list item ('- ') was expected here: check the indentation of this line")
_NO_VALUE = N_("a value is missing")
_TRAILING = N_("only a comment or the end of the line may follow this value")
_STRAY_COLON = N_("a ':' where none is expected")
_UNKNOWN_ALIAS = N_("an alias (*name) that no anchor (&name) defines")

# (how the problem text begins, what to say): libyaml's texts first, then the pure-Python parser's
_PROBLEMS: tuple[tuple[str, str], ...] = (
    ("did not find expected ',' or '}'", _CLOSE_MAPPING),
    ("expected ',' or '}'", _CLOSE_MAPPING),
    ("did not find expected ',' or ']'", _CLOSE_LIST),
    ("expected ',' or ']'", _CLOSE_LIST),
    ("found character", _NO_TOKEN),
    ("could not find expected ':'", _NO_COLON),
    ("mapping values are not allowed", _NO_PAIR_HERE),
    ("mapping keys are not allowed", _NO_KEY_HERE),
    ("block sequence entries are not allowed", _NO_ITEM_HERE),
    ("sequence entries are not allowed", _NO_ITEM_HERE),
    ("found a tab character", _TAB),
    ("found unexpected end of stream", _END),
    ("found unknown escape character", _ESCAPE),
    ("did not find expected key", _NO_KEY),
    ("expected <block end>", _NO_KEY),
    ("did not find expected '-' indicator", _NO_DASH),
    ("did not find expected node content", _NO_VALUE),
    ("expected the node content", _NO_VALUE),
    ("did not find expected comment or line break", _TRAILING),
    ("expected a comment or a line break", _TRAILING),
    ("found unexpected ':'", _STRAY_COLON),
    ("found undefined alias", _UNKNOWN_ALIAS),
)


def yaml_problem(problem: str) -> str:
    """The YAML parser's problem text in the interface's language (unknown ones unchanged)."""
    for start, words in _PROBLEMS:
        if problem.startswith(start):
            return _(words)
    return problem
