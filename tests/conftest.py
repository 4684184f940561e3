"""Fixtures shared by the outbox, runner, status and daemon tests."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.outbox import Outbox


@pytest.fixture
def state_dir(tmp_path: Path) -> Path:
    return tmp_path / "state"


@pytest.fixture
def outbox(state_dir: Path) -> Outbox:
    return Outbox.open(state_dir)
