"""X's per-app cap (issue 22): accounts sharing one API key share the app's 10,000 posts per 24 hours.

`validate` warns `app-limit` from the credentials; the daemon, on a 429 whose x-app-limit-24hour-remaining is
0, holds every account of that app until x-app-limit-24hour-reset (a user cap holds that account alone), and
`status` says so. Driven against the fake X API (tests/fakeapi.py), with the daemon as a real process.
"""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from bot.services.capholds import held_until
from bot.services.decide import Step, decide
from bot.states import Outcome
from tests import secretscan
from tests.e2e import MESSAGE, Campaign, api_fixture, at_text, finish, wait_for  # noqa: F401
from tests.fakeapi import FakeAPI
from tests.fakes import T0, make_post
from tests.helpers import run_cli

SHARED_KEY = "shared0app0key0for0the0embassies0Zq9W"  # a made-up key; its tail is what validate may show


def _validate_campaign(folder: Path, accounts: int, entries: int, shared: bool) -> Path:
    """`accounts` X accounts, each posting the committed message (a thread of 16) `entries` times, 45 minutes
    apart (within every account's own 15-minute limit), all within 24 hours."""
    (folder / "messages").mkdir(parents=True)
    (folder / "messages" / "m.txt").write_text(MESSAGE.read_text(encoding="utf-8"), encoding="utf-8")
    names = [f"embajada{n:02d}" for n in range(accounts)]
    lines = ["timezone: America/Lima", "accounts:"]
    lines += [f"  {name}: {{platform: x, handle: Emb{n:02d}, credentials: E{n:02d}}}" for n, name in enumerate(names)]
    lines.append("posts:")
    start = datetime(2027, 7, 28, 0, 0, tzinfo=UTC)
    for entry in range(entries):
        at = start + entry * timedelta(minutes=45)
        lines += [f"  - id: saludo-{entry}", "    message: messages/m.txt", f"    at: {at_text(at)}"]
        lines.append(f"    to: [{', '.join(names)}]")
    (folder / "schedule.yaml").write_text("\n".join(lines) + "\n", encoding="utf-8")
    env = []
    for n in range(accounts):
        key = SHARED_KEY if shared else f"own0key0of0embassy{n:02d}0abcdefghij{n:02d}"
        env += [f"E{n:02d}_API_KEY={key}", f"E{n:02d}_API_SECRET=secret0of0app0{n:02d}0abcdefghijklmnopqrstuvwxyz"]
        env += [
            f"E{n:02d}_ACCESS_TOKEN=100{n:02d}-tokenabcdefghijklmnop",
            f"E{n:02d}_ACCESS_TOKEN_SECRET=tsabcdefghij{n:02d}klmnop",
        ]
    (folder / ".env").write_text("\n".join(env) + "\n", encoding="utf-8")
    secretscan.register(SHARED_KEY, "the shared X API key")
    return folder


def test_validate_warns_app_limit_when_accounts_sharing_a_key_exceed_10000_posts_a_day(tmp_path: Path) -> None:
    folder = _validate_campaign(tmp_path / "shared", accounts=21, entries=30, shared=True)  # 21 x 30 x 16 = 10,080
    result = run_cli("validate", "--now", "2027-07-01T00:00+00:00", cwd=folder, timeout=120)
    assert result.returncode == 0, result.stderr  # a warning: valid all the same
    (warning,) = [line for line in result.stderr.splitlines() if "app-limit" in line]
    assert warning.startswith("schedule.yaml:") and ": warning: app-limit: 10,080 posts within 24 hours" in warning
    assert "the X API key ending in …Zq9W (embajada00, embajada01," in warning and "embajada20)" in warning
    assert "X allows one app 10,000 posts per 24 hours" in warning
    assert SHARED_KEY not in result.stderr and SHARED_KEY[:-4] not in result.stderr


def test_no_app_limit_warning_for_accounts_with_their_own_keys_or_under_the_cap(tmp_path: Path) -> None:
    own = _validate_campaign(tmp_path / "own", accounts=21, entries=30, shared=False)
    under = _validate_campaign(tmp_path / "under", accounts=20, entries=30, shared=True)  # 9,600
    for folder in (own, under):
        result = run_cli("validate", "--now", "2027-07-01T00:00+00:00", cwd=folder, timeout=120)
        assert result.returncode == 0, result.stderr
        assert "app-limit" not in result.stderr


def _daemon_campaign(tmp_path: Path, api: FakeAPI) -> Campaign:
    """cx and xb post through one X app (the same API key); xc has an app of its own."""
    campaign = Campaign(tmp_path / "campaign", api)
    user_b, _ = api.add_x_user("EmbajadaB", "Embajada B", "XB")
    env_b = api.share_x_app(user_b, campaign.x_user, "XB")
    _, env_c = api.add_x_user("EmbajadaC", "Embajada C", "XC")
    with (campaign.folder / ".env").open("a", encoding="utf-8") as env:
        env.write("".join(f"{name}={value}\n" for name, value in {**env_b, **env_c}.items()))
    secretscan.register_env_file(campaign.folder / ".env")
    for name in ("cx", "xb", "xc"):
        campaign.message(f"{name}.txt", f"Saludo de Fiestas Patrias desde la cuenta {name}.")
    return campaign


def _schedule(campaign: Campaign, first: datetime, others: datetime) -> None:
    lines = [
        "timezone: America/Lima",
        "accounts:",
        "  cx: {platform: x, handle: CancilleriaPeru, credentials: CX}",
        "  xb: {platform: x, handle: EmbajadaB, credentials: XB}",
        "  xc: {platform: x, handle: EmbajadaC, credentials: XC}",
        "posts:",
    ]
    for name, at in (("cx", first), ("xb", others), ("xc", others)):
        lines += [f"  - id: saludo-{name}", f"    message: messages/{name}.txt", f"    at: {at_text(at)}"]
        lines.append(f"    to: [{name}]")
    (campaign.folder / "schedule.yaml").write_text("\n".join(lines) + "\n", encoding="utf-8")


def _created(campaign: Campaign, handle: str) -> datetime:
    (post,) = [p for p in campaign.api.posts("x") if p.text.endswith(f"cuenta {handle}.")]
    return post.created_at


@pytest.mark.long
@pytest.mark.parametrize("scope", ["app", "user"])
def test_a_used_up_24_hour_cap_holds_the_app_or_the_account_until_its_reset(
    tmp_path: Path, api: FakeAPI, scope: str
) -> None:
    campaign = _daemon_campaign(tmp_path, api)
    first = datetime.now(UTC) + timedelta(seconds=3)
    _schedule(campaign, first, datetime.now(UTC) + timedelta(hours=1))
    resets: list[int] = []

    def cap_used_up() -> None:  # cx's post is the first X POST: it meets the 429
        resets.append(int(time.time()) + 25)  # time for the edit, a reload and xc's post
        api.x_daily_cap_used_up("app" if scope == "app" else "user", resets[0])

    api.before_request("x", "POST", 1, cap_used_up)
    process = campaign.start()
    try:
        wait_for(lambda: campaign.account_status("cx")["hold"] is not None, 40, "cx held after the 429")
        reset = datetime.fromtimestamp(resets[0], UTC)
        # Now the other two come due: xb shares cx's app, xc does not.
        _schedule(campaign, first, datetime.now(UTC) + timedelta(seconds=1))
        wait_for(lambda: "reload (" in campaign.log(), 30, "the daemon to read the new times")
        free = "xc" if scope == "app" else "xb"
        wait_for(lambda: campaign.post_status(f"saludo-{free}", free)["state"] == "sent", 30, f"{free}'s post")
        text, status = campaign.status_text(), campaign.status()
        assert _created(campaign, free) < reset  # not held: it did not wait for the reset
        assert datetime.now(UTC) < reset, "too slow to see the hold: status came after the reset"
        holds = {account["name"]: account["hold"] for account in status["accounts"]}
        held = ["cx", "xb"] if scope == "app" else ["cx"]
        assert sorted(name for name, hold in holds.items() if hold) == held, holds
        words = "X app limit reached" if scope == "app" else "X daily limit of this account reached"
        for name in held:
            assert words in holds[name] and f"[until {reset.isoformat()}]" in holds[name], holds[name]
        if scope == "app":
            assert "…" + campaign.secrets["CX_API_KEY"][-4:] in holds["cx"]
            assert campaign.secrets["CX_API_KEY"] not in text
            (xb_post,) = [p for p in status["posts"] if p["account"] == "xb"]
            assert xb_post["state"] != "sent"  # waits, without a request
        assert [line.split()[0] for line in text.splitlines() if "held: X " in line] == held
        wait_for(lambda: len(api.posts("x")) == 3, 60, "every post after the reset")
    finally:
        process.terminate()
        assert finish(process) == 0, campaign.log()
    for name in held:
        assert _created(campaign, name) >= reset  # not before the cap's reset
    assert api.count("x", "POST") == 4  # the one refused request; no held account met the 429 again
    assert [campaign.account_status(name)["hold"] for name in held] == [None] * len(held)  # lifted at the reset


def test_a_timed_hold_runs_the_post_at_its_end_and_late_is_counted_from_there() -> None:
    """decide(): a hold that ends by itself (` [until TIME]`) reschedules the post at TIME, and a post held past
    its own time is not missed for it: its lateness counts from the end of the hold."""
    post = make_post(at=T0)
    catch_up = timedelta(minutes=15)
    until = T0 + timedelta(hours=5)
    reason = f"X app limit reached: ... [until {until.isoformat()}]"
    waiting = decide(post, None, reason, T0 + timedelta(minutes=1), catch_up)
    assert (waiting.kind, waiting.at) == (Step.RUN, until)
    ended = decide(post, None, reason, until + timedelta(minutes=1), catch_up)  # 5 h past its time, 1 min past
    assert (ended.kind, ended.at) == (Step.RUN, until + timedelta(minutes=1))
    too_late = decide(post, None, reason, until + catch_up + timedelta(seconds=1), catch_up)
    assert too_late.kind == Step.MARK_MISSED
    assert decide(post, None, "fix X_ACCESS_TOKEN then restart", T0, catch_up).kind == Outcome.HELD
    assert held_until(reason) == until and held_until("fix X_ACCESS_TOKEN then restart") is None
