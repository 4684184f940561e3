"""Plan (+ outbox state) -> one self-contained HTML page for the people who approve the campaign.

The page has no scripts and loads nothing: the CSS is inline, a Content-Security-Policy forbids every other
resource, and the only links are the message's own URLs and those of fragments already sent (an <a href> is
not fetched until someone clicks it). The page is built from markupsafe.Markup templates: everything that
comes from the schedule, the messages or the outbox is escaped as it is formatted in, unless it is itself
Markup made here. Never wrap outside text in Markup(...), nor an f-string holding it: pass it as a
format argument.

Stable markup (tests/test_html_preview.py and the browser test rely on it):

- summary at the top: ``<section class="summary">``; one ``<section class="day">`` with an ``<h2>`` per day;
- a post: ``<article class="post post-x|post-facebook" data-post="ID" data-account="NAME">``;
- an X thread: ``<ol class="thread">`` of ``<li class="fragment" data-index="I">``, each with
  ``<span class="length">271/280</span>`` (plus class ``over`` beyond the limit);
- a Facebook post: ``<div class="fb-text" lang="es">`` (the message's front matter ``lang`` if any), with
  ``<span class="fold-marker">… See more …</span>`` where Facebook folds a long post;
- states from the outbox: ``<span class="state state-WORD">`` on posts (the words of `status`) and fragments
  (the outbox's fragment states, or ``scheduled`` when not recorded yet).
"""

from bot.html.page import render_html
from bot.html.state import OutboxView, read_outbox
from bot.html.text import FACEBOOK_FOLD_CHARS

__all__ = ["FACEBOOK_FOLD_CHARS", "OutboxView", "read_outbox", "render_html"]
