"""The daemon (`python main.py run`, a subprocess) against the fake API: it says when the start-up identity checks are
over, asks nothing of Facebook, and a reload on SIGHUP asks X nothing more for unchanged tokens (issue 22 item 1)."""

from __future__ import annotations

import signal
from datetime import UTC, datetime, timedelta

from tests.e2e import Campaign, api_fixture, campaign_fixture, finish, wait_for  # noqa: F401
from tests.fakeapi import FakeAPI


def test_the_checks_are_logged_when_over_and_a_sighup_reload_asks_nothing_again(
    campaign: Campaign, api: FakeAPI
) -> None:
    campaign.schedule([{"id": "mensaje", "at": datetime.now(UTC) + timedelta(days=1)}])
    process = campaign.start()
    try:
        wait_for(lambda: "X account checked in" in campaign.log(), 60, "the end of the identity checks")
        assert "identity of 1 X account checked in " in campaign.log()
        assert "(look-ups: 1; not confirmed, asked again before the first post: 0)" in campaign.log()
        assert api.count("x", "GET") == 1 and api.count("facebook", "GET") == 0
        process.send_signal(signal.SIGHUP)
        wait_for(lambda: "reload (SIGHUP): 2 posts" in campaign.log(), 60, "the reload")
        assert api.count("x", "GET") == 1  # the same tokens and handle: not asked again
        assert campaign.log().count("X account checked in") == 1
    finally:
        process.send_signal(signal.SIGTERM)
        assert finish(process) == 0
    assert campaign.x_posts() == [] and campaign.page_texts() == []
