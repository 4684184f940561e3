"""What only the SQLite outbox does: its private folder, WAL mode, a foreign file, times stored as UTC text.

Everything every store must do (freezing, transitions, holds, persistence, threads) is in test_store_contract.py,
which runs the same bodies on SQLite and PostgreSQL.
"""

from __future__ import annotations

import stat
from datetime import datetime, timedelta
from pathlib import Path

import pytest

from bot.store import OutboxError
from bot.store.sqlite import SqliteOutbox
from bot.store.sqlite_schema import SCHEMA_VERSION
from tests.fakes import T0, make_account, make_post
from tests.helpers import run_cli


def test_open_creates_private_folder_and_database_in_wal_mode(state_dir: Path) -> None:
    outbox = SqliteOutbox.open(state_dir)
    outbox.freeze(make_post(), T0)
    assert stat.S_IMODE(state_dir.stat().st_mode) == 0o700
    assert stat.S_IMODE(outbox.path.stat().st_mode) == 0o600
    assert outbox.path.with_name(outbox.path.name + "-wal").exists()
    assert outbox.schema_version() == SCHEMA_VERSION


def test_a_file_that_is_not_a_database_is_an_outbox_error(state_dir: Path) -> None:
    state_dir.mkdir(mode=0o700)
    (state_dir / "outbox.sqlite3").write_bytes(b"not SQLite, e.g. a file copied over it by mistake\n" * 200)
    with pytest.raises(OutboxError, match="cannot be read as the bot's state database"):
        SqliteOutbox.open(state_dir, create=False)
    result = run_cli("status", "--state-dir", str(state_dir))
    assert result.returncode == 1 and "Traceback" not in result.stderr
    assert "cannot be read as the bot's state database" in result.stderr


def test_times_are_stored_in_utc(outbox: SqliteOutbox) -> None:
    lima_time = datetime(2026, 7, 28, 8, 0, tzinfo=make_account().timezone)
    outbox.freeze(make_post(at=lima_time), lima_time)
    record = outbox.fragments_of("mensaje", "x_cancilleria")[0]
    assert record.at == lima_time
    assert record.at.utcoffset() == timedelta(0)
