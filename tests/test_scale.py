"""Scale (issue 22): the work grows linearly with the campaign, and the YAML alias guard limits what aliases add.

Linearity is a ratio of CPU times in this process, best of several runs, not a wall-clock bound: the time per
account at 2,000 accounts may be at most 1.5 times that at 500 (a quadratic step would make it 4 times).
The figures themselves are measured by bench/scale.py.
"""

from __future__ import annotations

import io
import time
from datetime import UTC, datetime
from pathlib import Path

import pytest
from dotenv import dotenv_values

from bench.scale import build
from bot import preview
from bot.credentials import load_environment
from bot.services import campaign
from bot.services.approvalview import approval_states
from bot.services.environment import credential_problems, plan_warnings
from bot.yamlfile import MAX_ALIAS_VALUES, parse
from tests.helpers import run_cli

NOW = datetime(2026, 12, 1, tzinfo=UTC)
GROWTH_LIMIT = 1.5


def _stage_times(folder: Path) -> dict[str, float]:
    """CPU seconds of each step validate, preview --format json and the daemon's start-up take with a campaign."""
    times: dict[str, float] = {}
    start = time.process_time()
    schedule, plan, problems = campaign.load_campaign(folder / "schedule.yaml", NOW)
    assert schedule is not None and plan is not None, problems
    times["schedule and plan"], start = time.process_time() - start, time.process_time()
    env = load_environment(folder / ".env")
    assert not credential_problems(schedule, env)
    plan_warnings(plan)
    times[".env and checks"], start = time.process_time() - start, time.process_time()
    preview.render_json(plan, "schedule.yaml", approval_states(plan, None))
    times["preview json"] = time.process_time() - start
    return times


def _best(folder: Path, runs: int) -> dict[str, float]:
    """The least CPU time of each step over `runs` runs: other work on the machine only ever adds to it."""
    found = [_stage_times(folder) for _ in range(runs)]
    return {stage: min(times[stage] for times in found) for stage in found[0]}


def test_time_per_account_at_2000_is_at_most_1_5_times_that_at_500(tmp_path: Path) -> None:
    """Each step on its own: a quadratic step hides in the total at these sizes (the .env's was 8 s at 5,000
    accounts, yet only 1.3 times the total per account from 500 to 2,000)."""
    small, large = 500, 2_000
    build(tmp_path / "small", small)
    build(tmp_path / "large", large)
    _stage_times(tmp_path / "small")  # first use: lazy tables and imports, not counted
    per_small = {stage: seconds / small for stage, seconds in _best(tmp_path / "small", 3).items()}
    per_large = {stage: seconds / large for stage, seconds in _best(tmp_path / "large", 3).items()}
    ratios = {stage: per_large[stage] / per_small[stage] for stage in per_small}
    shown = ", ".join(f"{stage} {ratio:.2f}x" for stage, ratio in ratios.items())
    assert all(ratio <= GROWTH_LIMIT for ratio in ratios.values()), f"CPU time per account, {large} / {small}: {shown}"


def test_5000_accounts_with_5000_entries_without_aliases_validate(tmp_path: Path) -> None:
    build(tmp_path, 5_000, 5_000)
    (tmp_path / ".env").unlink()  # the credentials are not the point: unset, they are warnings only
    result = run_cli("validate", cwd=tmp_path, timeout=180)
    assert result.returncode == 0, result.stderr[-2000:]
    assert "schedule.yaml: valid. 5000 accounts, 5000 schedule entries, 5000 posts" in result.stdout
    assert "alias" not in result.stderr


def test_written_values_are_not_limited_by_the_alias_guard() -> None:
    text = "values: [" + ", ".join("1" for _ in range(MAX_ALIAS_VALUES + 10_000)) + "]\n"  # the old limit: refused
    root, problems = parse(text, "big.yaml")
    assert problems == []
    assert root is not None and len(root.entries[0][1].items) == MAX_ALIAS_VALUES + 10_000


def test_aliases_may_add_up_to_the_limit_beside_many_written_values() -> None:
    written = "written: [" + ", ".join("1" for _ in range(MAX_ALIAS_VALUES + 1_000)) + "]\n"
    shared = "shared: &s [" + ", ".join("x" for _ in range(999)) + "]\n"  # a list of 1,000 values with itself
    uses = "uses: [" + ", ".join("*s" for _ in range(MAX_ALIAS_VALUES // 1_000)) + "]\n"  # adds 100 x 1,000
    root, problems = parse(written + shared + uses, "ok.yaml")
    assert problems == []
    assert root is not None and len(root.entries[2][1].items) == MAX_ALIAS_VALUES // 1_000


def test_aliases_that_add_too_much_are_refused_where_they_cross_the_limit() -> None:
    shared = "shared: &s [" + ", ".join("x" for _ in range(999)) + "]\n"
    half = ", ".join("*s" for _ in range(MAX_ALIAS_VALUES // 2_000))  # adds 50 x 1,000 = half the limit
    text = f"{shared}first: [{half}]\nsecond: [{half}]\nthird: [{half}]\n"
    root, problems = parse(text, "bomb.yaml")
    assert root is None
    assert [(str(p.position), p.message, p.hint) for p in problems] == [
        (
            "bomb.yaml:4:8",  # `first` and `second` add exactly 100,000, which is allowed; `third` goes past it
            "the aliases (*name) in this file add more than 100,000 values when written out",
            "write the values out instead of using aliases",
        )
    ]


def test_billion_laughs_is_refused_at_once() -> None:
    text = (Path(__file__).parent / "data" / "bad" / "32-alias-bomb.yaml").read_text(encoding="utf-8")
    start = time.process_time()
    root, problems = parse(text, "32-alias-bomb.yaml")
    assert root is None and [str(p.position) for p in problems] == ["32-alias-bomb.yaml:6:4"]
    assert time.process_time() - start < 5  # measured, never expanded: a real expansion takes hours


def test_env_interpolation_is_python_dotenvs(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    text = (
        "BASE=https://example.org\n"
        "URL=${BASE}/api\n"
        "export TOKEN='${BASE}-not-expanded-in-single-quotes?'\n"
        'QUOTED="${URL} and ${MISSING:-fallback} and ${HOME_FROM_ENV}"\n'
        "EMPTY=\n"
        "NOVALUE\n"
        "LATER=${DEFINED_AFTER}\n"
        "DEFINED_AFTER=x\n"
        "BASE=overridden\n"
        "AGAIN=${BASE}\n"
    )
    path = tmp_path / ".env"
    path.write_text(text, encoding="utf-8")
    monkeypatch.setenv("HOME_FROM_ENV", "from-the-environment")  # python-dotenv reads the process's environment
    expected = {k: v for k, v in dotenv_values(stream=io.StringIO(text)).items() if v is not None}
    env = load_environment(path, environ={})
    assert dict(env.values) == expected
    assert expected["QUOTED"] == "https://example.org/api and fallback and from-the-environment"
