"""What the page shows when it is served by `serve` to a signed-in person: who is signed in, the approve and
revoke forms (each with the CSRF token and the full digest shown), and the notice the live script reveals.

The same page as `preview --format html` otherwise (one rendering): bot/html/page.py and cards.py call these
only when given a WebParts. Every value is escaped as it is formatted in.
"""

from __future__ import annotations

from dataclasses import dataclass

from markupsafe import Markup

from bot.approval import ApprovalState
from bot.i18n import _
from bot.model import Post
from bot.states import FragmentState, PostState
from bot.statewords import post_state

SCRIPT = "/static/live.js"


@dataclass(frozen=True)
class WebParts:
    """The signed-in person and the page's CSRF token (never the session's own token)."""

    csp: str  # the page's Content-Security-Policy (the server also sends it as a header)
    csrf: str
    name: str
    role: str

    @property
    def can_approve(self) -> bool:
        return self.role == "approver"

    def __repr__(self) -> str:
        return f"WebParts(name={self.name!r}, role={self.role!r})"


_HIDDEN = Markup('<input type="hidden" name="{}" value="{}">')


def _form(action: str, fields: dict[str, str], button: str, web: WebParts, extra: Markup | None = None) -> Markup:
    hidden = Markup("").join(_HIDDEN.format(name, value) for name, value in fields.items())
    return Markup(
        '<form class="act act-{kind}" method="post" action="{action}">{hidden}{csrf}{extra}'
        '<button type="submit">{button}</button></form>'
    ).format(
        kind=action.strip("/"),
        action=action,
        hidden=hidden,
        csrf=_HIDDEN.format("csrf", web.csrf),
        extra=extra or "",
        button=button,
    )


def approval_forms(post: Post, state: ApprovalState, entry_digest: str | None, web: WebParts | None) -> Markup:
    """Approve (this account; every account of the entry) while not approved; revoke, with a note, once it is."""
    if web is None or not web.can_approve:
        return Markup("")
    account = post.account.name
    if state.approval is not None:
        note = Markup(
            '<label class="note">{} <input type="text" name="note" maxlength="1000" autocomplete="off"></label>'
        ).format(_("Note (optional)"))
        button = _("Revoke the approval for {account}").format(account=account)
        forms = [_form("/revoke", {"post": post.id, "account": account}, button, web, note)]
    else:
        button = _("Approve this text for {account}").format(account=account)
        forms = [_form("/approve", {"post": post.id, "account": account, "digest": state.digest}, button, web)]
        if entry_digest is not None:
            every = _("Approve every account of {post}").format(post=post.id)
            forms.append(_form("/approve", {"post": post.id, "digest": entry_digest}, every, web))
    return Markup('<div class="actions">{}</div>').format(Markup("").join(forms))


def session_bar(web: WebParts | None) -> Markup:
    if web is None:
        return Markup("")
    role = _("approver") if web.can_approve else _("viewer (reads only)")
    return Markup(
        '<div class="session-bar"><p>{signed} <strong class="user-name">{name}</strong> · {role}</p>{logout}</div>'
        '<p class="live-notice" id="live-notice" hidden>{notice}</p>'
    ).format(
        signed=_("Signed in as"),
        name=web.name,
        role=role,
        logout=_form("/logout", {}, _("Sign out"), web),
        notice=_("The approvals changed since this page was loaded: reload it to approve what it shows now."),
    )


def script_tag(web: WebParts | None) -> Markup:
    """The live script, with the state words it writes in the page's language (JSON keeps the English values)."""
    if web is None:
        return Markup("")
    import json  # only a served page needs it

    words = {str(state): post_state(state) for state in PostState}
    words["fragment-sent"] = post_state(FragmentState.SENT)
    data = json.dumps(words, ensure_ascii=False, sort_keys=True)
    return Markup('<script src="{}" data-words="{}" defer></script>\n').format(SCRIPT, data)


def footer(web: WebParts) -> Markup:
    return Markup('<footer class="page-foot"><p>{}</p></footer>\n').format(
        _(
            "Served by `python main.py serve` from the current schedule, messages and outbox. The states update "
            "by themselves every few seconds; approving sends the digest shown above, and is refused if the "
            "text changed since the page was loaded."
        )
    )


WEB_CSS = """
.session-bar { display: flex; justify-content: space-between; align-items: center; gap: 12px; flex-wrap: wrap;
  margin-top: 10px; font-size: .92rem; }
.actions { display: flex; flex-wrap: wrap; gap: 8px; margin: .4em 0; }
form.act { display: flex; gap: 6px; align-items: center; flex-wrap: wrap; margin: 0; }
form.act button { font: inherit; font-size: .9rem; padding: .35em .8em; border-radius: 6px; cursor: pointer;
  border: 1px solid #7cc49a; background: #e9f7ef; color: #176b34; }
form.act-revoke button, form.act-logout button { border-color: #dde2e8; background: #fff; color: #17191c; }
.live-notice { margin-top: 10px; padding: 8px 12px; border-radius: 8px; background: #fff5e0; color: #7a4a00; }
"""
