"""The hand-editing mistakes a YAML parser reports are said in the interface's words, by either parser.

The texts come from the parsers themselves (libyaml through CSafeLoader, and PyYAML's pure-Python SafeLoader,
which a machine without libyaml uses): a new PyYAML wording that no longer matches makes this test fail.
"""

from __future__ import annotations

import pytest
import yaml

from bot.catalog import use
from bot.yamlfile import parse
from bot.yamlwords import yaml_problem

MISTAKES = {
    "unclosed mapping": "a: {b: 1, c: 2\nd: 3\n",
    "unclosed list": "to: [x, fb\nat: 1\n",
    "tab indentation": "accounts:\n\tx: 1\n",
    "colon inside a plain value": "name: Cancillería: Perú\n",
    "list item out of place": "posts:\n  id: a\n  - b\n",
    "unclosed quote": 'name: "Cancillería\n',
    "unknown escape": 'name: "a\\q"\n',
    "wrong indentation": "a:\n    b: 1\n  c: 2\n",
    "undefined alias": "a: *nada\n",
    "character that starts nothing": "a: `b`\n",
}


def _problems(text: str, loader: type) -> str:
    with pytest.raises(yaml.MarkedYAMLError) as raised:
        yaml.compose(text, Loader=loader)
    return str(raised.value.problem or raised.value.context)


@pytest.mark.parametrize("name", sorted(MISTAKES))
@pytest.mark.parametrize("loader", ["CSafeLoader", "SafeLoader"])
def test_each_parsers_wording_of_a_common_mistake_is_translated(name: str, loader: str) -> None:
    parser = getattr(yaml, loader, None)
    if parser is None:
        pytest.skip(f"PyYAML here has no {loader}")
    problem = _problems(MISTAKES[name], parser)
    assert yaml_problem(problem) != problem, problem  # a sentence of ours, not the parser's English
    use("es")
    try:
        spanish = yaml_problem(problem)
    finally:
        use("en")
    assert spanish != yaml_problem(problem), problem


def test_the_schedule_reader_reports_the_translated_problem_at_its_place() -> None:
    root, problems = parse("a: {b: 1, c: 2\nd: 3\n", "schedule.yaml")
    assert root is None and len(problems) == 1
    assert problems[0].position.path == "schedule.yaml" and problems[0].position.line == 2
    assert problems[0].message == "YAML syntax error: a ',' or the closing '}' is missing"


def test_a_problem_not_in_the_table_is_shown_as_the_parser_words_it() -> None:
    assert yaml_problem("found extremely long version number") == "found extremely long version number"
