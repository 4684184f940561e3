"""Exactly once against platforms that behave like the real ones (issue 18): the daemon as a subprocess.

The fake API (tests/fakeapi.py) answers 503 (X) or code 2 with HTTP 500 (Graph) AFTER creating the post, or
drops the connection after creating it, and its lookups (X's timeline, the Page's /feed) miss a post for
`read_lag` seconds after it was created. The five fault rows of the issue, each ending with every fragment
exactly once, in order, and NO resend refused as a duplicate (the fake counts those refusals):

| fault | what the bot must do |
|---|---|
| X creates fragment 4, then answers 503 | look it up at once, find it, go on replying to it |
| Facebook creates the post, then code 2 (HTTP 500) | the same on the Page |
| X creates fragment 4, the connection drops, the timeline shows it late | keep looking over the window, find it |
| X 503 after creating fragment 4, timeline late | the same |
| Facebook, connection dropped, /feed late | the same on the Page |

Then the window must survive the daemon: a SQLite daemon SIGKILLed during the window and started again, and
two daemons on PostgreSQL where the holder of the post's lease is SIGKILLed during the window: the next daemon
continues the same window (it started when the doubt began, recorded in the outbox) and never resends.

Short settings keep it quick: lookups lag LAG seconds, the window is SETTLE seconds (the issue's 25 s and 60 s
scaled down), HTTP_TIMEOUT_SECONDS is 1.
"""

from __future__ import annotations

import re
import signal
import subprocess
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import psycopg
import pytest

from tests import secretscan
from tests.e2e import Campaign, api_fixture, finish, wait_for  # noqa: F401
from tests.fakeapi import FakeAPI, PlatformName
from tests.pgserver import PgServer
from tests.test_e2e_ha import Database

pytestmark = pytest.mark.slow

LAG = 3.0  # seconds a new post stays invisible to lookups
SETTLE = 8.0  # the settling window: longer than the lag, as 60 s is longer than the platforms' usual lag


def _campaign(tmp_path: Path, api: FakeAPI, settle: float = SETTLE) -> Campaign:
    campaign = Campaign(tmp_path / "campaign", api, timeout=1.0, settle=settle)
    campaign.schedule([{"id": "mensaje", "at": datetime.now(UTC)}])
    return campaign


def _stop(process: subprocess.Popen[bytes]) -> None:
    if process.poll() is None:
        process.kill()
        process.wait()


def _assert_exactly_once(campaign: Campaign, x_expected: list[str]) -> None:
    """Every fragment once, in order, chained; the Page post once; nothing resent, nothing refused."""
    api = campaign.api
    campaign.assert_thread(x_expected)
    assert campaign.page_texts() == campaign.fragments("mensaje", "cf")
    assert api.duplicates_refused == 0
    assert api.count("x", "POST") == len(x_expected)  # not one resend
    assert api.count("facebook", "POST") == 1
    for account, total in (("cx", len(x_expected)), ("cf", 1)):
        row = campaign.post_status("mensaje", account)
        assert (row["state"], row["sent"], row["total"]) == ("sent", total, total), row


FAULT_ROWS: list[tuple[str, PlatformName, Callable[[FakeAPI], None], float]] = [
    # id, platform, the fault at the write (X: its 4th post; Facebook: the post), read lag
    ("x-503-after-creating", "x", lambda api: api.commit_then_error("x"), 0.0),
    ("facebook-code-2-after-creating", "facebook", lambda api: api.commit_then_error("facebook"), 0.0),
    ("x-dropped-after-creating-timeline-late", "x", lambda api: api.commit_then_drop("x"), LAG),
    ("x-503-after-creating-timeline-late", "x", lambda api: api.commit_then_error("x"), LAG),
    ("facebook-dropped-after-creating-feed-late", "facebook", lambda api: api.commit_then_drop("facebook"), LAG),
]


@pytest.mark.parametrize(
    ("platform", "fault", "lag"), [row[1:] for row in FAULT_ROWS], ids=[row[0] for row in FAULT_ROWS]
)
def test_a_post_created_behind_a_failure_is_found_never_resent(
    tmp_path: Path, api: FakeAPI, platform: PlatformName, fault: Callable[[FakeAPI], None], lag: float
) -> None:
    campaign = _campaign(tmp_path, api)
    expected = campaign.fragments("mensaje", "cx")
    api.read_lag = lag
    api.before_request(platform, "POST", 4 if platform == "x" else 1, lambda: fault(api))

    assert finish(campaign.start("--exit-when-done"), timeout=90) == 0, campaign.log()

    _assert_exactly_once(campaign, expected)
    log = campaign.log()
    where = f"post mensaje account cx fragment 4/{len(expected)}" if platform == "x" else "account cf fragment 1/1"
    assert re.search(rf"{where} found on the platform as \S+", log), log
    if lag:  # the first lookups missed it: the fragment settled over several lookups, never resent
        assert f"{where} outcome unknown:" in log and "never sent again before" in log
    if platform == "x":  # fragment 5 replies to the fragment found, not to a resend
        posts = campaign.x_posts()
        assert posts[4].reply_to == posts[3].id


def _settling_until(log: str) -> set[str]:
    return set(re.findall(r"fragment 4/\d+: .*?settling until ([^,\s]+), never sent again before", log))


def _lookups_planned(log: str) -> list[datetime]:
    """The times at which fragment 4 was to be looked up again, as the daemon logged them."""
    found = re.findall(r"fragment 4/\d+ outcome unknown: .*?; looked up again at (\S+);", log)
    return [datetime.fromisoformat(at) for at in found]


def _assert_same_window(first_log: str, second_log: str) -> None:
    """The second daemon looked fragment 4 up again within the window the first one began, never later."""
    (end,) = _settling_until(first_log)
    planned = _lookups_planned(second_log)
    assert planned, second_log  # it did look again (the lag outlasts the restart or takeover)
    assert all(at <= datetime.fromisoformat(end) for at in planned), (end, planned)


@pytest.mark.long
def test_a_daemon_killed_during_the_window_continues_the_same_window_after_a_restart(
    tmp_path: Path, api: FakeAPI
) -> None:
    """SQLite, one daemon: SIGKILL while fragment 4 settles; the restarted daemon neither resends nor starts a
    new window: it looks the fragment up until the window that began before the kill ends, and finds it."""
    campaign = _campaign(tmp_path, api, settle=15.0)
    expected = campaign.fragments("mensaje", "cx")
    api.read_lag = 9.0  # found by the lookup 14 s after the doubt began; the restart comes well before
    api.before_request("x", "POST", 4, lambda: api.commit_then_error("x"))
    first = campaign.start("--exit-when-done")
    try:
        wait_for(lambda: "settling until" in campaign.log(1), 30, "the first daemon settling fragment 4")
        first.kill()
        first.wait()
        second = campaign.start("--exit-when-done")
        assert finish(second, timeout=60) == 0, campaign.logs()
    finally:
        _stop(first)

    _assert_exactly_once(campaign, expected)
    _assert_same_window(campaign.log(1), campaign.log(2))


@pytest.fixture(name="server")
def server_fixture(pg_server: PgServer) -> Iterator[PgServer]:
    secretscan.register(pg_server.password, "the test PostgreSQL password")
    yield pg_server


def _x_fragment_state(db: Database, index: int) -> str | None:
    try:
        with psycopg.connect(db.url, autocommit=True, connect_timeout=2) as connection:
            row = connection.execute(
                "SELECT state FROM fragments WHERE post_id = 'mensaje' AND account = 'cx' AND idx = %s", (index,)
            ).fetchone()
    except psycopg.Error:
        return None
    return str(row[0]) if row else None


@pytest.mark.long
def test_two_daemons_the_holder_killed_during_the_window_the_other_continues_it(
    server: PgServer, tmp_path: Path, api: FakeAPI
) -> None:
    """PostgreSQL: X 503 after creating fragment 4, the timeline late; the lease holder is SIGKILLed while
    fragment 4 is `unknown`. The other daemon takes the lease over, continues the same window and finds the
    fragment: no resend, nothing refused as a duplicate, the thread once in order."""
    db = Database(server)
    try:
        campaign = Campaign(tmp_path / "campaign", api, timeout=1.0, settle=18.0)
        campaign.schedule([{"id": "mensaje", "at": datetime.now(UTC) + timedelta(seconds=4)}])
        expected = campaign.fragments("mensaje", "cx")
        api.read_lag = 11.0  # longer than the takeover (2 s lease, 3 s wait): the new holder misses it at first
        api.before_request("x", "POST", 4, lambda: api.commit_then_error("x"))
        env = {"DATABASE_URL": db.url, "LEASE_SECONDS": "2"}
        processes = [campaign.start("--state-dir", f"state-{n}", "--exit-when-done", env_extra=env) for n in (1, 2)]
        try:
            wait_for(lambda: _x_fragment_state(db, 4) == "unknown", 60, "fragment 4 in doubt", interval=0.05)
            holder = db.holder_pid("cx")
            assert holder in {p.pid for p in processes}, holder
            killed = next(p for p in processes if p.pid == holder)
            killed.send_signal(signal.SIGKILL)
            killed.wait()
            survivor = next(p for p in processes if p.pid != holder)
            assert finish(survivor, timeout=90) == 0, campaign.logs()
        finally:
            for process in processes:
                _stop(process)
        campaign.assert_thread(expected)
        assert campaign.page_texts() == campaign.fragments("mensaje", "cf")
        assert api.duplicates_refused == 0
        assert api.count("x", "POST") == len(expected) and api.count("facebook", "POST") == 1
        logs = {n: campaign.log(n) for n in (1, 2)}
        (dead,) = [n for n, p in enumerate(processes, start=1) if p.pid == holder]
        alive = 3 - dead
        assert "taken over from" in logs[alive], logs[alive]
        _assert_same_window(logs[dead], logs[alive])
        assert re.search(rf"fragment 4/{len(expected)} found on the platform as \S+", logs[alive])
    finally:
        db.drop()
