"""Looking a fragment in doubt up on the platform, and the accepted text that replaces it (moved out of runner.py,
which is at the 400-line limit)."""

from __future__ import annotations

import logging

from bot.i18n import _
from bot.model import Fragment, Post
from bot.publishers.base import Published, Publisher, PublishError
from bot.store import FragmentRecord

logger = logging.getLogger("bot.runner")  # the runner's log lines keep their name


class Lookup:
    """The result of looking a text up on the platform: found, absent, or the lookup failed."""

    def __init__(self, found: Published | None, error: str | None) -> None:
        self.found = found
        self.error = error


def look_up(publisher: Publisher, text: str) -> Lookup:
    try:
        return Lookup(publisher.find_recent(text), None)
    except PublishError as error:
        return Lookup(None, _("lookup failed: {error}").format(error=error))
    except Exception as error:  # a bug in the adapter: the lookup told us nothing
        logger.exception(
            _("unexpected {error} from find_recent (a bug in the publisher)").format(error=type(error).__name__)
        )
        return Lookup(
            None,
            _("lookup failed with unexpected {__name__}: {error}").format(__name__=type(error).__name__, error=error),
        )


def superseding(post: Post, record: FragmentRecord) -> Fragment | None:
    """The post's accepted fragment that replaces `record`'s frozen text, when they differ (None: keep it). A fragment
    in doubt keeps its old text through `resume --accept-edit` so it can be looked up; not found, it goes out as
    approved now, never as the superseded text."""
    if record.index > len(post.fragments):
        return None
    fragment = post.fragments[record.index - 1]
    return fragment if fragment.text != record.text else None
