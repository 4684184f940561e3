"""The daemon's log lines (logger `bot.daemon`), in the language in use: one function per sentence.

Kept out of daemon.py, which is at the 400-line limit; each sentence is a catalog message with its values by name.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from datetime import datetime

from bot.i18n import _
from bot.problems import Problem, report_lines

logger = logging.getLogger("bot.daemon")  # the name its log lines have always had

Key = tuple[str, str]


def problems(found: Sequence[Problem]) -> None:
    for line in report_lines(found):
        logger.error("%s", line)


def watch_failed(error: BaseException) -> None:
    logger.error(_("reload check failed: {error}").format(error=error))


def started(posts: int, schedule: object, dry_run: bool) -> None:
    text = _("daemon started: {posts} posts in {schedule}").format(posts=posts, schedule=schedule)
    logger.info(text + (_(" (dry run)") if dry_run else ""))


def stopped() -> None:
    logger.info(_("daemon stopped"))


def decided(key: Key, kind: str, reason: str) -> None:
    logger.info(
        _("post {post_id} account {account}: {kind} {reason}").format(
            post_id=key[0], account=key[1], kind=kind, reason=reason
        )
    )


def runs_at(key: Key, at: datetime, reason: str) -> None:
    logger.info(
        _("post {post_id} account {account}: runs at {at} ({reason})").format(
            post_id=key[0], account=key[1], at=at.isoformat(), reason=reason
        )
    )


def already_running(key: Key) -> None:
    logger.info(
        _("post {post_id} account {account}: already publishing; its run decides what comes next").format(
            post_id=key[0], account=key[1]
        )
    )


def run_failed(key: Key, error: BaseException, retrying: bool) -> None:
    why = f"{type(error).__name__}: {error}"
    if retrying:
        text = _("post {post_id} account {account}: run failed ({why}); retrying")
    else:
        text = _("post {post_id} account {account}: run failed ({why}); giving up until restart")
    logger.error(text.format(post_id=key[0], account=key[1], why=why))


def ended(key: Key, kind: str, message: str) -> None:
    logger.error(
        _("post {post_id} account {account} {kind}: {message}; see `python main.py status`").format(
            post_id=key[0], account=key[1], kind=kind, message=message
        )
    )


def published(key: Key, message: str) -> None:
    logger.info(
        _("post {post_id} account {account} published: {message}").format(
            post_id=key[0], account=key[1], message=message
        )
    )


def stopped_between(key: Key) -> None:
    logger.info(
        _("post {post_id} account {account} stopped between fragments; a restart continues it").format(
            post_id=key[0], account=key[1]
        )
    )


def look_up_later(key: Key, message: str, at: datetime, attempt: int, attempts: int) -> None:
    logger.warning(
        _(
            "post {post_id} account {account}: outcome unknown ({message}); looked up again at {at} "
            "({attempt}/{attempts})"
        ).format(
            post_id=key[0],
            account=key[1],
            message=message,
            at=at.isoformat(timespec="seconds"),
            attempt=attempt,
            attempts=attempts,
        )
    )


def held(key: Key, reason: str) -> None:
    logger.error(
        _("post {post_id} account {account} held, not sent: {reason}").format(
            post_id=key[0], account=key[1], reason=reason
        )
    )


def resume_requested() -> None:
    logger.info(_("resume requested: credentials re-read, outbox re-read"))


def reload_failed(why: str, count: int) -> None:
    logger.error(
        _("reload ({why}): {count} errors, listed above; the previous plan keeps running").format(why=why, count=count)
    )


def removed(key: Key) -> None:
    logger.info(
        _("post {post_id} account {account} removed from the schedule: it will not be published").format(
            post_id=key[0], account=key[1]
        )
    )


def added(key: Key) -> None:
    logger.info(_("post {post_id} account {account} added to the schedule").format(post_id=key[0], account=key[1]))


def reloaded(why: str, posts: int) -> None:
    logger.info(_("reload ({why}): {posts} posts").format(why=why, posts=posts))
