"""approve, revoke and the approval state: what is recorded, what is refused, and what counts."""

from __future__ import annotations

from datetime import timedelta

import pytest

from bot.approval import MalformedDigest, approve_command, entry_digest, post_digest
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
from bot.model import Post
from tests.approvalfake import MemoryApprovals, fb_post, with_texts, x_post
from tests.fakes import T0, make_post

X_PINNED = post_digest(x_post())  # pinned by hand in test_approval.py

# -- approve, revoke, state ---------------------------------------------------------------------------------


def plan() -> list[Post]:
    return [x_post(), fb_post(), make_post(post_id="otro")]


def test_approve_one_account_by_its_whole_digest() -> None:
    store = MemoryApprovals()
    result = approve(plan(), store, "mensaje", X_PINNED, now=T0, by="Ana Pérez", note="visto en la vista previa")
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
    result = approve(plan(), store, "mensaje", whole, now=T0, by="ana")
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


@pytest.mark.parametrize("length", [4, 12, 63])
def test_a_prefix_of_a_real_digest_exits_2_and_records_nothing(length: int) -> None:
    store = MemoryApprovals()
    whole = entry_digest({"x_cancilleria": X_PINNED, "facebook_page": post_digest(fb_post())})
    for digest in (X_PINNED, whole):
        with pytest.raises(MalformedDigest) as caught:
            approve(plan(), store, "mensaje", digest[:length], now=T0, by="ana")
        assert caught.value.exit_code == 2
    assert store.approvals() == []


def test_an_edit_after_approval_needs_a_new_approval_and_a_stale_digest_is_refused_with_a_diff() -> None:
    store = MemoryApprovals()
    approve(plan(), store, "mensaje", X_PINNED, now=T0, by="ana")
    edited = with_texts(x_post(), "¡Felices Fiestas Patrias! 1/2", "Viva el Perú libre 2/2")
    state = approval_state(edited, store, required=True)
    assert not state.approved and not state.may_publish
    assert state.outdated is not None and state.outdated.digest == X_PINNED
    before = store.approvals()
    with pytest.raises(StaleDigest) as caught:
        approve([edited, fb_post()], store, "mensaje", X_PINNED, now=T0 + timedelta(minutes=5), by="ana")
    error = caught.value
    assert error.exit_code == 1
    assert error.given == X_PINNED
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
        approve(plan(), MemoryApprovals(), "mensaje", "0123456789ab" * 5 + "cdef", now=T0, by="ana")
    assert "the text of 0123456789ab was not recorded here, so what changed cannot be shown" in caught.value.details


def test_revoke_withdraws_and_a_new_approval_counts_again() -> None:
    store = MemoryApprovals()
    approve(plan(), store, "mensaje", X_PINNED, now=T0, by="ana")
    result = revoke(plan(), store, "mensaje", now=T0 + timedelta(hours=1), by="jefe", note="falta una coma")
    assert [r.account for r in result.revoked] == ["x_cancilleria"]
    assert result.not_approved == ("facebook_page",)
    assert not approval_state(x_post(), store, True).approved
    assert revoke(plan(), store, "mensaje", now=T0, by="jefe").revoked == ()
    approve(plan(), store, "mensaje", X_PINNED, now=T0 + timedelta(hours=2), by="ana")
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
        f"to approve it: python main.py approve mensaje --digest {X_PINNED} --account x_cancilleria",
    ]
    assert awaiting(x_post(), approval_state(x_post(), store, required=False), store) == []
    approve(plan(), store, "mensaje", X_PINNED, now=T0, by="ana")
    assert awaiting(x_post(), approval_state(x_post(), store, required=True), store) == []
    edited = with_texts(x_post(), "¡Felices Fiestas Patrias! 1/2", "¡Viva el Perú! 2/2")
    full = post_digest(edited)
    new = full[:12]
    assert awaiting(edited, approval_state(edited, store, required=True), store) == [
        "post 'mensaje' for x_cancilleria is awaiting approval: its text changed after ana approved 43fbed43cfc0 "
        f"at {T0.isoformat(timespec='seconds')}; the digest is now {new}",
        "fragment 2: changed",
        "  - Viva el Perú 2/2",
        "  + ¡Viva el Perú! 2/2",
        f"to approve the new text: python main.py approve mensaje --digest {full} --account x_cancilleria",
    ]


def test_approve_command_quotes_what_a_shell_would_split() -> None:
    assert (
        approve_command("fiestas patrias", X_PINNED) == f"python main.py approve 'fiestas patrias' --digest {X_PINNED}"
    )
