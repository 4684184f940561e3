"""The daemon's side of `approval: required`: a due post goes out only if its current digest is approved.

A post that has started (a fragment sent, sending or in doubt) continues with its frozen content, approved when it
started (a change of that content is a conflict: see the outbox's freeze). A revocation stops it too: while the last
record of a started post is a revocation (or it has no approval at all), its remaining fragments wait, and go on
once it is approved again. A stopped post waits in `awaiting approval`; the daemon polls
the store's approval count every second (one cheap query, only while a post waits) and re-decides every post when
it changes, so an approval is acted on within about a second, from `approve` on this machine or another.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable

from bot.approval import approve_command, entry_digest, post_digest
from bot.approvals import ApprovalStore, KnownText, approval_state, awaiting
from bot.i18n import _
from bot.model import Plan, Post
from bot.states import STARTED
from bot.store import PostSummary

logger = logging.getLogger("bot.approvals")

Key = tuple[str, str]


def started(summary: PostSummary | None) -> bool:
    return summary is not None and any(summary.counts.get(state) for state in STARTED)


class ApprovalGate:
    """Whether a due post may be sent now. `enforce` False (a dry run): say so, and let it through."""

    def __init__(self, outbox: object, enforce: bool = True) -> None:
        # An outbox that keeps no approvals (a test's fake) gives an inert gate.
        self.store: ApprovalStore | None = outbox if isinstance(outbox, ApprovalStore) else None
        self.enforce = enforce
        self.required = False
        self._lock = threading.Lock()
        self._told: dict[Key, str] = {}  # post -> the digest it was logged as awaiting (log once per text)
        self._seen = -1  # the approval count the daemon last acted on

    def install(self, plan: Plan) -> None:
        """On every plan load and reload: the rule of this plan, and its texts kept so that a stale `approve`
        can show what changed."""
        self.required = plan.approval_required and self.store is not None
        if self.store is None or not self.required:
            return
        digests = {post.key: post_digest(post) for post in plan.posts}
        entries: dict[str, dict[str, str]] = {}
        for (post_id, account), digest in digests.items():
            entries.setdefault(post_id, {})[account] = digest
        whole = {post_id: entry_digest(by_account) for post_id, by_account in entries.items()}
        for post in plan.posts:  # under its own digest and its entry's (what `approve` without --account names)
            texts = tuple(f.text for f in post.fragments)
            for digest in (digests[post.key], whole[post.id]):
                self.store.remember_texts(KnownText(digest, post.id, post.account.name, texts))

    def blocked(self, post: Post, summary: PostSummary | None) -> list[str]:
        """Why `post` may not be sent now (logged at ERROR once per text); empty when it may."""
        if self.store is None or not self.required:
            return []
        if summary is not None and started(summary):
            return self._withdrawn(post, summary)
        state = approval_state(post, self.store, True)
        with self._lock:
            if state.may_publish:
                self._told.pop(post.key, None)
                return []
            first = self._told.get(post.key) != state.digest
            self._told[post.key] = state.digest
        lines = awaiting(post, state, self.store)
        if not self.enforce:
            if first:
                logger.warning(_("dry run: {line}; a real run would wait for the approval").format(line=lines[0]))
            return []
        if first:  # the failure alert is sent by the daemon's alerting hook (Outcome.AWAITING)
            for line in lines:
                logger.error("%s", line)
        return lines

    def _withdrawn(self, post: Post, summary: PostSummary) -> list[str]:
        """A started post goes on while it has an approval (its content is checked by freeze); revoked, it waits."""
        assert self.store is not None
        if self.store.latest_approval(post.id, post.account.name) is not None:
            with self._lock:
                self._told.pop(post.key, None)
            return []
        digest = post_digest(post)
        lines = [
            _(
                "post '{post}' for {account} is awaiting approval: its approval was withdrawn after publishing started "
                "({sent} of {total} fragments sent); the remaining fragments wait until it is approved again"
            ).format(post=post.id, account=post.account.name, sent=summary.sent, total=summary.total),
            _("to approve it again: {command}").format(command=approve_command(post.id, digest, post.account.name)),
        ]
        with self._lock:
            first = self._told.get(post.key) != "started " + digest
            self._told[post.key] = "started " + digest
        if not self.enforce:
            if first:
                logger.warning(_("dry run: {line}; a real run would wait for the approval").format(line=lines[0]))
            return []
        if first:
            for line in lines:
                logger.error("%s", line)
        return lines

    def waiting(self) -> bool:
        with self._lock:
            return bool(self._told)

    def poll(self, reconcile: Callable[[], None]) -> None:
        """Every second: `reconcile` when an approval or revocation was recorded since the last look. Only while a
        post waits (otherwise the post's own timer asks the store when it fires): one count query."""
        if self.store is None or not self.waiting():
            return
        count = self.store.approval_count()
        with self._lock:
            changed, self._seen = count != self._seen, count
        if changed:
            reconcile()


def revoke_effect(required: bool, summary: PostSummary | None) -> str:
    """What a revocation does to a post, for `revoke` (and any page that revokes) to say exactly."""
    if not required:
        return _("the schedule does not say `approval: required`: it is published anyway")
    if summary is not None and summary.total and summary.sent == summary.total:
        return _("it was already published: a revocation cannot take it back (delete it on the platform)")
    if summary is not None and started(summary):
        return _(
            "publishing had started ({sent} of {total} fragments sent): the remaining fragments are held until it is "
            "approved again; what was sent stays published"
        ).format(sent=summary.sent, total=summary.total)
    return _("it will not be published until it is approved again")
