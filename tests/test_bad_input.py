"""Every class of bad input: one clear PATH:LINE:COL message per problem, exit status 2, no traceback.

The wording is pinned on purpose: these messages are the interface a communications officer reads.
"""

from __future__ import annotations

import pytest

from tests.helpers import ROOT, run_cli

BAD = "tests/data/bad"
MSG = f"{BAD}/messages"

CASES = {
    "01-yaml-syntax.yaml": ["4:6: error: YAML syntax error: did not find expected ',' or '}'"],
    "02-tab-indent.yaml": ["3:1: error: YAML syntax error: found character that cannot start any token"],
    "03-unknown-key.yaml": ["3:5: error: account 'cancilleria_x': unknown key 'platfrom'"],
    "04-bad-timezone.yaml": ["1:11: error: schedule: unknown time zone 'America/Lim'"],
    "05-impossible-date.yaml": [
        "6:9: error: post 'saludo': '2027-02-30 08:00' is not a real date or time (day is out of range for month)"
    ],
    "06-not-a-time.yaml": ["6:9: error: post 'saludo': '28 de julio a las 8' is not a date and time"],
    "07-duplicate-id.yaml": ["8:9: error: post 'saludo': the id is used twice (first on line 4)"],
    "08-unknown-account.yaml": ["7:25: error: post 'saludo': unknown account 'cancilleria_fb'"],
    "09-missing-message.yaml": [f"5:14: error: message file {MSG}/no-existe.txt does not exist"],
    "10-empty-message.yaml": [f"5:14: error: message {MSG}/vacio.txt is empty"],
    "11-binary-message.yaml": [f"5:14: error: message {MSG}/binario.txt is not a text file (it contains NUL bytes)"],
    "12-huge-message.yaml": [
        f"5:14: error: message {MSG}/enorme.txt is too large (300,001 bytes; the limit is 262,144)"
    ],
    "13-unsplittable.yaml": [
        f"{MSG}/palabra-larga.txt:1:25: error: '#FelicesFiestasPatriasATodosLosPeruan...' cannot fit in one post "
        "of account 'cancilleria_x' (limit 40, with numbering)"
    ],
    "14-outside-folder.yaml": [
        "5:14: error: post 'saludo': message '../../../schedule.yaml' is outside the schedule's folder"
    ],
    "15-wrong-type.yaml": [
        "2:92: error: account 'cancilleria_x': limit must be a whole number, not 'muchos'",
        "6:9: error: post 'saludo': 'at' must be a single value, not a list",
    ],
    "16-missing-keys.yaml": [
        "3:5: error: account 'cancilleria_fb': missing required key 'page_id'",
        "6:5: error: post 'saludo': missing required key 'message'",
    ],
    "17-wrong-platform-key.yaml": ["5:5: error: account 'cancilleria_fb': 'handle' applies only to x accounts"],
    "18-bad-platform.yaml": ["3:15: error: account 'cancilleria_tw': platform 'twitter' is not one of: x, facebook"],
    "19-bad-duration.yaml": ["7:12: error: post 'saludo': 'media hora' is not a duration"],
    "20-not-a-mapping.yaml": ["1:1: error: the schedule must be a mapping with 'accounts' and 'posts'"],
    "21-empty.yaml": ["1:1: error: the schedule must be a mapping with 'accounts' and 'posts'"],
    "22-duplicate-key.yaml": ["7:5: error: post: 'at' is given twice (first on line 6)"],
    "23-bad-numbering.yaml": [
        "2:96: error: account 'cancilleria_x': numbering '({n})' must contain {i} and may contain {n}, "
        "nothing else in braces"
    ],
    "24-limit-too-big.yaml": ["2:92: error: account 'cancilleria_x': limit must be between 20 and 25000"],
    "25-latin1-message.yaml": [f"{MSG}/latin1.txt:1:9: error: message {MSG}/latin1.txt is not valid UTF-8 text"],
    "26-bad-front-matter.yaml": [f"{MSG}/front-matter-mala.md:2:1: error: unknown front matter key 'titel'"],
    "27-bad-credentials-prefix.yaml": [
        "2:70: error: account 'cancilleria_x': 'cancilleria-x' is not a valid value for 'credentials'"
    ],
    "28-account-timezone.yaml": ["2:81: error: account 'embajada_x': unknown time zone 'Europe/Madird'"],
    "29-two-documents.yaml": ["2:1: error: YAML syntax error: the file holds more than one YAML document ('---')"],
    "30-many-problems.yaml": [
        "1:11: error: schedule: unknown time zone 'Lima'",
        "3:32: error: account 'cancilleria_x': unknown key 'handel'",
        "7:9: error: post 'saludo': '2027-13-01 08:00' is not a real date or time (month must be in 1..12)",
        "8:10: error: post 'saludo': unknown account 'cancilleria'",
    ],
    "31-latin1-schedule.yaml": ["5:1: error: the schedule is not UTF-8 text"],
}


def _expected(name: str, line: str) -> str:
    """Problems in the schedule itself start with LINE:COL; problems in a message name their file."""
    return line if line.startswith(BAD) else f"{BAD}/{name}:{line}"


def test_every_bad_file_has_a_case() -> None:
    files = sorted(p.name for p in (ROOT / BAD).glob("*.yaml"))
    assert files == sorted(CASES)


@pytest.mark.parametrize("command", ["validate", "preview"])
@pytest.mark.parametrize("name", sorted(CASES))
def test_bad_input_is_reported_with_its_position(name: str, command: str) -> None:
    result = run_cli(command, "--schedule", f"{BAD}/{name}")

    assert result.returncode == 2, result.stderr
    assert "Traceback" not in result.stderr
    assert result.stdout == ""
    problem_lines = [line for line in result.stderr.splitlines() if ": error: " in line]
    assert problem_lines == [_expected(name, line) for line in CASES[name]]
    assert result.stderr.rstrip().endswith("nothing was sent or changed.")


def test_missing_schedule_file() -> None:
    result = run_cli("validate", "--schedule", "no-such-schedule.yaml")
    assert result.returncode == 2
    assert result.stderr.splitlines()[0] == "no-such-schedule.yaml: error: schedule file not found"


def test_usage_error_exits_2() -> None:
    result = run_cli("preview", "--format", "pdf")
    assert result.returncode == 2
    assert "invalid choice: 'pdf'" in result.stderr
