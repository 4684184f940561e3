"""Every class of bad input: one clear PATH:LINE:COL message per problem, exit status 2, no traceback.

The wording is pinned on purpose: these messages are the interface a communications officer reads.
Each bad input is a file: a schedule in tests/data/bad/ (its messages in tests/data/bad/messages/), or a .env
in tests/data/bad/env/ read with --env-file next to the valid tests/data/bad/env/schedule.yaml. Every one goes
through `validate` and `preview` (no network) and through `check` and `run` pointed at the fake X and Graph
APIs, so a bad input that slipped through would really be sent: the server must receive nothing and no
state folder (outbox, lock) may be created.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from collections.abc import Iterable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from tests.fakeapi import FakeAPI, fake_api_fixture  # noqa: F401
from tests.helpers import ROOT, run_cli, run_main
from tests.mediafiles import big_jpeg

BAD = "tests/data/bad"
MSG = f"{BAD}/messages"
ENV = f"{BAD}/env"

CASES = {
    "01-yaml-syntax.yaml": ["4:6: error: YAML syntax error: a ',' or the closing '}' is missing"],
    "02-tab-indent.yaml": [
        "3:1: error: YAML syntax error: a character that nothing in YAML can start with (a tab, or one of @ ` % at the "
        "start of a value?)"
    ],
    "03-unknown-key.yaml": ["3:5: error: account 'cancilleria_x': unknown key 'platfrom'"],
    "04-bad-timezone.yaml": ["1:11: error: schedule: unknown time zone 'America/Lim'"],
    "05-impossible-date.yaml": [
        "6:9: error: post 'saludo': '2027-02-30 08:00' is not a real date or time (that month has no such day)"
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
        "7:9: error: post 'saludo': '2027-13-01 08:00' is not a real date or time (months go from 01 to 12)",
        "8:10: error: post 'saludo': unknown account 'cancilleria'",
    ],
    "31-latin1-schedule.yaml": ["5:1: error: the schedule is not UTF-8 text"],
    "32-alias-bomb.yaml": [
        "6:4: error: the aliases (*name) in this file add more than 100,000 values when written out"
    ],
    "33-recursive-alias.yaml": ["1:11: error: an alias refers to the list or mapping that contains it"],
    "34-deep-nesting.yaml": ["7:56: error: the values are nested more than 50 levels deep"],
    "35-nul-byte.yaml": ["2:51: error: the schedule is not a text file (it contains NUL bytes)"],
    "36-control-character.yaml": [
        "6:19: error: the file contains the control character U+0007, which YAML does not allow"
    ],
    "37-terminal-escape.yaml": [
        "2:40: error: account 'cancilleria_x': '\\x1b[2J\\x1b[32mCancilleriaPeru' is not a valid value for 'handle'"
    ],
    "38-python-tag.yaml": ["4:9: error: the YAML tag '!!python/object/apply:os.system' is not allowed"],
    "39-merge-key.yaml": ["3:19: error: merge keys ('<<: *name') are not supported"],
    "40-year-9999.yaml": [
        "6:9: error: post 'saludo': '9999-12-31 23:59' is out of range: the year must be between 2000 and 2099"
    ],
    "41-every-too-long.yaml": [
        "8:12: error: post 'saludo': 'every' is 99999999d, longer than 7 days between two posts of a thread"
    ],
    "42-empty-to.yaml": ["7:9: error: post 'saludo': 'to' must list account names, e.g. to: [cancilleria_x]"],
    "43-bad-account-name.yaml": ["2:3: error: accounts: 'cancillería x' is not a usable account name"],
    "44-bad-page-id.yaml": [
        "2:49: error: account 'cancilleria_fb': 'https://www.facebook.com/CancilleriaPeru' is not a valid value "
        "for 'page_id'"
    ],
    "45-bad-handle.yaml": [
        "2:40: error: account 'cancilleria_x': '@Cancillería del Perú' is not a valid value for 'handle'"
    ],
    "46-message-is-folder.yaml": [f"5:14: error: message {MSG} is a folder, not a file"],
    "47-message-link-outside.yaml": [
        "5:14: error: post 'saludo': message 'messages/enlace-fuera.txt' is a link to a file outside the "
        "schedule's folder"
    ],
    "48-utf16-message.yaml": [f"5:14: error: message {MSG}/utf16.txt is UTF-16 text, not UTF-8"],
    "49-very-long-line.yaml": [
        "2:40: error: account 'cancilleria_x': 'CancilleriaCancilleriaCancilleriaCancilleriaCancilleriaCa...' "
        "is not a valid value for 'handle'"
    ],
    "50-nul-in-path.yaml": [
        "5:14: error: post 'saludo': message 'messages/corto.txt\\x00.png' has a control character in its name"
    ],
    "51-impossible-offset.yaml": [
        "6:9: error: post 'saludo': '2027-07-28 08:00+25:00' has the offset +25:00, which no place uses"
    ],
    "52-to-as-text.yaml": [
        "8:9: error: post 'saludo': 'to' is the single text 'cancilleria_x, cancilleria_fb', not a list of accounts"
    ],
    "53-huge-schedule.yaml": [": error: the file is larger than 2,097,152 bytes: too large to be a schedule"],
    "54-not-a-regular-file.yaml": [": error: this is not a regular file (a device, pipe or socket)"],
    "55-timezone-is-a-region.yaml": ["1:11: error: schedule: unknown time zone 'America'"],
    # images (issue 14): the files are in tests/data/bad/media/, except the big JPEG, made by big_jpeg_file
    "56-media-missing.yaml": ["9:16: error: image file media/no-existe.png not found"],
    "57-media-wrong-extension.yaml": ["9:16: error: media/bandera-png.jpg is a PNG image but its name ends in .jpg"],
    "58-media-truncated.yaml": [
        "9:16: error: media/truncada.png is a damaged or incomplete PNG image (Truncated File Read)"
    ],
    "59-media-too-big.yaml": ["9:16: error: media/grande.jpg is 6.1 MB; X accepts an image of at most 5.0 MB"],
    "60-media-five-images.yaml": ["13:16: error: this post has 5 images; X and Facebook take at most 4 per post"],
    "61-media-gif-with-another.yaml": [
        "9:16: error: media/animada.gif is a GIF, and a GIF must be the only image of its post "
        "(this post has 2 media items)"
    ],
    "62-media-empty-alt.yaml": ["10:14: error: the alt text of media/bandera.png is empty"],
    "63-media-folder.yaml": ["9:16: error: media/carpeta.png is a folder, not an image file"],
    "64-media-link-outside.yaml": [
        f"9:16: error: image file media/fuera.png is outside the project folder {ROOT}/{BAD} "
        "(it is a symbolic link pointing there)"
    ],
}


# A .env in tests/data/bad/env/, with the valid env/schedule.yaml. Lines not starting with a path are in the .env.
ENV_CASES = {
    "unterminated-quote.env": [
        '9:27: error: the value of CANCILLERIA_FB_PAGE_TOKEN opens a quote (") that is not closed on this line'
    ],
    "no-equals.env": ["4:1: error: this line is not NAME=value: it has no '='"],
    "export-colon.env": ["3:7: error: this line is not NAME=value: expected '=' after export"],
    "text-after-quote.env": ["5:63: error: the value of CANCILLERIA_X_ACCESS_TOKEN goes on after its closing quote"],
    "not-utf8.env": ["10:1: error: the .env file is not UTF-8 text"],
    "space-in-token.env": [
        "5:28: error: account 'cancilleria_x': CANCILLERIA_X_ACCESS_TOKEN is set but is not a token "
        "(it has spaces or line breaks in it)"
    ],
    "example-value.env": [
        "4:26: error: account 'cancilleria_x': CANCILLERIA_X_API_SECRET is set but is not a token "
        "(it is still the example value from .env.example)"
    ],
    "bad-timeout.env": ["10:22: error: HTTP_TIMEOUT_SECONDS must be a number of seconds between 0 and 600"],
    "bad-settle.env": ["10:16: error: SETTLE_SECONDS must be a number of seconds between 0 and 3600"],
    "bad-url.env": ["10:20: error: FACEBOOK_GRAPH_URL is not an http:// or https:// address"],
    "missing-token.env": [
        f"{ENV}/schedule.yaml:4:3: error: account 'cancilleria_fb' needs CANCILLERIA_FB_PAGE_TOKEN, "
        "not set in the environment or .env"
    ],
    "wrong-case-name.env": [
        f"{ENV}/schedule.yaml:3:3: error: account 'cancilleria_x' needs CANCILLERIA_X_ACCESS_TOKEN_SECRET, "
        "not set in the environment or .env"
    ],
}
# A variable that is not set is only a warning for `validate` (it may be filled in later) and an error for
# `check` and `run`, which need it now (see cli.credential_problems).
MISSING_ONLY = {"missing-token.env", "wrong-case-name.env"}


def _expected(folder: str, name: str, line: str) -> str:
    """A line starting with LINE:COL (or ':' for the whole file) is about the bad file itself."""
    if line.startswith(BAD):
        return line
    return f"{folder}/{name}{line}" if line.startswith(":") else f"{folder}/{name}:{line}"


def _assert_reported(command: str, result: subprocess.CompletedProcess[str], expected: list[str]) -> None:
    """Exit 2 and exactly the expected errors, each followed by its hint, then the closing line; no traceback."""
    stderr = result.stderr
    assert "Traceback" not in stderr, f"{command}:\n{stderr}"
    assert result.returncode == 2, f"{command} exited {result.returncode}:\n{stderr}"
    assert result.stdout == "", f"{command} printed:\n{result.stdout}"
    lines = stderr.splitlines()
    assert [line for line in lines if ": error: " in line] == expected, f"{command}:\n{stderr}"
    for at, line in enumerate(lines):
        if ": error: " in line or ": warning: " in line:
            hint = lines[at + 1] if at + 1 < len(lines) else ""
            assert hint.startswith("    hint: ") and hint.strip() != "hint:", f"{command}: no hint for {line}"
    count = len(expected)
    assert lines[-1] == f"{count} error{'s' if count != 1 else ''}: nothing was sent or changed.", command


@pytest.fixture(scope="module", autouse=True)
def big_jpeg_file(tmp_path_factory: pytest.TempPathFactory) -> None:
    """The 6 MB JPEG of 59-media-too-big.yaml: too big to commit, made for these tests (and ignored by git).

    Kept after the run: with pytest-xdist other workers may be reading it. Made in a temporary folder and
    moved into place in one rename, so a worker never sees half a file (the bytes are the same every time)."""
    path = ROOT / BAD / "media" / "grande.jpg"
    if path.exists() and path.stat().st_size >= 6 * 1024 * 1024:
        return
    partial = path.with_name(f".{path.name}.{os.getpid()}")  # beside it: the rename stays on one file system
    shutil.copyfile(big_jpeg(tmp_path_factory.mktemp("big-jpeg") / "grande.jpg"), partial)
    os.replace(partial, path)


def _skip_if_not_checked_out_as_link(name: str) -> None:
    links = {
        "47-message-link-outside.yaml": f"{MSG}/enlace-fuera.txt",
        "54-not-a-regular-file.yaml": f"{BAD}/{name}",
        "64-media-link-outside.yaml": f"{BAD}/media/fuera.png",
    }
    if name in links and not (ROOT / links[name]).is_symlink():
        pytest.skip("this checkout has no symbolic links")


def _settings(fake_api: FakeAPI) -> dict[str, str]:
    return {"X_API_BASE_URL": fake_api.url, "FACEBOOK_GRAPH_URL": fake_api.url, "HTTP_TIMEOUT_SECONDS": "2"}


def _fake_env(tmp_path: Path, fake_api: FakeAPI) -> Path:
    """A .env with working credentials of every account the bad schedules name, pointing at the fake API."""
    _, x_env = fake_api.add_x_user("CancilleriaPeru", "Cancillería del Perú", "CANCILLERIA_X")
    _, embassy_env = fake_api.add_x_user("EmbPeru", "Embajada del Perú", "EMBAJADA_X")
    _, fb_env = fake_api.add_page("104", "Cancillería del Perú", "CANCILLERIA_FB")
    path = tmp_path / ".env"
    lines = [f"{name}={value}" for name, value in {**x_env, **embassy_env, **fb_env, **_settings(fake_api)}.items()]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


# The cases whose commands run as real subprocesses (python main.py ...); the others call bot.commands.main in
# the test's process (tests/helpers.py: run_main), which prints and exits the same, without a Python start-up
# per command (64 schedules x 4 commands, 12 .env files x 3). Every command and both kinds of file are here.
SUBPROCESS_CASES = {
    "01-yaml-syntax.yaml",
    "13-unsplittable.yaml",
    "30-many-problems.yaml",
    "59-media-too-big.yaml",
    "unterminated-quote.env",
    "missing-token.env",
}


def _run_commands(
    commands: Iterable[str],
    schedule: str,
    env_file: str,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch | None,
    env: dict[str, str] | None = None,
) -> dict[str, subprocess.CompletedProcess[str]]:
    """Each command on `schedule` as a user types it: with `monkeypatch`, one after the other in this process
    (run_main); without it, as concurrent subprocesses."""

    def arguments(command: str) -> list[str]:
        if command == "preview":  # reads no credentials
            return [command, "--schedule", schedule]
        extra = ["--state-dir", str(tmp_path / "state"), "--exit-when-done"] if command == "run" else []
        return [command, "--schedule", schedule, "--env-file", env_file, *extra]

    if monkeypatch is not None:
        return {command: run_main(*arguments(command), monkeypatch=monkeypatch, env=env) for command in commands}
    with ThreadPoolExecutor(max_workers=4) as pool:
        running = {command: pool.submit(run_cli, *arguments(command), env=env, timeout=30) for command in commands}
        return {command: future.result() for command, future in running.items()}


def test_every_bad_file_has_a_case() -> None:
    files = sorted(p.name for p in (ROOT / BAD).glob("*.yaml"))
    assert files == sorted(CASES)
    assert sorted(p.name for p in (ROOT / ENV).glob("*.env")) == sorted(ENV_CASES)
    assert len(CASES) + len(ENV_CASES) >= 40
    assert SUBPROCESS_CASES.issubset(set(CASES) | set(ENV_CASES))


@pytest.mark.parametrize("name", sorted(CASES))
def test_bad_schedule_is_reported_and_nothing_is_sent(
    name: str, tmp_path: Path, fake_api: FakeAPI, monkeypatch: pytest.MonkeyPatch
) -> None:
    """validate, preview, check and run: the same errors; with working credentials and the API at hand, not one
    request and no state folder."""
    _skip_if_not_checked_out_as_link(name)
    env_file = _fake_env(tmp_path, fake_api)

    in_process = None if name in SUBPROCESS_CASES else monkeypatch
    commands = ["validate", "preview", "check", "run"]
    results = _run_commands(commands, f"{BAD}/{name}", str(env_file), tmp_path, in_process)

    for command, result in results.items():
        _assert_reported(command, result, [_expected(BAD, name, line) for line in CASES[name]])
    assert fake_api.requests() == []
    assert not (tmp_path / "state").exists()


@pytest.mark.parametrize("name", sorted(ENV_CASES))
def test_bad_env_file_is_reported_and_nothing_is_sent(
    name: str, tmp_path: Path, fake_api: FakeAPI, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The .env gives the credentials; the real environment points the bot at the fake API (a setting the bad
    .env sets itself is left to it, or the environment would override the bad value)."""
    text = (ROOT / ENV / name).read_bytes().decode("utf-8", "replace")
    own = {key for key in _settings(fake_api) if re.search(rf"^{key}\s*=", text, re.MULTILINE)}
    environment = {key: value for key, value in _settings(fake_api).items() if key not in own}

    in_process = None if name in SUBPROCESS_CASES else monkeypatch
    results = _run_commands(
        ["validate", "check", "run"], f"{ENV}/schedule.yaml", f"{ENV}/{name}", tmp_path, in_process, environment
    )

    expected = [_expected(ENV, name, line) for line in ENV_CASES[name]]
    validate = results.pop("validate")
    if name in MISSING_ONLY:  # `validate` warns, and the files are valid otherwise
        assert validate.returncode == 0, validate.stderr
        lines = validate.stderr.splitlines()  # ALERT_URLS unset with posts ahead is a warning of its own
        warnings = [line for line in lines if ": warning: " in line and ": warning: ALERT_URLS is not set" not in line]
        assert [line.replace(": warning: ", ": error: ") for line in warnings] == expected
        assert validate.stdout.startswith(f"{ENV}/schedule.yaml: valid.")
    else:
        _assert_reported("validate", validate, expected)
    for command, result in results.items():
        _assert_reported(command, result, expected)
    assert fake_api.requests() == []
    assert not (tmp_path / "state").exists()


def test_missing_schedule_file() -> None:
    result = run_cli("validate", "--schedule", "no-such-schedule.yaml")
    assert result.returncode == 2
    assert result.stderr.splitlines()[0] == "no-such-schedule.yaml: error: schedule file not found"


def test_usage_error_exits_2() -> None:
    result = run_cli("preview", "--format", "pdf")
    assert result.returncode == 2
    assert "invalid choice: 'pdf'" in result.stderr
