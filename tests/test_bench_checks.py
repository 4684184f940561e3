"""The benchmarks' verdicts on made-up figures: a serial run, an early post or an extra request is a MISS."""

from __future__ import annotations

from bench import firing, thread
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
