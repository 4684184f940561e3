"""`status` and `resume` on an outbox filled through the real SqliteOutbox API."""

from __future__ import annotations

import json
import shutil
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from bot.commands import main
from bot.commands.status import render_text
from bot.model import Plan, Post
from bot.services.campaign import load_campaign
from bot.services.statefolder import RESUME_MARKER
from bot.services.status import collect
from bot.states import FragmentState, Outcome, PostState
from bot.store.sqlite import SqliteOutbox
from tests.fakes import LIMA, T0, make_account, make_post

ROOT = Path(__file__).resolve().parents[1]
X = make_account("x_cancilleria")
FB = make_account("fb_cancilleria", platform="facebook")


def _send(outbox: SqliteOutbox, post: Post, count: int) -> None:
    for index in range(1, count + 1):
        outbox.mark_sending(post.id, post.account.name, index, T0)
        outbox.mark_sent(
            post.id, post.account.name, index, str(100 + index), f"https://x.com/C/status/{100 + index}", T0
        )


@pytest.fixture(name="outbox")
def outbox_fixture(tmp_path: Path) -> SqliteOutbox:
    return SqliteOutbox.open(tmp_path / "state")


def test_every_state_with_its_reason_and_what_to_do(outbox: SqliteOutbox) -> None:
    posts = {
        name: make_post(3, post_id=name, account=X, at=T0, words=f"Texto {name}")
        for name in ("sent", "publishing", "failed", "missed", "unknown", "conflict", "scheduled")
    }
    held = make_post(1, post_id="aviso", account=FB, at=T0 + timedelta(hours=1))
    for name in ("sent", "publishing", "failed", "missed", "unknown", "conflict"):
        outbox.freeze(posts[name], T0)
    _send(outbox, posts["sent"], 3)
    _send(outbox, posts["publishing"], 2)
    outbox.mark_failed("failed", X.name, 1, "fragment 1/3: rejected by x: too long", T0)
    outbox.mark_missed("missed", X.name, "7h late, more than --catch-up 6h00m", T0)
    outbox.mark_sending("unknown", X.name, 1, T0)
    outbox.mark_unknown("unknown", X.name, 1, "timeout, and lookup failed", T0)
    _send(outbox, posts["conflict"], 1)
    edited = make_post(3, post_id="conflict", account=X, at=T0, words="Texto editado")
    assert outbox.freeze(edited, T0).kind == "conflict"
    outbox.hold(FB.name, "fix FB_CANCILLERIA_PAGE_TOKEN then restart (token expired)", T0)
    gone = make_post(2, post_id="retirado", account=X, at=T0, words="Retirado")
    outbox.freeze(gone, T0)
    _send(outbox, gone, 1)

    plan = Plan(LIMA, T0, (*posts.values(), held))
    accounts, rows = collect(plan, outbox, T0)
    by_id = {row.id: row for row in rows}

    assert {a.name: a.hold for a in accounts} == {
        X.name: None,
        FB.name: "fix FB_CANCILLERIA_PAGE_TOKEN then restart (token expired)",
    }
    assert by_id["sent"].state == PostState.SENT and len(by_id["sent"].urls) == 3
    assert (by_id["publishing"].state, by_id["publishing"].sent, by_id["publishing"].total) == (
        "publishing",
        2,
        3,
    )
    assert by_id["failed"].state == PostState.FAILED and "too long" in by_id["failed"].detail
    assert "python main.py resume failed --account x_cancilleria" in by_id["failed"].action
    assert by_id["missed"].state == PostState.MISSED and "catch-up" in by_id["missed"].detail
    assert by_id["unknown"].state == PostState.UNKNOWN and "lookup failed" in by_id["unknown"].detail
    assert by_id["conflict"].state == PostState.CONFLICT and "--accept-edit" in by_id["conflict"].action
    assert by_id["aviso"].state == PostState.HELD and "FB_CANCILLERIA_PAGE_TOKEN" in by_id["aviso"].detail
    assert (by_id["scheduled"].state, by_id["scheduled"].at) == ("scheduled", T0)
    assert by_id["retirado"].state == PostState.REMOVED and "was publishing (1/2 sent)" in by_id["retirado"].detail
    text = render_text("schedule.yaml", Path("state"), accounts, rows, T0, plan)
    assert "publishing 2/3" in text and "https://x.com/C/status/101" in text


def test_a_post_settling_shows_when_it_is_looked_up_again(outbox: SqliteOutbox) -> None:
    """Issue 18: a fragment in doubt within its settling window: `unknown`, at the time of the next lookup."""
    post = make_post(3, post_id="mensaje", account=X, at=T0)
    outbox.freeze(post, T0)
    _send(outbox, post, 1)
    outbox.mark_sending("mensaje", X.name, 2, T0)
    reason = "fragment 2/3: outcome unknown: 503; not found yet; looked up again at ... (settling until ...)"
    outbox.mark_unknown("mensaje", X.name, 2, reason, T0)
    outbox.record_outcome("mensaje", X.name, Outcome.SETTLING, reason, T0 + timedelta(seconds=2), T0)
    (row,) = collect(Plan(LIMA, T0, (post,)), outbox, T0)[1]
    assert (row.state, row.sent, row.at) == (PostState.UNKNOWN, 1, T0 + timedelta(seconds=2))
    assert "settling until" in row.detail


def _campaign(folder: Path, at: datetime) -> Path:
    folder.mkdir()
    (folder / "messages").mkdir()
    shutil.copy(ROOT / "messages" / "mensaje-canciller-fiestas-patrias.txt", folder / "messages" / "m.txt")
    (folder / "schedule.yaml").write_text(
        "timezone: America/Lima\n"
        "accounts:\n"
        "  cx: {platform: x, handle: CancilleriaPeru, credentials: CX}\n"
        "posts:\n"
        f"  - {{id: mensaje, message: messages/m.txt, at: '{at:%Y-%m-%d %H:%M:%S%z}', to: [cx]}}\n",
        encoding="utf-8",
    )
    return folder / "schedule.yaml"


def test_status_without_a_state_folder_lists_everything_as_scheduled(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    schedule = _campaign(tmp_path / "c", datetime(2027, 7, 28, 8, tzinfo=LIMA))
    code = main(["status", "--schedule", str(schedule), "--state-dir", str(tmp_path / "none"), "--format", "json"])
    assert code == 0
    data = json.loads(capsys.readouterr().out)
    assert [(p["id"], p["account"], p["state"], p["at"]) for p in data["posts"]] == [
        ("mensaje", "cx", "scheduled", "2027-07-28T08:00:00-05:00")
    ]
    assert not (tmp_path / "none").exists()


def test_status_of_an_invalid_schedule_exits_2_with_the_validate_messages(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    schedule = _campaign(tmp_path / "c", datetime(2027, 7, 28, 8, tzinfo=LIMA))
    schedule.write_text(schedule.read_text(encoding="utf-8").replace("to: [cx]", "to: [nadie]"), encoding="utf-8")
    assert main(["status", "--schedule", str(schedule), "--state-dir", str(tmp_path / "state")]) == 2
    assert "unknown account 'nadie'" in capsys.readouterr().err


def test_resume_a_missed_post_makes_it_pending_from_now_and_wakes_the_daemon(tmp_path: Path) -> None:
    at = datetime.now(UTC) - timedelta(days=1)
    schedule = _campaign(tmp_path / "c", at)
    state = tmp_path / "state"
    outbox = SqliteOutbox.open(state)

    _, plan, _ = load_campaign(schedule, datetime.now(UTC))
    assert plan is not None
    (post,) = plan.posts
    outbox.freeze(post, at)
    outbox.mark_missed(post.id, "cx", "24h late", at)

    assert main(["resume", "mensaje", "--schedule", str(schedule), "--state-dir", str(state)]) == 0
    summary = outbox.post("mensaje", "cx")
    assert summary is not None and summary.counts == {FragmentState.PENDING: len(post.fragments)}
    assert summary.last_outcome == "resumed" and summary.next_at is not None
    assert summary.next_at > at + timedelta(hours=23)
    assert (state / RESUME_MARKER).exists()


def test_resume_of_a_conflict_needs_accept_edit(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    at = datetime.now(UTC)
    schedule = _campaign(tmp_path / "c", at)
    state = tmp_path / "state"
    outbox = SqliteOutbox.open(state)

    _, plan, _ = load_campaign(schedule, at)
    assert plan is not None
    (post,) = plan.posts
    outbox.freeze(post, at)
    _send(outbox, post, 2)
    message = schedule.parent / "messages" / "m.txt"
    message.write_text(message.read_text(encoding="utf-8") + "\n¡Viva el Perú!\n", encoding="utf-8")
    _, edited, _ = load_campaign(schedule, at)
    assert edited is not None
    assert outbox.freeze(edited.posts[0], at).kind == "conflict"

    assert main(["resume", "mensaje", "--schedule", str(schedule), "--state-dir", str(state)]) == 1
    assert "--accept-edit" in capsys.readouterr().err
    args = ["resume", "mensaje", "--accept-edit", "--schedule", str(schedule), "--state-dir", str(state)]
    assert main(args) == 0
    summary = outbox.post("mensaje", "cx")
    assert summary is not None and summary.conflict is None and summary.sent == 2
    texts = [f.text for f in outbox.fragments_of("mensaje", "cx")]
    assert texts[2:] == [f.text for f in edited.posts[0].fragments][2:]
