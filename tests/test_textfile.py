"""The one guarded text-file read (bot/textfile.py) and the .env file's wording of it.

The schedule's and the messages' wordings are pinned in tests/test_bad_input.py and tests/test_messages.py.
"""

from __future__ import annotations

import ctypes
import os
import subprocess
import sys
from pathlib import Path

import pytest

from bot.credentials import MAX_ENV_BYTES, load_environment
from bot.textfile import Fault, FileFault, read_text
from tests.helpers import ROOT


def test_text_comes_back_with_a_utf8_byte_order_mark_dropped(tmp_path: Path) -> None:
    path = tmp_path / "a.txt"
    path.write_bytes(b"\xef\xbb\xbfA=1\r\n\xc3\xb1\n")
    assert read_text(path, 100) == "A=1\r\nñ\n"


@pytest.mark.parametrize(
    ("data", "fault"),
    [
        ("ñañ\nab\x00c".encode(), FileFault(Fault.NUL, 2, 3)),
        (b"\xef\xbb\xbfab\x00", FileFault(Fault.NUL, 1, 3)),  # the byte order mark is not a column
        ("ñ\nñaz".encode() + b"\xe9!", FileFault(Fault.NOT_UTF8, 2, 4)),
        (b"\x89PNG\r\n\x1a\n\x00\x00", FileFault(Fault.NUL, 3, 1)),  # a binary file is not text, first
        ("A=1\n".encode("utf-16"), FileFault(Fault.UTF16, 1, 1)),
        (b"x" * 11, FileFault(Fault.TOO_LARGE, size=11)),
    ],
)
def test_faults_inside_the_file_say_where(tmp_path: Path, data: bytes, fault: FileFault) -> None:
    path = tmp_path / "f"
    path.write_bytes(data)
    assert read_text(path, 10) == fault


def test_too_large_reports_the_size_the_file_claims_but_reads_only_past_the_limit(tmp_path: Path) -> None:
    path = tmp_path / "big"
    with path.open("wb") as stream:
        stream.truncate(1 << 40)  # a sparse terabyte: reading it whole would never end
    assert read_text(path, 10) == FileFault(Fault.TOO_LARGE, size=1 << 40)


def test_faults_of_the_whole_file(tmp_path: Path) -> None:
    assert read_text(tmp_path, 10) == FileFault(Fault.FOLDER)
    assert read_text(tmp_path / "nope", 10) == FileFault(Fault.MISSING)
    assert read_text(Path("/dev/null"), 10) == FileFault(Fault.NOT_REGULAR)


def _without_file_permission_override() -> None:
    """In the child, before exec: as root (how CI runs), drop the capabilities that let root read any file
    (CAP_DAC_OVERRIDE 1, CAP_DAC_READ_SEARCH 2) from the bounding set, so the new program never gains them."""
    if os.geteuid() != 0:
        return
    libc = ctypes.CDLL(None, use_errno=True)
    for capability in (1, 2):
        if libc.prctl(24, capability, 0, 0, 0) != 0:  # PR_CAPBSET_DROP
            raise OSError(ctypes.get_errno(), "prctl(PR_CAPBSET_DROP)")


def test_an_unreadable_file_gives_the_system_reason(tmp_path: Path) -> None:
    """A file its reader may not open. Root reads any file, so the reading runs in a child without root's
    override of file permissions: the same check whether the suite runs as root (CI) or not."""
    path = tmp_path / "secret"
    path.write_text("x", encoding="utf-8")
    path.chmod(0)
    code = (
        "import sys; from pathlib import Path; from bot.textfile import read_text; "
        "fault = read_text(Path(sys.argv[1]), 10); print(fault.kind.value, fault.reason, sep='|')"
    )
    child = subprocess.run(
        [sys.executable, "-c", code, str(path)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
        preexec_fn=_without_file_permission_override,
    )
    assert child.returncode == 0, child.stderr
    assert child.stdout.strip() == f"{Fault.UNREADABLE.value}|Permission denied"
    path.chmod(0o600)
    assert read_text(path, 10) == "x"  # the same file, readable again: it was the permission


def _env_errors(path: Path) -> list[str]:
    env = load_environment(path, {})
    return [f"{problem.position}: {problem.message}" for problem in env.problems]


def test_env_file_with_a_byte_order_mark_sets_its_first_variable(tmp_path: Path) -> None:
    path = tmp_path / "creds.env"
    path.write_bytes(b"\xef\xbb\xbfCX_API_KEY=abc\n")
    env = load_environment(path, {})
    assert env.problems == () and env.get("CX_API_KEY") == "abc"


def test_env_file_faults_in_its_words(tmp_path: Path) -> None:
    binary, big = tmp_path / "binary.env", tmp_path / "big.env"
    binary.write_bytes(b"A=1\nB=\x00\n")
    big.write_bytes(b"#" * (MAX_ENV_BYTES + 1))
    assert _env_errors(binary) == [f"{binary}:2:3: the .env file is not a text file (it contains NUL bytes)"]
    assert _env_errors(big) == [f"{big}: the .env file is larger than 8,388,608 bytes: too large to be a .env file"]
    assert _env_errors(tmp_path) == [f"{tmp_path}: the .env file is a folder, not a file"]


def test_a_default_env_that_is_absent_or_a_folder_is_no_problem(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    assert load_environment(None, {"A": "1"}).problems == ()
    (tmp_path / ".env").mkdir()
    env = load_environment(None, {"A": "1"})
    assert env.problems == () and env.env_file is None and env.get("A") == "1"
