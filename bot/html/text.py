"""Message text -> escaped HTML: links, hashtags and mentions marked; Facebook paragraphs and its fold.

Every function here returns markupsafe.Markup: message text is escaped when it is formatted into a Markup
template or joined to one, so only the templates written here are ever trusted as HTML.
"""

from __future__ import annotations

import re

from markupsafe import Markup, escape

from bot.measure import url_spans
from bot.problems import shown

# Facebook does not document where it folds a long post behind "See more". Third-party measurements put it at
# about 477 characters on a computer and about 125 on a phone; it also depends on line breaks and the width of
# the screen. Approximate, then: the marker shows the editor roughly what readers see first.
FACEBOOK_FOLD_CHARS = 477
FACEBOOK_FOLD_CHARS_PHONE = 125

# X's rules, simplified: a hashtag has at least one letter and does not follow a word character or '&'
# (HTML entities); a mention is 1-15 ASCII word characters not preceded by one (e-mail addresses are not).
_HASHTAG = re.compile(r"(?<![\w&#＃])[#＃](?=\w*[^\W\d_])\w+")
_MENTION = re.compile(r"(?<![A-Za-z0-9_@＠!#$%&*.])[@＠][A-Za-z0-9_]{1,15}(?![A-Za-z0-9_@＠])")
_SCHEME = re.compile(r"https?://", re.IGNORECASE)
_PARAGRAPH_BREAK = re.compile(r"\n\s*\n")
_LINE_BREAK = re.compile(r"\n")
_URL = Markup('<a class="link url" href="{}" rel="noopener noreferrer">{}</a>')
_TAG = Markup('<span class="link {}">{}</span>')


def href(url: str) -> str:
    """A message URL as a link target; X links scheme-less URLs such as rree.gob.pe as https."""
    return url if _SCHEME.match(url) else "https://" + url


def web_link(url: str, css_class: str) -> Markup:
    """An <a> for an http(s) URL; any other scheme (console://, javascript:) stays plain text."""
    if not _SCHEME.match(url):
        return Markup('<span class="{}">{}</span>').format(css_class, url)
    return Markup('<a class="{0}" href="{1}" rel="noopener noreferrer">{1}</a>').format(css_class, url)


def rich(text: str, *, mentions: bool = True) -> Markup:
    """Escaped `text` with its URLs as links and its hashtags and @mentions styled like links.

    URLs are <a href> (nothing is fetched until a person clicks, and the editor can check where they go);
    hashtags and mentions are spans: their targets are not part of the message.
    """
    tokens = [(start, end, "url") for start, end in url_spans(text)]
    patterns = [("hashtag", _HASHTAG)] + ([("mention", _MENTION)] if mentions else [])
    for kind, pattern in patterns:
        for match in pattern.finditer(text):
            start, end = match.span()
            if not any(start < t_end and t_start < end for t_start, t_end, _ in tokens):
                tokens.append((start, end, kind))
    out: list[Markup] = []
    position = 0
    for start, end, kind in sorted(tokens):
        out.append(escape(shown(text[position:start])))  # a control or bidi character escaped, never raw
        token = text[start:end]
        if kind == "url":
            out.append(_URL.format(href(token), shown(token)))
        else:
            out.append(_TAG.format(kind, shown(token)))
        position = end
    out.append(escape(shown(text[position:])))
    return Markup("").join(out)


def fold_offset(text: str, limit: int = FACEBOOK_FOLD_CHARS) -> int | None:
    """Where Facebook's "See more" falls: the end of the last word that ends within `limit` characters.

    None when the text is not longer than `limit`. A text without a space that early is cut at `limit`.
    """
    if len(text) <= limit:
        return None
    cut = next((i for i in range(limit, 0, -1) if text[i].isspace()), 0)
    while cut > 0 and text[cut - 1].isspace():
        cut -= 1
    return cut if cut > 0 else limit


def _pieces(text: str, start: int, end: int, separator: re.Pattern[str]) -> list[tuple[int, int]]:
    """[start, end) spans of text[start:end] between the matches of `separator`, as offsets into `text`."""
    spans = []
    for match in separator.finditer(text, start, end):
        spans.append((start, match.start()))
        start = match.end()
    spans.append((start, end))
    return spans


def facebook_html(text: str, fold_marker: Markup, fold: int | None) -> Markup:
    """Paragraphs (blank lines) as <p>, line breaks as <br>, and `fold_marker` inserted at offset `fold`."""
    paragraphs: list[Markup] = []
    for p_start, p_end in _pieces(text, 0, len(text), _PARAGRAPH_BREAK):
        if not text[p_start:p_end].strip():
            continue
        lines: list[Markup] = []
        for start, end in _pieces(text, p_start, p_end, _LINE_BREAK):
            if fold is not None and start <= fold <= end:
                # the marker goes at the end of a word, so no URL or hashtag is cut in two
                before, after = rich(text[start:fold], mentions=False), rich(text[fold:end], mentions=False)
                lines.append(before + fold_marker + after)
                fold = None
            else:
                lines.append(rich(text[start:end], mentions=False))
        paragraphs.append(Markup("<p>{}</p>").format(Markup("<br>").join(lines)))
    return Markup("").join(paragraphs)
