"""A failed fsync stops the daemon (exit 1, a clear error) and the next start finishes the thread, once.

The daemon runs as a subprocess through tests/fsync_fault.py, which makes every fsync fail with EIO once a
trigger file exists; the trigger is created when the fake X API receives the 3rd post of the thread, so
the fsync of that post's `sent` mark fails. A restart with a working disk reconciles from what is on disk.
"""

from __future__ import annotations

import os
import subprocess
from datetime import UTC, datetime

import pytest

from tests.e2e import PYTHON, Campaign, api_fixture, campaign_fixture, finish  # noqa: F401
from tests.helpers import ROOT

pytestmark = pytest.mark.slow


def test_a_failed_fsync_stops_the_daemon_and_a_restart_finishes_every_post_once(campaign: Campaign) -> None:
    campaign.schedule([{"id": "mensaje", "at": datetime.now(UTC)}])
    expected = campaign.fragments("mensaje", "cx")
    trigger = campaign.folder / "disk-fails"
    campaign.api.before_request("x", "POST", 3, trigger.touch)
    log_path = campaign.folder / "failing-run.log"
    env = {k: v for k, v in os.environ.items() if not k.startswith(("CX_", "CF_"))}
    with open(log_path, "wb") as log:
        process = subprocess.Popen(
            [PYTHON, str(ROOT / "tests" / "fsync_fault.py"), str(trigger), str(ROOT / "main.py"), "run",
             "--schedule", "schedule.yaml", "--state-dir", "state", "--env-file", ".env", "--preflight", "0"],
            cwd=campaign.folder, stdout=log, stderr=subprocess.STDOUT, env=env,
        )  # fmt: skip
    try:
        code = finish(process, timeout=60)  # it stops by itself: no --exit-when-done, no signal
    finally:
        if process.poll() is None:
            process.kill()
    text = log_path.read_text(encoding="utf-8")
    assert code == 1, text
    assert "flushing the outbox's write-ahead log" in text and "Input/output error" in text
    assert text.splitlines()[-1].startswith("error: flushing the outbox's write-ahead log")  # the last word
    sent_before = len(campaign.x_posts())
    assert 3 <= sent_before < len(expected)

    trigger.unlink()
    restarted = campaign.start("--exit-when-done")
    assert finish(restarted, timeout=90) == 0, campaign.log()
    campaign.assert_thread(expected)  # every fragment once, in order, chained
    assert campaign.api.count("x", "POST") == len(expected)  # nothing sent twice
    assert campaign.page_texts() == campaign.fragments("mensaje", "cf")
