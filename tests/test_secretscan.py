"""The secrets scanner can fail: a registered credential value is flagged wherever it turns up.

tests/secretscan.py holds the registry and the scanners; run_cli, the e2e Campaign and an autouse fixture of
tests/conftest.py apply them to every test. These tests feed secrets in on purpose and check each layer flags
them, and that a finding never prints the secret itself.
"""

from __future__ import annotations

import logging
import os
import sqlite3
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from tests import secretscan
from tests.fakeapi import FakeAPI, fake_api_fixture  # noqa: F401
from tests.helpers import ROOT, run_cli

SECRET = "sk-live-0123456789abcdef-SECRET"


def test_a_registered_value_is_flagged_in_text_masked() -> None:
    secretscan.register(SECRET, "CANCILLERIA_X_API_SECRET")
    assert secretscan.find_in_text("nothing here", "out") == []
    with pytest.raises(secretscan.SecretLeak) as caught:
        secretscan.assert_clean_text(f"error: bad value {SECRET}\n", "the stderr of a command")
    message = str(caught.value)
    assert "CANCILLERIA_X_API_SECRET (…CRET) found in the stderr of a command" in message
    assert SECRET not in message


def test_short_values_are_not_registered_they_would_match_innocent_text() -> None:
    secretscan.register("abc", "CANCILLERIA_X_API_KEY")
    assert secretscan.secrets() == {}


def test_credential_variables_of_an_environment_are_registered_and_the_others_not() -> None:
    secretscan.register_env(
        {
            "CANCILLERIA_FB_PAGE_TOKEN": "EAAG-a-page-token-value",
            "EMBAJADA_ESPANA_X_API_KEY": "consumer-key-value",
            "OTRO_X_ACCESS_TOKEN_SECRET": "token-secret-value",
            "HTTP_TIMEOUT_SECONDS": "30.000000",
            "X_API_BASE_URL": "http://127.0.0.1:9999",
        }
    )
    assert set(secretscan.secrets()) == {"EAAG-a-page-token-value", "consumer-key-value", "token-secret-value"}


def test_the_fake_api_registers_every_secret_it_issues(fake_api: FakeAPI) -> None:
    user, x_env = fake_api.add_x_user("CancilleriaPeru", "Cancillería", "CX")
    page, page_env = fake_api.add_page("104", "Cancillería", "CF")
    registered = secretscan.secrets()
    for value in (user.consumer_key, user.consumer_secret, user.access_token, user.token_secret, page.token):
        assert value in registered
    assert set(x_env.values()) | set(page_env.values()) <= set(registered)


def test_files_are_scanned_as_bytes_outbox_database_included_and_credential_files_skipped(
    tmp_path_factory: pytest.TempPathFactory,
) -> None:
    folder = tmp_path_factory.mktemp("leaky")  # not the test's tmp_path: the autouse check must not see it
    secretscan.register(SECRET, "CX_ACCESS_TOKEN")
    (folder / ".env").write_text(f"CX_ACCESS_TOKEN={SECRET}\n", encoding="utf-8")
    (folder / "prod.env").write_text(f"CX_ACCESS_TOKEN={SECRET}\n", encoding="utf-8")
    (folder / "creds.txt").write_text(f"CX_ACCESS_TOKEN={SECRET}\n", encoding="utf-8")
    secretscan.register_env_file(folder / "creds.txt")  # a file the bot was told to read credentials from
    assert secretscan.find_in_tree(folder) == []

    (folder / "state").mkdir()
    database = sqlite3.connect(folder / "state" / "outbox.sqlite3")
    database.execute("CREATE TABLE fragments (last_error TEXT)")
    database.execute("INSERT INTO fragments VALUES (?)", (f"401 for token {SECRET}",))
    database.commit()
    database.close()
    (folder / "run-1.log").write_text(f"token {SECRET}", encoding="utf-16-le")
    found = {Path(f.where).name for f in secretscan.find_in_tree(folder)}
    assert found == {"outbox.sqlite3", "run-1.log"}


def test_run_cli_fails_when_a_command_prints_a_credential_it_was_given(
    tmp_path_factory: pytest.TempPathFactory,
) -> None:
    folder = tmp_path_factory.mktemp("cli")
    # A schedule path that holds the value: `validate` names the missing file, and so prints the secret.
    with pytest.raises(secretscan.SecretLeak, match="CANCILLERIA_X_API_KEY") as caught:
        run_cli("validate", "--schedule", f"{SECRET}.yaml", cwd=folder, env={"CANCILLERIA_X_API_KEY": SECRET})
    assert SECRET not in str(caught.value)


def test_run_cli_reads_the_env_file_the_command_reads(tmp_path_factory: pytest.TempPathFactory) -> None:
    folder = tmp_path_factory.mktemp("cli")
    (folder / "mine.env").write_text(f"CANCILLERIA_FB_PAGE_TOKEN={SECRET}\n", encoding="utf-8")
    with pytest.raises(secretscan.SecretLeak, match="CANCILLERIA_FB_PAGE_TOKEN"):
        run_cli("validate", "--schedule", f"{SECRET}.yaml", "--env-file", "mine.env", cwd=folder)


def test_a_log_record_with_a_secret_is_flagged() -> None:
    secretscan.register(SECRET, "CF_PAGE_TOKEN")
    handler = secretscan.LeakHandler()
    record = logging.LogRecord(
        "bot.publishers.facebook", logging.DEBUG, __file__, 1, "GET /me?token=%s", (SECRET,), None
    )
    handler.emit(record)
    assert [str(f) for f in handler.findings] == [
        "CF_PAGE_TOKEN (…CRET) found in a log record of bot.publishers.facebook (DEBUG)"
    ]


def test_the_automatic_check_fails_a_test_that_leaks_into_a_log_or_a_file(tmp_path: Path) -> None:
    """A throwaway test session using this conftest's autouse fixture: both leaking tests must error."""
    (tmp_path / "conftest.py").write_text("from tests.conftest import _no_secret_leaks  # noqa: F401\n")
    (tmp_path / "test_leaks.py").write_text(
        textwrap.dedent(
            f"""
            import logging
            from tests import secretscan

            def test_logs_a_secret():
                secretscan.register("{SECRET}", "CX_API_SECRET")
                logging.getLogger("bot.daemon").error("oops %s", "{SECRET}")

            def test_writes_a_secret(tmp_path):
                secretscan.register("{SECRET}", "CX_API_SECRET")
                (tmp_path / "state.db").write_bytes(b"x{SECRET}x")

            def test_clean(tmp_path):
                secretscan.register("{SECRET}", "CX_API_SECRET")
                (tmp_path / ".env").write_text("CX_API_SECRET={SECRET}")
            """
        ),
        encoding="utf-8",
    )
    result = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-o", f"pythonpath={ROOT}", str(tmp_path)],
        cwd=tmp_path,
        env={**os.environ, "PYTHONDONTWRITEBYTECODE": "1"},
        capture_output=True,
        text=True,
        timeout=120,
    )
    output = result.stdout + result.stderr
    assert result.returncode == 1, output
    assert "3 passed, 2 errors" in output, output
    assert "ERROR at teardown of test_logs_a_secret" in output and "ERROR at teardown of test_writes_a_secret" in output
    assert "found in a log record of bot.daemon (ERROR)" in output and "state.db" in output
    (tmp_path / "test_leaks.py").unlink()  # its source holds the secret: keep this test's own folder clean
