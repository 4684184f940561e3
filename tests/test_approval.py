"""Approvals: the digest of what goes out, matching a typed digest, the fragment diff, approve / revoke / state."""

from __future__ import annotations

import hashlib
import subprocess
import sys
from collections.abc import Callable
from dataclasses import replace
from datetime import timedelta

import pytest

from bot.approval import (
    AmbiguousDigest,
    Candidate,
    MalformedDigest,
    approve_command,
    entry_digest,
    fragment_diff,
    parse_hex,
    post_digest,
    resolve,
)
from bot.approvals import (
    Approval,
    BadArgument,
    StaleDigest,
    UnknownAccount,
    UnknownPost,
    approval_state,
    approve,
    awaiting,
    revoke,
)
from bot.model import Account, Fragment, Post
from tests.approvalfake import MemoryApprovals
from tests.fakes import T0, make_account, make_post

# The version-1 encoding written out by hand (see bot/approval.py), hashed here with hashlib alone.
X_BYTES = (
    b"fiestas-patrias-bot approval digest v1\n"
    b"platform 1:x\n"
    b"target 15:cancilleriaperu\n"
    b"fragments 1:2\n"
    b"fragment 30:\xc2\xa1Felices Fiestas Patrias! 1/2\n"
    b"fragment 17:Viva el Per\xc3\xba 2/2\n"
    b"media 1:0\n"
)
X_PINNED = "43fbed43cfc000f0de2ecd7d20c6851652e5bd581c4c263f894dd0bc2fe3e294"
IMAGE_SHA = hashlib.sha256(b"\x89PNG escarapela").hexdigest()
FB_BYTES = (
    b"fiestas-patrias-bot approval digest v1\n"
    b"platform 8:facebook\n"
    b"target 10:1234567890\n"
    b"fragments 1:1\n"
    b"fragment 17:Viva el Per\xc3\xba 1/1\n"
    b"media 1:1\n"
    b"sha256 64:" + IMAGE_SHA.encode() + b"\n"
    b"alt 10:Escarapela\n"
)
FB_PINNED = "c1f2f14487c24052ecdb5705655f8b6d03ce233a6987eaebb8fd05caa64ef6b4"
MEDIA = [(IMAGE_SHA, "Escarapela")]


def x_post() -> Post:
    return make_post(texts=["¡Felices Fiestas Patrias!", "Viva el Perú"])


def fb_post() -> Post:
    return make_post(texts=["Viva el Perú"], account=make_account("facebook_page", "facebook"))


def with_texts(post: Post, *texts: str) -> Post:
    """`post` with exactly these fragment texts (numbering labels are whatever the texts say)."""
    fragments = tuple(Fragment(i, len(texts), text, len(text), 280, post.at) for i, text in enumerate(texts, start=1))
    return replace(post, fragments=fragments)


# -- the digest ---------------------------------------------------------------------------------------------


def test_digest_is_pinned_and_follows_the_documented_encoding() -> None:
    assert hashlib.sha256(X_BYTES).hexdigest() == X_PINNED
    assert post_digest(x_post()) == X_PINNED
    assert hashlib.sha256(FB_BYTES).hexdigest() == FB_PINNED
    assert post_digest(fb_post(), MEDIA) == FB_PINNED


def test_digest_ignores_time_account_name_display_name_and_handle_case() -> None:
    post = x_post()
    account: Account = replace(
        post.account, name="otro_nombre", display_name="Cancillería", credentials="OTRO", handle="CANCILLERIAPERU"
    )
    moved = replace(post, at=post.at + timedelta(days=3), account=account)
    moved = replace(moved, fragments=tuple(replace(f, at=f.at + timedelta(days=3)) for f in post.fragments))
    assert post_digest(moved) == X_PINNED


@pytest.mark.parametrize(
    "change",
    [
        pytest.param(lambda p: with_texts(p, "¡Felices Fiestas Patrias! 1/2", "Viva el Perú! 2/2"), id="a-fragment"),
        pytest.param(lambda p: with_texts(p, "¡Felices Fiestas Patrias! (1/2)", "Viva el Perú (2/2)"), id="numbering"),
        pytest.param(lambda p: with_texts(p, "¡Felices Fiestas Patrias! 1/2"), id="a-fragment-less"),
        pytest.param(lambda p: with_texts(p, "Viva el Perú 2/2", "¡Felices Fiestas Patrias! 1/2"), id="order"),
        pytest.param(lambda p: replace(p, account=replace(p.account, handle="RREE_Peru")), id="handle"),
        pytest.param(
            lambda p: replace(p, account=replace(p.account, platform="facebook", page_id="cancilleriaperu")),
            id="platform",
        ),
    ],
)
def test_digest_changes_with_what_goes_out(change: Callable[[Post], Post]) -> None:
    assert post_digest(change(x_post())) != X_PINNED


def test_digest_changes_with_the_page_and_the_media() -> None:
    post = fb_post()
    other_page = replace(post, account=replace(post.account, page_id="1234567891"))
    other_bytes = hashlib.sha256(b"\x89PNG escarapela!").hexdigest()
    variants = [
        post_digest(other_page, MEDIA),
        post_digest(post, [(other_bytes, "Escarapela")]),
        post_digest(post, [(IMAGE_SHA, "Escarapela peruana")]),
        post_digest(post, [*MEDIA, *MEDIA]),
        post_digest(post),
    ]
    assert FB_PINNED not in variants
    assert len(set(variants)) == len(variants)
    assert post_digest(post, [(IMAGE_SHA.upper(), "Escarapela")]) == FB_PINNED
    with pytest.raises(ValueError, match="not a sha256"):
        post_digest(post, [("abc", "Escarapela")])


def test_fragment_boundaries_cannot_be_imitated() -> None:
    post = x_post()
    assert post_digest(with_texts(post, "ab", "c")) != post_digest(with_texts(post, "a", "bc"))
    forged = "a\nfragment 1:b"
    assert post_digest(with_texts(post, forged)) != post_digest(with_texts(post, "a", "b"))


def test_entry_digest_covers_every_account_in_name_order() -> None:
    by_hand = hashlib.sha256(
        b"fiestas-patrias-bot approval entry digest v1\n"
        b"accounts 1:2\n"
        b"account 13:facebook_page\n"
        b"digest 64:" + FB_PINNED.encode() + b"\n"
        b"account 13:x_cancilleria\n"
        b"digest 64:" + X_PINNED.encode() + b"\n"
    ).hexdigest()
    assert entry_digest({"x_cancilleria": X_PINNED, "facebook_page": FB_PINNED}) == by_hand
    assert entry_digest({"facebook_page": FB_PINNED, "x_cancilleria": X_PINNED}) == by_hand
    assert entry_digest({"x_cancilleria": X_PINNED}) != by_hand


# -- what people type ---------------------------------------------------------------------------------------


def test_parse_hex_accepts_a_short_or_full_digest_as_copied() -> None:
    assert parse_hex("  43FBED43CFC0 ") == "43fbed43cfc0"
    assert parse_hex(X_PINNED) == X_PINNED


@pytest.mark.parametrize(
    ("given", "message"),
    [
        ("", "the digest is empty"),
        ("43fbed43cfcz", "the digest '43fbed43cfcz' is not hexadecimal: 'z' at character 12"),
        ("43fbed43cfc", "the digest '43fbed43cfc' has 11 hex digits; at least 12 are needed"),
        (X_PINNED + "0", "the digest has 65 hex digits; a SHA-256 digest has 64"),
    ],
)
def test_malformed_digest_is_a_clear_exit_2(given: str, message: str) -> None:
    with pytest.raises(MalformedDigest) as caught:
        parse_hex(given)
    assert caught.value.message == message
    assert caught.value.exit_code == 2
    assert "at least 12 hex digits" in caught.value.hint


def test_resolve_by_prefix_and_ambiguity() -> None:
    a = Candidate("aaaaaaaaaaaa" + "1" * 52, "account x")
    b = Candidate("aaaaaaaaaaaa" + "2" * 52, "account facebook")
    same = Candidate(a.digest, "account x2")
    assert resolve("aaaaaaaaaaaa1", [a, b]) == a
    assert resolve("aaaaaaaaaaaa", [a, same]) == a
    assert resolve("bbbbbbbbbbbb", [a, b]) is None
    with pytest.raises(AmbiguousDigest) as caught:
        resolve("aaaaaaaaaaaa", [a, b])
    assert caught.value.message == (
        "the digest prefix 'aaaaaaaaaaaa' matches 2 different digests: "
        "aaaaaaaaaaaa (account x), aaaaaaaaaaaa (account facebook)"
    )
    assert caught.value.exit_code == 2


# -- the diff -----------------------------------------------------------------------------------------------


def test_fragment_diff_shows_only_what_changed() -> None:
    old = ["Hola 1/2", "Primera línea\n" + "x" * 100 + " fin", "resto"]
    new = ["Hola 1/2", "Primera línea\n" + "x" * 100 + " final"]
    lines = fragment_diff(old, new, width=30)
    assert lines == [
        "fragment 2: changed",
        "  - …" + "x" * 6 + " fin",
        "  + …" + "x" * 6 + " final",
        "fragment 3: removed",
        "  - resto",
    ]
    assert fragment_diff(old, old) == []
    assert fragment_diff(["a"], ["a", "b"]) == ["fragment 2: added", "  + b"]


def test_fragment_diff_is_capped() -> None:
    lines = fragment_diff([f"t{i}" for i in range(20)], [f"u{i}" for i in range(20)], max_lines=5)
    assert lines == ["fragment 1: changed", "  - t0", "  + u0", "fragment 2: changed", "... (56 more lines)"]


# -- approve, revoke, state ---------------------------------------------------------------------------------


def plan() -> list[Post]:
    return [x_post(), fb_post(), make_post(post_id="otro")]


def test_approve_one_account_by_short_digest() -> None:
    store = MemoryApprovals()
    result = approve(plan(), store, "mensaje", X_PINNED[:12], now=T0, by="Ana Pérez", note="visto en la vista previa")
    assert result.approved == (
        Approval("mensaje", "x_cancilleria", X_PINNED, "Ana Pérez", T0, "visto en la vista previa"),
    )
    assert result.waiting == ("facebook_page",)
    state = approval_state(x_post(), store, required=True)
    assert state.may_publish
    assert state.as_json() == {
        "required": True,
        "digest": X_PINNED,
        "approved": True,
        "approved_by": "Ana Pérez",
        "approved_at": T0.isoformat(),
    }
    fb = approval_state(fb_post(), store, required=True)
    assert not fb.may_publish
    assert fb.as_json()["approved_by"] is None
    assert approval_state(fb_post(), store, required=False).may_publish


def test_approve_every_account_with_the_entry_digest() -> None:
    store = MemoryApprovals()
    whole = entry_digest({"x_cancilleria": X_PINNED, "facebook_page": post_digest(fb_post())})
    result = approve(plan(), store, "mensaje", whole[:12], now=T0, by="ana")
    assert sorted(a.account for a in result.approved) == ["facebook_page", "x_cancilleria"]
    assert result.waiting == ()
    assert all(approval_state(p, store, True).approved for p in plan()[:2])
    assert not approval_state(plan()[2], store, True).approved


def test_account_option_limits_the_approval() -> None:
    store = MemoryApprovals()
    result = approve(plan(), store, "mensaje", X_PINNED, now=T0, by="ana", account="x_cancilleria")
    assert [a.account for a in result.approved] == ["x_cancilleria"]
    whole = entry_digest({"x_cancilleria": X_PINNED, "facebook_page": post_digest(fb_post())})
    with pytest.raises(StaleDigest):  # the entry digest is not this account's digest
        approve(plan(), store, "mensaje", whole, now=T0, by="ana", account="x_cancilleria")


def test_unknown_post_and_account_exit_1_and_record_nothing() -> None:
    store = MemoryApprovals()
    with pytest.raises(UnknownPost) as post:
        approve(plan(), store, "mensage", X_PINNED, now=T0, by="ana")
    assert (post.value.exit_code, post.value.message, post.value.hint) == (
        1,
        "no post 'mensage' in the schedule",
        "did you mean 'mensaje'?",
    )
    with pytest.raises(UnknownAccount) as account:
        approve(plan(), store, "mensaje", X_PINNED, now=T0, by="ana", account="instagram")
    assert account.value.exit_code == 1
    assert account.value.message == "post 'mensaje' does not go to account 'instagram'"
    assert "facebook_page, x_cancilleria" in account.value.hint
    with pytest.raises(UnknownPost):
        revoke(plan(), store, "nada", now=T0, by="ana")
    assert store.approvals() == []


def test_malformed_digest_records_nothing() -> None:
    store = MemoryApprovals()
    with pytest.raises(MalformedDigest):
        approve(plan(), store, "mensaje", "43fb", now=T0, by="ana")
    assert store.approvals() == []


def test_an_edit_after_approval_needs_a_new_approval_and_a_stale_digest_is_refused_with_a_diff() -> None:
    store = MemoryApprovals()
    approve(plan(), store, "mensaje", X_PINNED[:12], now=T0, by="ana")
    edited = with_texts(x_post(), "¡Felices Fiestas Patrias! 1/2", "Viva el Perú libre 2/2")
    state = approval_state(edited, store, required=True)
    assert not state.approved and not state.may_publish
    assert state.outdated is not None and state.outdated.digest == X_PINNED
    before = store.approvals()
    with pytest.raises(StaleDigest) as caught:
        approve([edited, fb_post()], store, "mensaje", X_PINNED[:12], now=T0 + timedelta(minutes=5), by="ana")
    error = caught.value
    assert error.exit_code == 1
    assert error.given == X_PINNED[:12]
    assert error.current["x_cancilleria"] == post_digest(edited) != X_PINNED
    assert store.approvals() == before
    assert error.format().splitlines()[1:] == [
        "    current digests: x_cancilleria "
        + post_digest(edited)[:12]
        + ", facebook_page "
        + post_digest(fb_post())[:12]
        + ", all accounts "
        + entry_digest({"x_cancilleria": post_digest(edited), "facebook_page": post_digest(fb_post())})[:12],
        "    what changed for x_cancilleria since 43fbed43cfc0:",
        "      fragment 2: changed",
        "        - Viva el Perú 2/2",
        "        + Viva el Perú libre 2/2",
        "    hint: read the post again in the preview, then approve it with the digest shown now",
    ]
    # Approving what is there now works; restoring the approved text exactly makes the old approval count again.
    approve([edited], store, "mensaje", post_digest(edited), now=T0, by="ana")
    assert approval_state(edited, store, True).approved
    assert not approval_state(x_post(), store, True).approved


def test_stale_digest_of_a_text_never_seen_says_so() -> None:
    with pytest.raises(StaleDigest) as caught:
        approve(plan(), MemoryApprovals(), "mensaje", "0123456789ab", now=T0, by="ana")
    assert "the text of 0123456789ab was not recorded here, so what changed cannot be shown" in caught.value.details


def test_revoke_withdraws_and_a_new_approval_counts_again() -> None:
    store = MemoryApprovals()
    approve(plan(), store, "mensaje", X_PINNED[:12], now=T0, by="ana")
    result = revoke(plan(), store, "mensaje", now=T0 + timedelta(hours=1), by="jefe", note="falta una coma")
    assert [r.account for r in result.revoked] == ["x_cancilleria"]
    assert result.not_approved == ("facebook_page",)
    assert not approval_state(x_post(), store, True).approved
    assert revoke(plan(), store, "mensaje", now=T0, by="jefe").revoked == ()
    approve(plan(), store, "mensaje", X_PINNED[:12], now=T0 + timedelta(hours=2), by="ana")
    assert approval_state(x_post(), store, True).approval == Approval(
        "mensaje", "x_cancilleria", X_PINNED, "ana", T0 + timedelta(hours=2)
    )
    assert len(store.approvals()) == 3


def test_by_defaults_to_the_login_name(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("LNAME", "USER", "USERNAME"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("LOGNAME", "maria")
    result = approve(plan(), MemoryApprovals(), "mensaje", X_PINNED, now=T0)
    assert result.approved[0].by == "maria"


@pytest.mark.parametrize(
    ("by", "note", "message"),
    [
        ("  ", None, "cannot tell who approves: --by is empty"),
        ("ana\x1b[2J", None, "--by 'ana\\x1b[2J' must be at most 100 characters without control characters"),
        ("ana", "dos\nlíneas", "--note must be at most 1000 characters on one line, without control characters"),
    ],
)
def test_bad_by_or_note_exit_2(by: str, note: str | None, message: str) -> None:
    store = MemoryApprovals()
    with pytest.raises(BadArgument) as caught:
        approve(plan(), store, "mensaje", X_PINNED, now=T0, by=by, note=note)
    assert caught.value.exit_code == 2
    assert caught.value.format().splitlines()[0] == message
    assert store.approvals() == []


def test_awaiting_says_why_and_gives_the_command_to_copy() -> None:
    store = MemoryApprovals()
    state = approval_state(x_post(), store, required=True)
    assert awaiting(x_post(), state, store) == [
        "post 'mensaje' for x_cancilleria is awaiting approval of digest 43fbed43cfc0",
        "to approve it: python main.py approve mensaje --digest 43fbed43cfc0 --account x_cancilleria",
    ]
    assert awaiting(x_post(), approval_state(x_post(), store, required=False), store) == []
    approve(plan(), store, "mensaje", X_PINNED[:12], now=T0, by="ana")
    assert awaiting(x_post(), approval_state(x_post(), store, required=True), store) == []
    edited = with_texts(x_post(), "¡Felices Fiestas Patrias! 1/2", "¡Viva el Perú! 2/2")
    new = post_digest(edited)[:12]
    assert awaiting(edited, approval_state(edited, store, required=True), store) == [
        "post 'mensaje' for x_cancilleria is awaiting approval: its text changed after ana approved 43fbed43cfc0 "
        f"at {T0.isoformat(timespec='seconds')}; the digest is now {new}",
        "fragment 2: changed",
        "  - Viva el Perú 2/2",
        "  + ¡Viva el Perú! 2/2",
        f"to approve the new text: python main.py approve mensaje --digest {new} --account x_cancilleria",
    ]


def test_approve_command_quotes_what_a_shell_would_split() -> None:
    assert (
        approve_command("fiestas patrias", X_PINNED) == "python main.py approve 'fiestas patrias' --digest 43fbed43cfc0"
    )


def test_the_approval_modules_stay_light() -> None:
    """preview and status will import them: no network, scheduler or database library may come along."""
    code = (
        "import sys, bot.approval, bot.approvals\n"
        "heavy = {'tweepy', 'facebook', 'apscheduler', 'requests', 'psycopg', 'sqlite3', 'PIL', 'yaml'}\n"
        "print(sorted({m.split('.')[0] for m in sys.modules} & heavy))\n"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60, check=True)
    assert result.stdout.strip() == "[]"
