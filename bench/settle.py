"""6. The settling window (issue 18): what a true 503 costs, and no duplicate when the timeline lags.

The daemon as a subprocess (`run --exit-when-done`) against the fake X and Graph APIs (tests/fakeapi.py):

- *a true 503*: X answers 503 to the 4th post of the thread without creating it. The fragment is unknown, looked
  up over the window (SETTLE_SECONDS) and sent again only at its end: the delay it adds is measured from the
  503 to the 4th post's creation, against the window (goal: at most the window + 2 s);
- *a 503 after creating, with a late timeline*: X creates the 4th post and answers 503, Facebook creates the
  Page post and answers code 2 (HTTP 500), and both lookups miss new posts for LAG seconds. Counted: posts
  sent twice and duplicate refusals (goal 0 each), and how long after the fault the post was found.

The full run uses the defaults of the issue (a 60 s window, a 25 s lag); --quick a 10 s window and a 5 s lag.
"""

from __future__ import annotations

import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

from bench.report import Check, heading, say, show

NAME = "settle"
FULL = (60.0, 25.0)  # window, lag (s)
QUICK = (10.0, 5.0)
SLACK = 2.0  # s beyond the window a resend may take (the timer, the lookup, the request)


def _true_503(folder: Path, window: float) -> tuple[float, int]:
    """Seconds from the 503 to the 4th post's creation, and how many X posts were refused as duplicates."""
    from tests.e2e import Campaign, finish
    from tests.fakeapi import FakeAPI

    api = FakeAPI().start()
    try:
        campaign = Campaign(folder, api, timeout=5.0, settle=window)
        campaign.schedule([{"id": "mensaje", "at": datetime.now(UTC), "to": ["cx"]}])
        failed: list[datetime] = []

        def fail() -> None:
            failed.append(datetime.now(UTC))
            api.server_error("x", 503)

        api.before_request("x", "POST", 4, fail)
        code = finish(campaign.start("--exit-when-done"), timeout=window + 120)
        if code != 0 or not failed:
            raise RuntimeError(f"the daemon exited {code}: {campaign.log()[-2000:]}")
        fourth = campaign.x_posts()[3]
        return (fourth.created_at - failed[0]).total_seconds(), api.duplicates_refused
    finally:
        api.stop()


def _lagged(folder: Path, window: float, lag: float) -> tuple[int, int, float]:
    """Resends, duplicate refusals, and seconds from the fault to the last fragment of the thread."""
    from tests.e2e import Campaign, finish
    from tests.fakeapi import FakeAPI

    api = FakeAPI().start()
    try:
        campaign = Campaign(folder, api, timeout=5.0, settle=window)
        campaign.schedule([{"id": "mensaje", "at": datetime.now(UTC)}])
        expected = campaign.fragments("mensaje", "cx")
        api.read_lag = lag
        faulted: list[float] = []

        def fault(platform: str) -> None:
            faulted.append(time.time())
            api.commit_then_error("x" if platform == "x" else "facebook")

        api.before_request("x", "POST", 4, lambda: fault("x"))
        api.before_request("facebook", "POST", 1, lambda: fault("facebook"))
        code = finish(campaign.start("--exit-when-done"), timeout=window + lag + 120)
        if code != 0:
            raise RuntimeError(f"the daemon exited {code}: {campaign.log()[-2000:]}")
        resends = api.count("x", "POST") - len(expected) + api.count("facebook", "POST") - 1
        last = campaign.x_posts()[-1].created_at.timestamp()
        return resends, api.duplicates_refused, last - min(faulted)
    finally:
        api.stop()


def run(quick: bool) -> list[Check]:
    heading("6. the settling window: a true 503, and a 503 after creating with a late timeline")
    window, lag = QUICK if quick else FULL
    with tempfile.TemporaryDirectory(prefix="bench-settle-") as temp:
        delay, refused = _true_503(Path(temp) / "true-503", window)
        say(f"true 503, window {window:g} s: the 4th post went out {delay:.2f} s after the 503")
        resends, duplicates, finished = _lagged(Path(temp) / "lagged", window, lag)
        say(
            f"503 / code 2 after creating, lookups {lag:g} s late, window {window:g} s: {resends} resends, "
            f"{duplicates} duplicate refusals, thread finished {finished:.2f} s after the fault"
        )
    checks = [
        Check(
            NAME, f"true 503: delay it adds (window {window:g} s)", delay, window + SLACK, "s", "at least the window"
        ),
        Check(NAME, "true 503: duplicate refusals", refused, 0, ""),
        Check(NAME, f"lag {lag:g} s: posts sent twice", resends, 0, ""),
        Check(NAME, f"lag {lag:g} s: duplicate refusals", duplicates, 0, ""),
    ]
    show(checks)
    if delay < window:
        raise RuntimeError(f"the 4th post was sent again {delay:.2f} s after the 503, before the {window:g} s window")
    return checks
