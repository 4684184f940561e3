"""Each planned post's approval as `status`, the previews and the HTML page show it (one reading, one wording)."""

from __future__ import annotations

from pathlib import Path

from bot.approval import ApprovalState, approve_command, post_digest, short
from bot.i18n import _
from bot.model import Plan, Post

Key = tuple[str, str]


def approval_states(plan: Plan, outbox: object | None) -> dict[Key, ApprovalState]:
    """Every post's digest and approval; nothing approved when `outbox` keeps no approvals (None: no outbox)."""
    required = plan.approval_required
    if outbox is None:  # the common dry run: no outbox yet, so the approval services and stores are not loaded
        return {post.key: ApprovalState(required, post_digest(post), None) for post in plan.posts}
    from bot.approvals import ApprovalStore, approval_state

    if not isinstance(outbox, ApprovalStore):
        return {post.key: ApprovalState(required, post_digest(post), None) for post in plan.posts}
    return {post.key: approval_state(post, outbox, required) for post in plan.posts}


def approval_words(post_id: str, account: str, state: ApprovalState) -> str:
    """One line: "approved by NAME at TIME (digest D)", or "awaiting approval of digest D"."""
    if state.approval is not None:
        when = state.approval.at.isoformat(timespec="seconds")
        return _("approved by {by} at {when} (digest {digest})").format(
            by=state.approval.by, when=when, digest=short(state.digest)
        )
    if not state.required:
        return _("digest {digest} (approval not required)").format(digest=short(state.digest))
    words = _("awaiting approval of digest {digest}").format(digest=short(state.digest))
    if state.outdated is not None:
        words += _(" (the text changed after {by} approved {digest})").format(
            by=state.outdated.by, digest=short(state.outdated.digest)
        )
    return words


def command_for(post_id: str, account: str, state: ApprovalState) -> str:
    """The `approve` command of one account of a post, with the whole digest (nothing shorter is accepted)."""
    return approve_command(post_id, state.digest, account)


def read_approvals(plan: Plan, state_dir: Path | None) -> dict[Key, ApprovalState]:
    """The approvals recorded in the state folder's outbox (default ./state), read only: a folder without an
    outbox is not created, and then nothing is approved. Raises OutboxError (a damaged or newer database)."""
    from bot.services.statefolder import open_outbox
    from bot.store.sqlite_schema import DB_NAME

    folder = Path("state") if state_dir is None else state_dir
    if not (folder / DB_NAME).exists():
        return approval_states(plan, None)
    outbox = open_outbox(folder)
    try:
        return approval_states(plan, outbox)
    finally:
        if outbox is not None:
            outbox.close()


def unapproved_edit(plan: Plan, post: Post, outbox: object) -> str | None:
    """Why `resume --accept-edit` may not adopt the post's new text: under `approval: required` it must be
    approved first (the part already sent stays as it was). None when it may."""
    if not plan.approval_required:
        return None
    state = approval_states(Plan(plan.timezone, plan.now, (post,), approval_required=True), outbox)[post.key]
    if state.may_publish:
        return None
    return _(
        "post {id} account {name}: the edited text is not approved (digest {digest})\n    hint: "
        "read it in the preview, run `{id2}`, then resume again"
    ).format(
        id=post.id,
        name=post.account.name,
        digest=short(state.digest),
        id2=command_for(post.id, post.account.name, state),
    )
