"""What each alert says: a short title, then what happened, to which post and account, and what to do.

The advice is `status`'s own (bot/advice.py), so the alert and the terminal say the same. Every input
is already safe to show (PublishError messages never hold a secret); AlertSender masks known secrets again.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from bot import advice
from bot.alerts.model import Alert, AlertKind
from bot.i18n import _, ngettext


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
    return Alert(
        "failure", _("Account {account} held: credentials rejected").format(account=account), body, post_id, account
    )


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
    return Alert(
        "failure",
        _("Post {post_id} refused on {account}").format(post_id=post_id, account=account),
        body,
        post_id,
        account,
    )


def unknown_after_lookups(post_id: str, account: str, index: int, total: int, reason: str) -> Alert:
    body = _(
        "Post {post_id} on {account}: fragment {index}/{total} was sent but no answer proved whether it was "
        "published (a timeout, a reset or a server error), and looking it up on the platform over the settling "
        "window did not settle whether it exists: {reason}\n"
        "Nothing more is sent for this post until it is settled, so it is never posted twice.\n"
        "What to do: {advice}."
    ).format(
        post_id=post_id,
        account=account,
        index=index,
        total=total,
        reason=reason,
        advice=advice.unknown(post_id, account, looking_up=False),
    )
    return Alert(
        "failure",
        _("Post {post_id} on {account}: outcome unknown").format(post_id=post_id, account=account),
        body,
        post_id,
        account,
    )


def missed(post_id: str, account: str, at: datetime, reason: str) -> Alert:
    body = _("Post {post_id} on {account}, due {at}, was not published: {reason}\nWhat to do: {post_id2}.").format(
        post_id=post_id, account=account, at=_when(at), reason=reason, post_id2=advice.try_again(post_id, account)
    )
    return Alert(
        "failure",
        _("Post {post_id} missed on {account}").format(post_id=post_id, account=account),
        body,
        post_id,
        account,
    )


def awaiting_approval(post_id: str, account: str, detail: str) -> Alert:
    """Due under `approval: required`, but its current text is not approved: not sent (see bot/approvals.py)."""
    body = _(
        "Post {post_id} on {account} is due and was not published: {detail}\nIt goes out as soon as "
        "its current text is approved: a post not yet started within --catch-up of its time, the remaining fragments "
        "of a thread already started (after a revoke) whenever it is.\nWhat to do: read it in "
        "`python main.py preview --format html`, then run the `python main.py approve` command it "
        "shows."
    ).format(post_id=post_id, account=account, detail=detail)
    return Alert(
        "failure",
        _("Post {post_id} on {account} awaiting approval").format(post_id=post_id, account=account),
        body,
        post_id,
        account,
    )


def conflict(post_id: str, account: str, detail: str) -> Alert:
    body = _(
        "Post {post_id} on {account} had started when its message changed: {detail}\nThe rest is "
        "not sent with a different text.\nWhat to do: {post_id2}."
    ).format(post_id=post_id, account=account, detail=detail, post_id2=advice.conflict(post_id, account))
    return Alert(
        "failure",
        _("Post {post_id} on {account}: message changed while publishing").format(post_id=post_id, account=account),
        body,
        post_id,
        account,
    )


def invalid_edit(schedule: str, problems: Sequence[str]) -> Alert:
    more = [_("... and {n} more").format(n=len(problems) - 5)] if len(problems) > 5 else []
    body = _(
        "{schedule} was edited while the daemon runs and is now invalid:\n{problems}\n"
        "The old plan keeps running unchanged until the file is valid again.\n"
        "What to do: fix the file (`python main.py validate` lists every problem); the daemon picks it up."
    ).format(schedule=schedule, problems="\n".join(f"  {line}" for line in [*problems[:5], *more]))
    return Alert("warning", _("{schedule} invalid: old plan still running").format(schedule=schedule), body)


def preflight_failed(post_id: str, account: str, at: datetime, problems: Sequence[str]) -> Alert:
    body = _(
        "Pre-flight check for post {post_id} on {account}, due {at}, failed:\n{problems}\nWhat to do: {advice}."
    ).format(
        post_id=post_id,
        account=account,
        at=_when(at),
        problems="\n".join(f"  - {p}" for p in problems),
        advice=advice.preflight(),
    )
    return Alert(
        "failure",
        _("Pre-flight failed: {post_id} on {account}").format(post_id=post_id, account=account),
        body,
        post_id,
        account,
    )


def preflight_passed(post_id: str, account: str, at: datetime) -> Alert:
    body = _("Pre-flight check for post {post_id} on {account}, due {at}: credentials and message OK.").format(
        post_id=post_id, account=account, at=_when(at)
    )
    return Alert(
        "info",
        _("Pre-flight OK: {post_id} on {account}").format(post_id=post_id, account=account),
        body,
        post_id,
        account,
    )


def daemon_started(posts_ahead: int, next_post: str | None = None, next_at: datetime | None = None) -> Alert:
    nxt = _("; next: {post_id} at {at}").format(post_id=next_post, at=_when(next_at)) if next_post and next_at else ""
    return Alert(
        "info",
        _("Bot started"),
        ngettext(
            "The daemon started with {posts_ahead} post ahead{nxt}.",
            "The daemon started with {posts_ahead} posts ahead{nxt}.",
            posts_ahead,
        ).format(posts_ahead=posts_ahead, nxt=nxt),
    )


def daemon_stopped(posts_ahead: int) -> Alert:
    kind: AlertKind = "warning" if posts_ahead else "info"
    body = ngettext(
        "The daemon stopped with {posts_ahead} post still ahead.",
        "The daemon stopped with {posts_ahead} posts still ahead.",
        posts_ahead,
    ).format(posts_ahead=posts_ahead)
    if posts_ahead:
        body += " " + _("Nothing is published until it runs again: start it before the next post's time.")
    return Alert(kind, _("Bot stopped"), body)


def post_published(post_id: str, account: str, urls: Sequence[str]) -> Alert:
    links = "\n".join(f"  {url}" for url in urls)
    body = ngettext(
        "Post {post_id} on {account} was published ({urls} part):\n{links}",
        "Post {post_id} on {account} was published ({urls} parts):\n{links}",
        len(urls),
    ).format(post_id=post_id, account=account, urls=len(urls), links=links)
    return Alert(
        "success",
        _("Published: {post_id} on {account}").format(post_id=post_id, account=account),
        body,
        post_id,
        account,
    )


def test_alert(now: datetime) -> Alert:
    return Alert(
        "info",
        _("Test alert from the Fiestas Patrias bot"),
        _(
            "This is a test sent by `python main.py alerts test` at {now:%Y-%m-%d %H:%M:%S %Z}. If you "
            "read it, alerts reach you."
        ).format(now=now),
    )
