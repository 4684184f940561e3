"""An in-memory ApprovalStore for unit tests (the reference behaviour the SQLite and PostgreSQL stores must match),
and the posts the approval tests share."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace

from bot.approvals import Approval, KnownText, Revocation
from bot.model import Fragment, Post
from tests.fakes import make_account, make_post


class MemoryApprovals:
    def __init__(self) -> None:
        self.log: list[Approval | Revocation] = []
        self.known: dict[tuple[str, str, str], KnownText] = {}

    def record_approval(self, approval: Approval) -> None:
        self.log.append(approval)

    def record_approvals(self, approvals: Sequence[Approval]) -> None:
        self.log.extend(approvals)

    def approval_count(self) -> int:
        return len(self.log)

    def revoke(self, revocation: Revocation) -> None:
        self.log.append(revocation)

    def latest_approval(self, post_id: str, account: str) -> Approval | None:
        for record in reversed(self.log):
            if (record.post_id, record.account) == (post_id, account):
                return record if isinstance(record, Approval) else None
        return None

    def approvals(self) -> list[Approval | Revocation]:
        return list(self.log)

    def remember_texts(self, known: KnownText) -> None:
        self.known.setdefault((known.digest, known.post_id, known.account), known)

    def texts_for(self, prefix: str) -> list[KnownText]:
        return [k for key, k in sorted(self.known.items()) if key[0].startswith(prefix)]


def x_post() -> Post:
    return make_post(texts=["¡Felices Fiestas Patrias!", "Viva el Perú"])


def fb_post() -> Post:
    return make_post(texts=["Viva el Perú"], account=make_account("facebook_page", "facebook"))


def with_texts(post: Post, *texts: str) -> Post:
    """`post` with exactly these fragment texts (numbering labels are whatever the texts say)."""
    fragments = tuple(Fragment(i, len(texts), text, len(text), 280, post.at) for i, text in enumerate(texts, start=1))
    return replace(post, fragments=fragments)
