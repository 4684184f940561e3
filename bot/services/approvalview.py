"""Each planned post's approval as `status`, the previews and the HTML page show it (one reading, one wording)."""

from __future__ import annotations

from bot.approval import approve_command, post_digest, short
from bot.approvals import ApprovalState, ApprovalStore, approval_state
from bot.model import Plan

Key = tuple[str, str]


def approval_states(plan: Plan, outbox: object | None) -> dict[Key, ApprovalState]:
    """Every post's digest and approval; nothing approved when `outbox` keeps no approvals (None: no outbox)."""
    required = plan.approval_required
    if not isinstance(outbox, ApprovalStore):
        return {post.key: ApprovalState(required, post_digest(post), None) for post in plan.posts}
    return {post.key: approval_state(post, outbox, required) for post in plan.posts}


def approval_words(post_id: str, account: str, state: ApprovalState) -> str:
    """One line: "approved by NAME at TIME (digest D)", or "awaiting approval of digest D"."""
    if state.approval is not None:
        when = state.approval.at.isoformat(timespec="seconds")
        return f"approved by {state.approval.by} at {when} (digest {short(state.digest)})"
    if not state.required:
        return f"digest {short(state.digest)} (approval not required)"
    words = f"awaiting approval of digest {short(state.digest)}"
    if state.outdated is not None:
        words += f" (the text changed after {state.outdated.by} approved {short(state.outdated.digest)})"
    return words


def command_for(post_id: str, account: str, state: ApprovalState) -> str:
    return approve_command(post_id, state.digest, account)
