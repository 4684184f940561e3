"""The benchmarks' verdicts on made-up figures: a serial run, an early post or an extra request is a MISS."""

from __future__ import annotations

import pytest

from bench import firing, takeover, thread
from bench.report import Check
from bench.thread import FRAGMENTS, LATENCY, Trial


def _trial(x_first: float, fb_first: float, x_posts: int = FRAGMENTS, fb_requests: int = 1) -> Trial:
    x_last = x_first + (FRAGMENTS - 1) * LATENCY
    return Trial(
        first={"cx": x_first, "cf": fb_first},
        last_arrival={"cx": x_last, "cf": fb_first},
        stored={"cx": x_last + LATENCY, "cf": fb_first + LATENCY},
        requests={"cx": {"POST /2/tweets": x_posts}, "cf": {"POST /v25.0/104/feed": fb_requests}},
    )


def _missed(checks: list[Check]) -> list[str]:
    return [check.name for check in checks if not check.passed]


def test_parallel_accounts_pass() -> None:
    assert _missed(thread.checks_of([_trial(0.005, 0.006)])) == []


def test_facebook_after_the_thread_misses() -> None:
    missed = _missed(thread.checks_of([_trial(0.010, 0.010 + FRAGMENTS * LATENCY)]))
    assert "Facebook post time / physical limit" in missed
    assert "gap between the two accounts' first requests" in missed


def test_thread_after_facebook_misses() -> None:
    assert _missed(thread.checks_of([_trial(0.005 + LATENCY, 0.005)])) == [
        "gap between the two accounts' first requests"
    ]


def test_an_early_thread_or_an_extra_post_misses() -> None:
    assert _missed(thread.checks_of([_trial(-0.2, -0.2)])) == ["how early the first request came"]
    assert _missed(thread.checks_of([_trial(0.005, 0.005, x_posts=FRAGMENTS + 1)])) == [
        "requests beyond one POST per post"
    ]
    assert _missed(thread.checks_of([_trial(0.005, 0.005, fb_requests=2)])) == ["requests beyond one POST per post"]


def test_a_post_fired_early_misses_even_when_the_rest_is_on_time() -> None:
    assert [c.name for c in firing._summary("s", [0.005, 0.010, -0.040]) if not c.passed] == []
    missed = [c.name for c in firing._summary("s", [0.005, 0.010, -0.060]) if not c.passed]
    assert missed == ["s: how early the earliest post fired", "s: posts sent more than 50 ms early"]


def test_a_goal_that_could_not_be_measured_is_a_miss_not_dropped() -> None:
    missing = firing._unmeasured("burst (PostgreSQL)", "PostgreSQL is not installed")
    assert [c.name for c in missing] == [c.name for c in firing._summary("burst (PostgreSQL)", [0.005])]
    assert [c.passed for c in missing] == [False] * 5
    assert "MISS  burst (PostgreSQL): median delay: not measured" in missing[0].line()
    assert missing[0].as_dict()["passed"] is False and missing[0].as_dict()["measured"] is False


def test_takeover_without_postgresql_reports_its_goals_as_missed(monkeypatch: pytest.MonkeyPatch) -> None:
    import tests.pgserver

    monkeypatch.setattr(tests.pgserver, "find_bindir", lambda: None)  # a machine without PostgreSQL
    checks = takeover.run(quick=False)
    assert len(checks) == 4 and not any(c.passed for c in checks)
    assert all(c.note == "PostgreSQL is not installed" for c in checks)
