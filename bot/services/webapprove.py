"""Approve and revoke from the web page: the `approve` / `revoke` services, with the signed-in person, the time
and the client address recorded, and every act in the audit trail.

The page sends the full 64-hex digest it shows; a prefix is refused (a page can always carry all of it). How
an approval was made is kept in its `by` (bot/services/approvedby.py).
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from datetime import datetime
from typing import Protocol

from bot.approval import ApprovalError, MalformedDigest
from bot.approvals import ApprovalStore, ApproveResult, RevokeResult, approve, revoke
from bot.i18n import _
from bot.model import Post
from bot.services.approvedby import web_by
from bot.services.webusers import WebStore, audit

FULL_DIGEST = re.compile(r"[0-9a-f]{64}")


class WebApprovalStore(ApprovalStore, WebStore, Protocol):
    """The outbox: approvals and the web's users and audit trail."""

    def close(self) -> None: ...


def web_approve(
    posts: Iterable[Post],
    store: WebApprovalStore,
    post_id: str,
    digest: str,
    account: str | None,
    *,
    name: str,
    address: str,
    now: datetime,
) -> ApproveResult:
    """Raises an ApprovalError (nothing recorded; the refusal is audited)."""
    where = f"{post_id} {account or 'all accounts'}"
    try:
        if not FULL_DIGEST.fullmatch(digest):
            raise MalformedDigest(
                _("the digest must be the 64 hex digits the page shows"), _("reload the page and approve again")
            )
        result = approve(posts, store, post_id, digest, now=now, account=account, by=web_by(name, address))
    except ApprovalError as error:
        audit(store, "approve-refused", now, name, address, f"{where} {digest[:64]}: {type(error).__name__}")
        raise
    for record in result.approved:
        audit(store, "approve", now, name, address, f"{record.post_id} {record.account} {record.digest}")
    return result


def web_revoke(
    posts: Iterable[Post],
    store: WebApprovalStore,
    post_id: str,
    account: str | None,
    note: str | None,
    *,
    name: str,
    address: str,
    now: datetime,
) -> RevokeResult:
    try:
        result = revoke(posts, store, post_id, now=now, account=account, by=web_by(name, address), note=note)
    except ApprovalError as error:
        where = f"{post_id} {account or 'all accounts'}"
        audit(store, "revoke-refused", now, name, address, f"{where}: {type(error).__name__}")
        raise
    for record in result.revoked:
        audit(store, "revoke", now, name, address, f"{record.post_id} {record.account}")
    return result
