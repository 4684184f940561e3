"""The daemon's approval gate and `resume --accept-edit`'s check, against the SQLite outbox (no mocks)."""

from __future__ import annotations

import logging
from zoneinfo import ZoneInfo

import pytest

from bot.approval import entry_digest, post_digest
from bot.approvals import approve, revoke
from bot.model import Plan
from bot.services.approvalgate import ApprovalGate
from bot.services.approvalview import unapproved_edit
from bot.store.sqlite import SqliteOutbox
from tests.approvalfake import with_texts, x_post
from tests.fakes import T0

LIMA = ZoneInfo("America/Lima")


def _plan(*posts: object, required: bool = True) -> Plan:
    return Plan(LIMA, T0, tuple(posts), approval_required=required)  # type: ignore[arg-type]


def test_an_unapproved_post_is_blocked_once_logged_and_goes_once_approved(
    outbox: SqliteOutbox, caplog: pytest.LogCaptureFixture
) -> None:
    post = x_post()
    gate = ApprovalGate(outbox)
    gate.install(_plan(post))
    with caplog.at_level(logging.ERROR, "bot.approvals"):
        assert gate.blocked(post, None)[0].endswith(f"awaiting approval of digest {post_digest(post)[:12]}")
        assert gate.blocked(post, None)  # still blocked, not logged again
    assert sum("awaiting approval" in r.message for r in caplog.records) == 1
    polled: list[int] = []
    gate.poll(lambda: polled.append(1))
    gate.poll(lambda: polled.append(1))
    assert polled == [1]  # first look; nothing new since
    approve([post], outbox, post.id, post_digest(post), now=T0, by="ana")
    gate.poll(lambda: polled.append(1))
    assert polled == [1, 1]  # the approval is noticed
    assert gate.blocked(post, None) == []


def test_an_edit_after_approval_blocks_again_and_the_log_shows_the_diff(outbox: SqliteOutbox) -> None:
    post = with_texts(x_post(), "uno 1/2", "dos 2/2")
    gate = ApprovalGate(outbox)
    gate.install(_plan(post))
    approve([post], outbox, post.id, post_digest(post), now=T0, by="ana")
    edited = with_texts(post, "uno 1/2", "dos, editado 2/2")
    gate.install(_plan(edited))
    lines = gate.blocked(edited, None)
    assert "its text changed after ana approved" in lines[0]
    assert "  + dos, editado 2/2" in lines


def test_a_planned_entry_digest_can_explain_a_stale_approve(outbox: SqliteOutbox) -> None:
    post = with_texts(x_post(), "uno")
    ApprovalGate(outbox).install(_plan(post))
    whole = entry_digest({post.account.name: post_digest(post)})
    assert [k.texts for k in outbox.texts_for(whole)] == [("uno",)]


def test_without_approval_required_or_in_a_dry_run_nothing_is_blocked(outbox: SqliteOutbox) -> None:
    post = x_post()
    gate = ApprovalGate(outbox)
    gate.install(_plan(post, required=False))
    assert gate.blocked(post, None) == []
    dry = ApprovalGate(outbox, enforce=False)
    dry.install(_plan(post))
    assert dry.blocked(post, None) == []
    assert outbox.approval_count() == 0


def test_a_started_post_continues_with_its_frozen_text_while_it_is_approved(outbox: SqliteOutbox) -> None:
    post = x_post()
    gate = ApprovalGate(outbox)
    gate.install(_plan(post))
    approve([post], outbox, post.id, post_digest(post), now=T0, by="ana")
    outbox.freeze(post, T0)
    outbox.mark_sending(post.id, post.account.name, 1, T0)
    outbox.mark_sent(post.id, post.account.name, 1, "1", "https://x.com/a/status/1", T0)
    assert gate.blocked(post, outbox.post(post.id, post.account.name)) == []
    revoke([post], outbox, post.id, now=T0, by="jefe")  # issue 19: a revocation stops the rest of the thread
    assert "approval was withdrawn after publishing started" in gate.blocked(post, outbox.post(*post.key))[0]


def test_accept_edit_needs_the_new_text_approved_first(outbox: SqliteOutbox) -> None:
    post = with_texts(x_post(), "uno")
    approve([post], outbox, post.id, post_digest(post), now=T0, by="ana")
    edited = with_texts(post, "uno, editado")
    refusal = unapproved_edit(_plan(edited), edited, outbox)
    assert refusal is not None and "the edited text is not approved" in refusal and "python main.py approve" in refusal
    assert unapproved_edit(_plan(edited, required=False), edited, outbox) is None
    approve([edited], outbox, post.id, post_digest(edited), now=T0, by="ana")
    assert unapproved_edit(_plan(edited), edited, outbox) is None
