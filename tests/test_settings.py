"""Every setting `run` reads is refused by `validate` too, by the same rule, in the same words, at its .env line.

The table of settings is bot/services/settings.py's SETTINGS: a new row must come with a bad value here
(test_every_setting_has_a_bad_value), and is then tried through `validate` and `run` like the others. Nothing
listens on the addresses used: a setting that slipped through would make `run` fail differently, not send.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from bot.credentials import Environment, load_environment
from bot.services import settings
from bot.services.settings import setting_problems
from tests.helpers import DATA, ROOT, run_cli

# One value `run` refuses for each setting (and ALERT_URLS, which alertsettings.py checks), with the start of
# the message both commands print.
BAD_VALUES = {
    "X_API_BASE_URL": ("ftp://api.example.org", "X_API_BASE_URL is not an http:// or https:// address"),
    "FACEBOOK_GRAPH_URL": ("graph.facebook.com", "FACEBOOK_GRAPH_URL is not an http:// or https:// address"),
    "FACEBOOK_GRAPH_VERSION": ("latest", "FACEBOOK_GRAPH_VERSION is not a Graph API version"),
    "HTTP_TIMEOUT_SECONDS": ("30s", "HTTP_TIMEOUT_SECONDS must be a number of seconds between 0 and 600"),
    "SETTLE_SECONDS": ("a minute", "SETTLE_SECONDS must be a number of seconds between 0 and 3600"),
    "DATABASE_URL": ("garbage://x", "DATABASE_URL is not a PostgreSQL connection URL"),
    "LEASE_SECONDS": ("abc", "LEASE_SECONDS / --lease must be a number of seconds between 0.5 and 3600"),
    "HEARTBEAT_URL": ("hc-ping.com/uuid", "HEARTBEAT_URL must be an http:// or https:// URL"),
    "HEARTBEAT_SECONDS": ("0.5", "HEARTBEAT_SECONDS='0.5' is not a period"),
    "ALERT_LEVEL": ("loud", "ALERT_LEVEL='loud' is not a level"),
    "ALERT_URLS": ("nohost", "ALERT_URLS #1"),
}
GOOD_VALUES = {
    "X_API_BASE_URL": "http://127.0.0.1:9",
    "FACEBOOK_GRAPH_URL": "https://127.0.0.1:9/graph",
    "FACEBOOK_GRAPH_VERSION": "25.0",
    "HTTP_TIMEOUT_SECONDS": "2.5",
    "SETTLE_SECONDS": "0",
    "DATABASE_URL": "postgresql://bot:secret@127.0.0.1:9/fiestas",
    "LEASE_SECONDS": "20",
    "HEARTBEAT_URL": "https://127.0.0.1:9/ping",
    "HEARTBEAT_SECONDS": "60",
    "ALERT_LEVEL": "info",
    "ALERT_URLS": "json://127.0.0.1:9/alerts",
}
CREDENTIALS = (DATA / "bad" / "env" / "bad-timeout.env").read_text(encoding="utf-8").replace("HTTP_TIMEOUT", "#")
# Unreachable on purpose: a bad setting that is not refused makes `run` fail later, and never reach a server.
NOWHERE = "X_API_BASE_URL=http://127.0.0.1:9\nFACEBOOK_GRAPH_URL=http://127.0.0.1:9\nHTTP_TIMEOUT_SECONDS=1\n"


def test_every_setting_has_a_bad_value() -> None:
    assert set(BAD_VALUES) == set(settings.NAMES) == set(GOOD_VALUES)


@pytest.mark.parametrize("name", sorted(GOOD_VALUES))
def test_a_good_value_is_accepted(name: str) -> None:
    assert setting_problems(Environment({name: GOOD_VALUES[name]})) == []


@pytest.mark.parametrize("name", sorted(BAD_VALUES))
def test_a_bad_value_is_refused_at_its_line(name: str, tmp_path: Path) -> None:
    value, message = BAD_VALUES[name]
    path = tmp_path / ".env"
    path.write_text(f"# settings\n\n{name}={value}\n", encoding="utf-8")
    problems = setting_problems(load_environment(path, {}))
    assert [(p.position.line, p.message.startswith(message)) for p in problems] == [(3, True)], problems
    assert value not in problems[0].message or name != "DATABASE_URL"  # a database URL may hold a password


@pytest.mark.parametrize(
    "url", ["postgresql://u:p@h:5432/db", "postgres://h/db", "postgresql://", "host=h dbname=db user='a b'", ""]
)
def test_database_urls_libpq_accepts(url: str) -> None:
    assert settings.check_database_url(url) is None


@pytest.mark.parametrize("url", ["garbage://x", "mysql://h/db", "just words", " ", "host"])
def test_database_urls_libpq_refuses(url: str) -> None:
    assert settings.check_database_url(url) is not None


def test_a_command_line_value_is_checked_where_it_is_written() -> None:
    env = Environment({"LEASE_SECONDS": "20"})
    options: dict[str, str | None] = {"LEASE_SECONDS": "0.1", "DATABASE_URL": "mysql://h/db"}
    found = [(str(p.position), p.message.split(" ")[0]) for p in setting_problems(env, options=options)]
    assert found == [("--database-url", "DATABASE_URL"), ("--lease", "LEASE_SECONDS")]


def _campaign(folder: Path) -> None:
    shutil.copy(DATA / "bad" / "env" / "schedule.yaml", folder / "schedule.yaml")
    shutil.copytree(DATA / "bad" / "env" / "messages", folder / "messages")


@pytest.mark.parametrize("name", sorted(BAD_VALUES))
def test_validate_and_run_refuse_it_in_the_same_words(name: str, tmp_path: Path) -> None:
    """Both commands exit 2 on the bad line with the same error; `run` creates no state folder."""
    _campaign(tmp_path)
    value, message = BAD_VALUES[name]
    nowhere = "".join(line + "\n" for line in NOWHERE.splitlines() if not line.startswith(f"{name}="))
    env_text = CREDENTIALS + nowhere + f"{name}={value}\n"
    (tmp_path / ".env").write_text(env_text, encoding="utf-8")
    line = env_text.splitlines().index(f"{name}={value}") + 1
    errors = {}
    for command in (["validate"], ["run", "--state-dir", "state", "--exit-when-done"]):
        result = run_cli(*command, cwd=tmp_path, timeout=30)
        assert result.returncode == 2, f"{command}: {result.returncode}\n{result.stderr}"
        assert "Traceback" not in result.stderr
        errors[command[0]] = [row for row in result.stderr.splitlines() if ": error: " in row]
        assert any(row.startswith(f".env:{line}:") and message in row for row in errors[command[0]]), result.stderr
        assert not (tmp_path / "state").exists()
    assert errors["validate"] == errors["run"]


def test_the_rules_load_no_driver() -> None:
    """The DATABASE_URL rule is judged without psycopg (validate must not import it), the alerts' without apprise."""
    code = (
        "import sys; from bot.credentials import Environment; from bot.services.settings import setting_problems;"
        "setting_problems(Environment({'DATABASE_URL': 'postgresql://u@127.0.0.1:9/db', 'ALERT_URLS': 'json://h'}));"
        "print([m for m in ('psycopg', 'apprise', 'requests') if m in sys.modules])"
    )
    result = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True)
    assert result.stdout.strip() == "[]"
