"""What each alert says: a short title, then what happened, to which post and account, and what to do.

The advice is `status`'s own (bot/advice.py), so the alert and the terminal say the same. Every input
is already safe to show (PublishError messages never hold a secret); AlertSender masks known secrets again.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from bot import advice
from bot.alerts.model import Alert, AlertKind
from bot.i18n import _


def _when(at: datetime) -> str:
    return f"{at:%Y-%m-%d %H:%M %Z}".strip()


def account_held(account: str, variable: str | None, reason: str, post_id: str | None = None) -> Alert:
    body = _(
        "The platform rejected the credentials of account {account}{value}: {reason}\nNothing more "
        "is sent from this account until it is fixed; other accounts go on.\nWhat to do: {post_id}."
    ).format(
        account=account,
        value=f" (variable {variable})" if variable else "",
        reason=reason,
        post_id=advice.held(post_id, account, variable),
    )
    return Alert("failure", f"Account {account} held: credentials rejected", body, post_id, account)


def fragment_refused(post_id: str, account: str, index: int, total: int, reason: str) -> Alert:
    body = _(
        "Post {post_id} on {account}: fragment {index}/{total} was refused by the platform and "
        "will not be retried: {reason}\nWhat to do: {post_id2}."
    ).format(
        post_id=post_id,
        account=account,
        index=index,
        total=total,
        reason=reason,
        post_id2=advice.failed(post_id, account),
    )
    return Alert("failure", f"Post {post_id} refused on {account}", body, post_id, account)


def unknown_after_lookups(post_id: str, account: str, index: int, total: int, reason: str) -> Alert:
    body = _(
        "Post {post_id} on {account}: fragment {index}/{total} was sent but no answer came back, "
        "and looking it up on the platform did not settle whether it exists: {reason}\nNothing more "
        "is sent for this post until it is settled, so it is never posted twice.\nWhat to do: "
        "{post_id2}."
    ).format(
        post_id=post_id,
        account=account,
        index=index,
        total=total,
        reason=reason,
        post_id2=advice.unknown(post_id, account, looking_up=False),
    )
    return Alert("failure", f"Post {post_id} on {account}: outcome unknown", body, post_id, account)


def missed(post_id: str, account: str, at: datetime, reason: str) -> Alert:
    body = _("Post {post_id} on {account}, due {at}, was not published: {reason}\nWhat to do: {post_id2}.").format(
        post_id=post_id, account=account, at=_when(at), reason=reason, post_id2=advice.try_again(post_id, account)
    )
    return Alert("failure", f"Post {post_id} missed on {account}", body, post_id, account)


def awaiting_approval(post_id: str, account: str, detail: str) -> Alert:
    """Due under `approval: required`, but its current text is not approved: not sent (see bot/approvals.py)."""
    body = _(
        "Post {post_id} on {account} is due and was not published: {detail}\nIt goes out as soon as "
        "its current text is approved, within --catch-up of its time.\nWhat to do: read it in "
        "`python main.py preview --format html`, then run the `python main.py approve` command it "
        "shows."
    ).format(post_id=post_id, account=account, detail=detail)
    return Alert("failure", f"Post {post_id} on {account} awaiting approval", body, post_id, account)


def conflict(post_id: str, account: str, detail: str) -> Alert:
    body = _(
        "Post {post_id} on {account} had started when its message changed: {detail}\nThe rest is "
        "not sent with a different text.\nWhat to do: {post_id2}."
    ).format(post_id=post_id, account=account, detail=detail, post_id2=advice.conflict(post_id, account))
    return Alert("failure", f"Post {post_id} on {account}: message changed while publishing", body, post_id, account)


def invalid_edit(schedule: str, problems: Sequence[str]) -> Alert:
    shown = list(problems[:5]) + ([f"... and {len(problems) - 5} more"] if len(problems) > 5 else [])
    body = (
        f"{schedule} was edited while the daemon runs and is now invalid:\n"
        + "\n".join(f"  {line}" for line in shown)
        + "\nThe old plan keeps running unchanged until the file is valid again.\n"
        "What to do: fix the file (`python main.py validate` lists every problem); the daemon picks it up."
    )
    return Alert("warning", f"{schedule} invalid: old plan still running", body)


def preflight_failed(post_id: str, account: str, at: datetime, problems: Sequence[str]) -> Alert:
    body = (
        f"Pre-flight check for post {post_id} on {account}, due {_when(at)}, failed:\n"
        + "\n".join(f"  - {p}" for p in problems)
        + f"\nWhat to do: {advice.preflight()}."
    )
    return Alert("failure", f"Pre-flight failed: {post_id} on {account}", body, post_id, account)


def preflight_passed(post_id: str, account: str, at: datetime) -> Alert:
    body = _("Pre-flight check for post {post_id} on {account}, due {at}: credentials and message OK.").format(
        post_id=post_id, account=account, at=_when(at)
    )
    return Alert("info", f"Pre-flight OK: {post_id} on {account}", body, post_id, account)


def daemon_started(posts_ahead: int, next_post: str | None = None, next_at: datetime | None = None) -> Alert:
    nxt = f"; next: {next_post} at {_when(next_at)}" if next_post and next_at else ""
    return Alert("info", "Bot started", f"The daemon started with {posts_ahead} post(s) ahead{nxt}.")


def daemon_stopped(posts_ahead: int, reason: str = "stopped") -> Alert:
    kind: AlertKind = "warning" if posts_ahead else "info"
    body = _("The daemon {reason} with {posts_ahead} post(s) still ahead.").format(
        reason=reason, posts_ahead=posts_ahead
    )
    if posts_ahead:
        body += " Nothing is published until it runs again: start it before the next post's time."
    return Alert(kind, "Bot stopped", body)


def post_published(post_id: str, account: str, urls: Sequence[str]) -> Alert:
    links = "\n".join(f"  {url}" for url in urls)
    body = _("Post {post_id} on {account} was published ({urls} part(s)):\n{links}").format(
        post_id=post_id, account=account, urls=len(urls), links=links
    )
    return Alert("success", f"Published: {post_id} on {account}", body, post_id, account)


def test_alert(now: datetime) -> Alert:
    return Alert(
        "info",
        "Test alert from the Fiestas Patrias bot",
        f"This is a test sent by `python main.py alerts test` at {now:%Y-%m-%d %H:%M:%S %Z}. "
        "If you read it, alerts reach you.",
    )
