"""Issue 19: what was approved is exactly what goes out. One test per gap the issue lists (each failed before its
fix): full digests only, the publisher of the approved target, each post's own alt text, no invisible characters."""

from __future__ import annotations

import hashlib
import json
import shutil
import sqlite3
from dataclasses import replace
from datetime import timedelta
from pathlib import Path

import pytest

from bot.approval import post_digest
from bot.approvals import approve, revoke
from bot.credentials import Environment
from bot.media import inspect_media
from bot.model import Account, Media, MediaItem, Plan, Position, Post
from bot.publishers.base import Publisher
from bot.publishers.x import XPublisher
from bot.services.accounts import Accounts
from bot.services.approvalgate import ApprovalGate, revoke_effect
from bot.services.approvalview import unapproved_edit
from bot.services.campaign import load_campaign
from bot.services.job import RunSettings, run_job
from bot.services.runner import RetryPolicy, publish_post
from bot.services.settling import Settling
from bot.states import Outcome
from bot.store import texts_digest
from bot.store.sqlite import SqliteOutbox
from tests.fakeapi import FakeAPI, environment, fake_api_fixture, x_account  # noqa: F401
from tests.fakes import LIMA, T0, FakeClock, FakePublisher, make_account, make_post
from tests.helpers import ROOT, run_cli

NOW = "2027-07-01T12:00-05:00"
ALT_ONE = "Escarapela peruana sobre fondo blanco"
ALT_TWO = "La escarapela del primer mensaje, otra descripción"
POLICY = RetryPolicy(max_attempts=4, random=lambda: 0.5)
# A fragment in doubt that one lookup does not find is sent again at once (the settling window is issue 18's test)
NO_WINDOW = RetryPolicy(max_attempts=4, random=lambda: 0.5, settling=Settling(window=timedelta(0)))


def _campaign(
    folder: Path, message: str = "¡Felices Fiestas Patrias!\n", alts: tuple[str, str] = (ALT_ONE, ALT_TWO)
) -> Path:
    """Two posts to one X account, each with the committed image and its own alt text."""
    shutil.copytree(ROOT / "media", folder / "media")
    (folder / "messages").mkdir()
    (folder / "messages" / "uno.txt").write_text(message, encoding="utf-8")
    (folder / "messages" / "dos.txt").write_text("Viva el Perú\n", encoding="utf-8")
    posts = "".join(
        f"  - id: {name}\n    message: messages/{name}.txt\n    at: 2027-07-28 0{hour}:00\n    to: [cx]\n"
        f"    media:\n      - file: media/escarapela.png\n        alt: {json.dumps(alt)}\n"
        for name, hour, alt in (("uno", 8, alts[0]), ("dos", 9, alts[1]))
    )
    (folder / "schedule.yaml").write_text(
        "timezone: America/Lima\napproval: required\naccounts:\n  cx:\n    platform: x\n    handle: CancilleriaPeru\n"
        f"    credentials: CX\nposts:\n{posts}",
        encoding="utf-8",
    )
    return folder / "schedule.yaml"


# -- 1. only the whole digest ---------------------------------------------------------------------------------------


def test_approve_with_a_12_digit_prefix_exits_2_and_records_nothing_and_the_preview_shows_all_64(
    tmp_path: Path,
) -> None:
    _campaign(tmp_path)
    preview = run_cli("preview", "--format", "json", "--now", NOW, cwd=tmp_path)
    assert preview.returncode == 0, preview.stderr
    data = json.loads(preview.stdout)
    digest = data["posts"][0]["approval"]["digest"]
    (entry,) = [e for e in data["approval"]["entries"] if e["id"] == "uno"]
    assert entry["command"] == f"python main.py approve uno --digest {entry['digest']}"
    text = run_cli("preview", "--now", NOW, cwd=tmp_path).stdout
    assert f"python main.py approve uno --digest {digest} --account cx" in text
    assert f"python main.py approve uno --digest {entry['digest']}" in text
    page = run_cli("preview", "--format", "html", "--now", NOW, cwd=tmp_path).stdout
    assert f"python main.py approve uno --digest {digest} --account cx" in page
    assert f"python main.py approve uno --digest {entry['digest']}" in page
    for given in (digest[:12], digest[:40], digest[:63], entry["digest"][:12]):
        refused = run_cli("approve", "uno", "--digest", given, "--by", "ana", "--state-dir", "state", cwd=tmp_path)
        assert refused.returncode == 2, refused.stderr
        assert "only the whole digest is accepted" in refused.stderr and "Traceback" not in refused.stderr
    outbox = SqliteOutbox.open(tmp_path / "state")
    try:
        assert outbox.approval_count() == 0
    finally:
        outbox.close()
    done = run_cli("approve", "uno", "--digest", digest, "--by", "ana", "--state-dir", "state", cwd=tmp_path)
    assert done.returncode == 0, done.stderr


# -- 2. the publisher of the approved target ------------------------------------------------------------------------


def test_a_reload_that_points_the_account_at_another_page_gets_a_new_publisher(tmp_path: Path) -> None:
    made: list[Account] = []

    def factory(account: Account, env: Environment) -> Publisher:
        made.append(account)
        return FakePublisher("facebook")

    accounts = Accounts(Environment({}), factory)
    page_2002 = replace(make_account("pagina", "facebook"), page_id="2002")
    page_2003 = replace(page_2002, page_id="2003")
    outbox = SqliteOutbox.open(tmp_path / "state")
    try:
        first = accounts.publisher(make_post(account=page_2002), outbox, FakeClock())
        again = accounts.publisher(make_post(account=page_2002), outbox, FakeClock())
        after_reload = accounts.publisher(make_post(post_id="segundo", account=page_2003), outbox, FakeClock())
    finally:
        outbox.close()
    assert first is again  # one publisher per account while it stays the same
    assert after_reload is not first
    assert [account.page_id for account in made] == ["2002", "2003"]  # the new post is built for Page 2003


# -- 3. each post shows its own alt text ----------------------------------------------------------------------------


def test_two_posts_with_the_same_image_show_their_own_alt_text_in_the_html_page(tmp_path: Path) -> None:
    _campaign(tmp_path)
    result = run_cli("preview", "--format", "html", "--now", NOW, cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    page = result.stdout
    assert f'alt="{ALT_ONE}"' in page and f'alt="{ALT_TWO}"' in page
    assert page.index(ALT_ONE) < page.index(ALT_TWO)


# -- 4. no invisible characters -------------------------------------------------------------------------------------


def test_a_control_character_in_a_message_is_a_validate_problem_with_its_place(tmp_path: Path) -> None:
    _campaign(tmp_path, message="¡Felices Fiestas\x1b[8m ocultas\x1b[0m Patrias!\nViva el \u202eúreP\n")
    for command in ("validate", "preview"):
        result = (
            run_cli(command, "--now", NOW, cwd=tmp_path) if command == "preview" else run_cli(command, cwd=tmp_path)
        )
        assert result.returncode == 2, result.stdout + result.stderr
        out = result.stdout + result.stderr
        assert "\x1b" not in out and "\u202e" not in out
        assert "messages/uno.txt:1:17: error: message messages/uno.txt contains the invisible character U+001B" in out
        assert "messages/uno.txt:2:9: error: " in out and "U+202E (RIGHT-TO-LEFT OVERRIDE)" in out


def test_a_bidi_override_in_an_alt_text_is_a_validate_problem(tmp_path: Path) -> None:
    _campaign(tmp_path, alts=(ALT_ONE, "Escarapela \u202eacnalb"))
    result = run_cli("validate", cwd=tmp_path)
    out = result.stdout + result.stderr
    assert result.returncode == 2, out
    assert "\u202e" not in out
    assert "schedule.yaml:22:14: error: the alt text of media/escarapela.png contains the invisible character" in out
    assert "U+202E (RIGHT-TO-LEFT OVERRIDE) (character 12)" in out


def test_previews_escape_what_they_cannot_show() -> None:
    from bot.html.text import rich
    from bot.preview import render_json, render_text

    post = make_post(texts=["Hola\x1b[8m oculto \u202eolleh\x85"])
    plan = Plan(LIMA, T0, (post,))
    for shown in (render_text(plan, "s.yaml"), render_json(plan, "s.yaml"), str(rich(post.fragments[0].text))):
        assert not any(c in shown for c in "\x1b\u202e\x85"), shown
        assert "\\x1b" in shown or "\\u001b" in shown
    assert json.loads(render_json(plan, "s.yaml"))["posts"][0]["fragments"][0]["text"] == post.fragments[0].text
    assert post_digest(post)  # the digest is of the raw text, escaped only for display


# -- 10. the plan two PostgreSQL daemons must share ------------------------------------------------------------------


def _with_image(post: Post, alt: str) -> Post:
    sha = hashlib.sha256(b"escarapela").hexdigest()
    image = Media("media/e.png", Path("media/e.png"), "PNG", "image/png", 4, 4, 1, sha, alt, Position("s.yaml"))
    return replace(post, media=(image,))


def test_the_plan_digest_covers_media_targets_and_the_approval_setting() -> None:
    from bot.services.publishing import plan_digest

    post = _with_image(make_post(account=make_account("pagina", "facebook")), "Escarapela")
    base = Plan(LIMA, T0, (post,), approval_required=True)
    variants = [
        replace(base, approval_required=False),
        replace(base, posts=(_with_image(post, "Otra descripción"),)),
        replace(base, posts=(replace(post, media=()),)),
        replace(base, posts=(replace(post, account=replace(post.account, page_id="2003")),)),
        replace(base, posts=(replace(post, account=replace(post.account, credentials="OTRA")),)),
    ]
    digests = {plan_digest(plan) for plan in variants}
    assert plan_digest(base) not in digests and len(digests) == len(variants)
    assert plan_digest(replace(base, now=T0 + timedelta(hours=1))) == plan_digest(base)


# -- 11. the environment never prints a token -------------------------------------------------------------------------


def test_the_environment_repr_masks_every_value() -> None:
    token = "fake-token-for-this-test-0123456789-wxyz"  # not a real token: a test value
    env = Environment({"CX_ACCESS_TOKEN": token, "SHORT": "abc"}, Path(".env"))
    for shown in (repr(env), str(env), f"{env}", repr([env])):
        assert token not in shown and token[-5:] not in shown and "abc" not in shown
    assert "CX_ACCESS_TOKEN='…wxyz'" in repr(env) and "SHORT='****'" in repr(env)


# -- 5. a started post resumes only with the content that was approved ----------------------------------------------


def _started(tmp_path: Path, post: Post) -> tuple[SqliteOutbox, FakePublisher, FakeClock]:
    """`post` (2 fragments an hour apart) with its first fragment sent."""
    outbox = SqliteOutbox.open(tmp_path / "state")
    publisher, clock = FakePublisher(post.account.platform), FakeClock(T0)
    assert publish_post(post, outbox, publisher, clock, POLICY).kind == Outcome.WAITING
    assert len(publisher.posts) == 1
    clock.advance(timedelta(hours=1))
    return outbox, publisher, clock


def _thread(tmp_path: Path, account: Account | None = None) -> Post:
    image = tmp_path / "media" / "escarapela.png"
    image.parent.mkdir(exist_ok=True)
    shutil.copy(ROOT / "media" / "escarapela.png", image)
    post = make_post(2, every=timedelta(hours=1), account=account)
    media, problems = inspect_media(
        [MediaItem("media/escarapela.png", ALT_ONE, Position("s.yaml"))], tmp_path, tmp_path
    )
    assert problems == []
    return replace(post, media=media)


def _changes(post: Post) -> dict[str, Post]:
    other = "CancilleriaPeru2" if post.account.handle else None
    return {
        "alt text": replace(post, media=(replace(post.media[0], alt=ALT_TWO),)),
        "image": replace(post, media=(replace(post.media[0], sha256="0" * 64),)),
        "no image": replace(post, media=()),
        "target": replace(
            post,
            account=replace(post.account, handle=other, page_id=None if other else "2003"),
        ),
    }


@pytest.mark.parametrize("platform", ["x", "facebook"])
@pytest.mark.parametrize("change", ["alt text", "image", "no image", "target"])
def test_a_started_post_whose_content_changed_is_a_conflict(tmp_path: Path, platform: str, change: str) -> None:
    post = _thread(tmp_path, make_account("cuenta", platform))
    outbox, publisher, clock = _started(tmp_path, post)
    try:
        edited = _changes(post)[change]
        outcome = publish_post(edited, outbox, publisher, clock, POLICY)
        assert outcome.kind == Outcome.CONFLICT, outcome
        assert "the images, their alt texts or the target (handle or Page) changed after publishing started" in (
            outcome.message
        )
        assert len(publisher.posts) == 1  # the second fragment did not go out
        summary = outbox.post(post.id, "cuenta")
        assert summary is not None and summary.conflict is not None
        assert publish_post(post, outbox, publisher, clock, POLICY).kind == Outcome.SENT  # restored: it goes on
    finally:
        outbox.close()


def test_a_post_in_doubt_after_a_crash_with_another_target_is_a_conflict_not_looked_up(tmp_path: Path) -> None:
    post = _thread(tmp_path)
    outbox = SqliteOutbox.open(tmp_path / "state")
    publisher = FakePublisher()
    try:
        outbox.freeze(post, T0)
        outbox.mark_sending(post.id, post.account.name, 1, T0)  # the crash: the request may have gone out
        edited = _changes(post)["target"]
        outcome = publish_post(edited, outbox, publisher, FakeClock(T0), POLICY)
        assert outcome.kind == Outcome.CONFLICT
        assert publisher.lookup_calls == [] and publisher.posts == []
    finally:
        outbox.close()


def test_a_conflict_needs_an_approval_of_the_new_digest_then_accept_edit(tmp_path: Path) -> None:
    post = _thread(tmp_path)
    outbox, publisher, clock = _started(tmp_path, post)
    try:
        edited = _changes(post)["alt text"]
        assert publish_post(edited, outbox, publisher, clock, POLICY).kind == Outcome.CONFLICT
        plan = Plan(LIMA, T0, (edited,), approval_required=True)
        approve([post], outbox, post.id, post_digest(post), now=T0, by="ana")  # the old content was approved
        refusal = unapproved_edit(plan, edited, outbox)
        assert refusal is not None and "the edited text is not approved" in refusal
        approve([edited], outbox, post.id, post_digest(edited), now=T0, by="ana")
        assert unapproved_edit(plan, edited, outbox) is None
        outbox.accept_edit(edited, clock())
        assert publish_post(edited, outbox, publisher, clock, POLICY).kind == Outcome.SENT
        assert len(publisher.posts) == 2
    finally:
        outbox.close()


def test_a_post_frozen_by_an_older_version_continues_on_its_texts(tmp_path: Path) -> None:
    post = _thread(tmp_path)
    outbox, publisher, clock = _started(tmp_path, post)
    outbox.close()
    with sqlite3.connect(tmp_path / "state" / "outbox.sqlite3") as db:  # what an older bot stored: the texts' digest
        db.execute("UPDATE posts SET texts_digest = ?", (texts_digest([f.text for f in post.fragments]),))
    outbox = SqliteOutbox.open(tmp_path / "state")
    try:
        assert publish_post(post, outbox, publisher, clock, POLICY).kind == Outcome.SENT
    finally:
        outbox.close()


# -- 8. resume --accept-edit never sends a superseded text ----------------------------------------------------------


@pytest.mark.parametrize("doubt", ["sending", "unknown"])
def test_a_fragment_in_doubt_not_found_after_an_accepted_edit_goes_out_with_the_new_text(
    tmp_path: Path, doubt: str
) -> None:
    post = make_post(3, words="Texto aprobado primero")
    edited = make_post(3, words="Texto corregido y aprobado")
    outbox = SqliteOutbox.open(tmp_path / "state")
    publisher, clock = FakePublisher(), FakeClock(T0)
    try:
        outbox.freeze(post, T0)
        sent = publisher.store(post.fragments[0].text)
        outbox.mark_sending(post.id, post.account.name, 1, T0)
        outbox.mark_sent(post.id, post.account.name, 1, sent.remote_id, "u1", T0)
        outbox.mark_sending(post.id, post.account.name, 2, T0)  # then the crash: never reached the platform
        if doubt == "unknown":
            outbox.mark_unknown(post.id, post.account.name, 2, "timeout", T0)
        assert outbox.freeze(edited, T0).kind == "conflict"
        assert outbox.accept_edit(edited, T0) == 1  # fragment 2 keeps its old text, to be looked up by it
        assert publish_post(edited, outbox, publisher, clock, NO_WINDOW).kind == Outcome.SENT  # one lookup, then sent
        assert publisher.lookup_calls == [post.fragments[1].text]
        assert publisher.texts() == [post.fragments[0].text, edited.fragments[1].text, edited.fragments[2].text]
        assert [r.text for r in outbox.fragments_of(post.id, post.account.name)][1:] == [
            f.text for f in edited.fragments[1:]
        ]
    finally:
        outbox.close()


# -- 9. revoke stops what has not gone out yet ------------------------------------------------------------------------


def test_revoke_on_a_started_post_holds_the_remaining_fragments_until_approved_again(tmp_path: Path) -> None:
    post = make_post(3, every=timedelta(hours=1))
    outbox = SqliteOutbox.open(tmp_path / "state")
    publisher, clock = FakePublisher(), FakeClock(T0)
    gate = ApprovalGate(outbox)
    gate.install(Plan(LIMA, T0, (post,), approval_required=True))
    accounts = Accounts(Environment({}), lambda account, env: publisher)
    settings = RunSettings(timedelta(minutes=15), POLICY, lambda: False, gate)
    try:
        approve([post], outbox, post.id, post_digest(post), now=T0, by="ana")
        assert run_job(post, outbox, accounts, clock, settings).kind == Outcome.WAITING
        assert len(publisher.posts) == 1
        revoke([post], outbox, post.id, now=T0, by="jefe")
        clock.advance(timedelta(hours=3))  # every remaining fragment is due
        held = run_job(post, outbox, accounts, clock, settings)
        assert held.kind == Outcome.AWAITING and held.at is None  # waits for an approval, is never missed
        assert "approval was withdrawn after publishing started (1 of 3 fragments sent)" in held.message
        assert len(publisher.posts) == 1
        approve([post], outbox, post.id, post_digest(post), now=clock(), by="ana")
        assert run_job(post, outbox, accounts, clock, settings).kind == Outcome.SENT
        assert len(publisher.posts) == 3
    finally:
        outbox.close()


def test_revoke_says_exactly_what_happens_to_a_started_post(tmp_path: Path) -> None:
    schedule = _campaign(tmp_path)
    _, plan, problems = load_campaign(schedule, T0)
    assert plan is not None, problems
    uno, dos = (next(p for p in plan.posts if p.id == name) for name in ("uno", "dos"))
    outbox = SqliteOutbox.open(tmp_path / "state")
    try:
        for post in (uno, dos):
            approve([post], outbox, post.id, post_digest(post), now=T0, by="ana")
        outbox.freeze(uno, T0)
        outbox.mark_sending("uno", "cx", 1, T0)
        outbox.mark_sent("uno", "cx", 1, "1", "u1", T0)
        outbox.freeze(dos, T0)
        outbox.mark_sending("dos", "cx", 1, T0)  # in doubt: it may have gone out
    finally:
        outbox.close()
    done = run_cli("revoke", "uno", "--by", "jefe", "--state-dir", "state", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert done.stdout == (
        "revoked the approval of post uno for cx: it was already published: a revocation cannot take it back "
        "(delete it on the platform)\n"
    )
    started = run_cli("revoke", "dos", "--by", "jefe", "--state-dir", "state", cwd=tmp_path)
    assert started.stdout == (
        "revoked the approval of post dos for cx: publishing had started (0 of 1 fragments sent): the remaining "
        "fragments are held until it is approved again; what was sent stays published\n"
    )
    assert revoke_effect(True, None) == "it will not be published until it is approved again"
    assert revoke_effect(False, None).startswith("the schedule does not say `approval: required`")


# -- 7. X posts only as the approved handle ---------------------------------------------------------------------------


def test_a_token_that_posts_as_another_handle_holds_the_account_at_send_time(tmp_path: Path, fake_api: FakeAPI) -> None:
    fake_api.add_x_user("CancilleriaPeru", "Cancillería del Perú", "CANCILLERIA_X")
    _, other = fake_api.add_x_user("OtraCuenta", "Otra cuenta", "CANCILLERIA_X")  # its tokens, under our names
    account = x_account()
    post = make_post(2, account=account)
    outbox = SqliteOutbox.open(tmp_path / "state")
    accounts = Accounts(environment(other), lambda account, env: XPublisher(account, env, fake_api.settings()))
    settings = RunSettings(timedelta(minutes=15), POLICY, lambda: False)
    try:
        result = run_job(post, outbox, accounts, FakeClock(T0), settings)
        assert result.kind == Outcome.HELD
        hold = outbox.hold_reason(account.name)
        assert hold is not None and "post as @OtraCuenta, not as @CancilleriaPeru" in hold
        assert fake_api.posts() == []
        assert [r.state for r in outbox.fragments_of(post.id, account.name)] == ["pending", "pending"]
    finally:
        outbox.close()


def test_the_right_token_posts_after_one_look_at_who_it_is(tmp_path: Path, fake_api: FakeAPI) -> None:
    _, mine = fake_api.add_x_user("CancilleriaPeru", "Cancillería del Perú", "CANCILLERIA_X")
    post = make_post(2, account=x_account())
    outbox = SqliteOutbox.open(tmp_path / "state")
    accounts = Accounts(environment(mine), lambda account, env: XPublisher(account, env, fake_api.settings()))
    settings = RunSettings(timedelta(minutes=15), POLICY, lambda: False)
    try:
        assert run_job(post, outbox, accounts, FakeClock(T0), settings).kind == Outcome.SENT
        assert len(fake_api.posts()) == 2 and fake_api.count("x", "GET") == 1
    finally:
        outbox.close()


def test_a_fragment_in_doubt_beyond_a_shortened_edit_is_dropped_not_sent(tmp_path: Path) -> None:
    post = make_post(3, words="Texto aprobado primero")
    edited = make_post(2, words="Texto corregido y aprobado")
    outbox = SqliteOutbox.open(tmp_path / "state")
    publisher, clock = FakePublisher(), FakeClock(T0)
    try:
        outbox.freeze(post, T0)
        for index in (1, 2):
            sent = publisher.store(post.fragments[index - 1].text)
            outbox.mark_sending(post.id, post.account.name, index, T0)
            outbox.mark_sent(post.id, post.account.name, index, sent.remote_id, "u", T0)
        outbox.mark_sending(post.id, post.account.name, 3, T0)  # the crash, before the request
        assert outbox.freeze(edited, T0).kind == "conflict"
        assert outbox.accept_edit(edited, T0) == 0
        outcome = publish_post(edited, outbox, publisher, clock, NO_WINDOW)
        assert outcome.kind == Outcome.SENT, outcome
        assert publisher.texts() == [f.text for f in post.fragments[:2]]  # fragment 3's old text never went out
        assert [r.index for r in outbox.fragments_of(post.id, post.account.name)] == [1, 2]
    finally:
        outbox.close()
