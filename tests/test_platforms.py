"""The platform table: every platform has every entry, and the core asks it instead of naming platforms."""

from __future__ import annotations

import dataclasses
import importlib
import re
from typing import get_args

from bot.credentials import Environment, missing_variables
from bot.measure import measure_for
from bot.model import Platform
from bot.platforms import PLATFORMS, PlatformSpec, display_name, spec
from tests.fakes import make_account
from tests.helpers import ROOT

# Where a platform may be named in code: the table itself and the adapters (publishers, the store).
ALLOWED = ("bot/platforms.py", "bot/publishers/", "bot/store/")


def test_every_platform_has_a_row_with_every_entry() -> None:
    assert set(PLATFORMS) == set(get_args(Platform)) == {"x", "facebook"}
    for name in get_args(Platform):
        row = PLATFORMS[name]
        assert row == spec(name) and row.name == name
        for field in dataclasses.fields(PlatformSpec):
            value = getattr(row, field.name)
            assert value is not None and value != "" and value != (), (name, field.name)
        assert 0 < row.default_limit <= row.max_limit
        assert all(re.fullmatch(r"[A-Z][A-Z_]*", suffix) for suffix in row.credential_suffixes)
        module, cls = row.adapter
        assert hasattr(importlib.import_module(module), cls), row.adapter
        assert row.measure is measure_for(name) and row.measure("abc") == 3


def test_the_credential_variables_come_from_the_table() -> None:
    for name, row in PLATFORMS.items():
        account = make_account("a", platform=name)
        wanted = tuple(f"{account.credentials}_{suffix}" for suffix in row.credential_suffixes)
        assert missing_variables(account, Environment({})) == wanted


def test_display_names() -> None:
    assert [display_name(p) for p in ("x", "facebook", "mastodon")] == ["X", "Facebook", "mastodon"]


def test_no_platform_is_named_in_a_branch_outside_the_table_and_the_adapters() -> None:
    branch = re.compile(r"platform\s*(==|!=|in\s*\()|==\s*\"(x|facebook)\"")
    found = [
        f"{path.relative_to(ROOT)}:{number}: {line.strip()}"
        for path in sorted((ROOT / "bot").rglob("*.py"))
        if not str(path.relative_to(ROOT)).startswith(ALLOWED)
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1)
        if branch.search(line)
    ]
    assert found == []
