"""What a person should do about a post's state: the one wording shared by `status` and the alerts.

Pure strings: `status` prints these as "what to do", the alert texts (bot/alerts/texts.py) end with them, so
the office reads the same advice in the terminal and in the e-mail.
"""

from __future__ import annotations

from bot.i18n import _


def resume_command(post_id: str, account: str, extra: str = "") -> str:
    return _("python main.py resume {post_id} --account {account}{extra}").format(
        post_id=post_id, account=account, extra=extra
    )


def held(post_id: str | None, account: str, variable: str | None = None) -> str:
    what = _("fix {variable} in .env").format(variable=variable) if variable else _("fix the variable in .env")
    then = resume_command(post_id, account) if post_id else f"python main.py resume POST_ID --account {account}"
    return _("{what}, then restart the daemon or run `{then}`").format(what=what, then=then)


def conflict(post_id: str, account: str) -> str:
    command = resume_command(post_id, account, " --accept-edit")
    return _("`{command}` continues with the new text, or restore the message file").format(command=command)


def try_again(post_id: str, account: str) -> str:
    """A missed post: resume publishes it."""
    return _("`{post_id}` tries it again").format(post_id=resume_command(post_id, account))


def failed(post_id: str, account: str) -> str:
    """A fragment refused for good."""
    return _("fix the cause, then {try_again}").format(try_again=try_again(post_id, account))


def unknown(post_id: str, account: str, looking_up: bool = True) -> str:
    """A post in doubt: while the daemon still looks it up by itself, and once its look-ups are spent."""
    head = _("the running daemon looks the fragment up again by itself, with backoff; to do it at once, ")
    if not looking_up:
        head = _("the daemon has stopped looking it up; ")
    return _("{head}`{post_id}`; if it stays unknown, check the account on the platform").format(
        head=head, post_id=resume_command(post_id, account)
    )


def preflight() -> str:
    return _(
        "fix it before the post's time (`python main.py check` checks again at once); the daemon re-checks every "
        "10 minutes, and at the post's time publishing is tried as usual"
    )
