"""Post length as X and Facebook count it.

X: twitter-text 3.x weighted length (config v3.json), as the published counters compute it (PyPI
twitter-text-parser 3.0.0 and npm twitter-text 3.1.0; the larger reading where they differ). NFC, then
  * every URL counts ``TRANSFORMED_URL_LENGTH`` (23) whatever its length. URLs are found with
    twitter-text's extractor, with or without scheme: a bare ``name.tld`` of any TLD in its lists
    is a URL (``gob.pe``, ``x.ai``, ``rree.gob.pe``, ``www.gob.pe/rree``, ``https://x.com/a?b=c``);
  * an emoji of twitter-text's fixed list (Unicode emoji-test 12.0: keycaps, flags, skin tones,
    ZWJ sequences of 2019) counts as one default-weight unit: 2. Newer sequences are not in the
    list and count per code point: ``🐻‍❄️`` is bear (2) + ZWJ (1) + snowflake-VS16 (2) = 5. The npm
    counter's list (twemoji-parser's) lacks some: ``🧑‍🤝‍🧑`` is 2 there and 8 here, the larger reading;
  * every other code point (not UTF-16 unit) weighs 1 inside the v3 ranges and 2 elsewhere.
Facebook: number of code points.

Deliberate choices where X may count more than the published Python counter (never less):
  * ``"\\r\\n"`` counts two code points, the larger reading: the Python counter folds the pair
    into one newline first. The message loader normalises line endings anyway.
  * Whitespace-only text is measured like any other text but :func:`x_is_valid` rejects it (as the
    Java port does).
"""

from __future__ import annotations

import bisect
import functools
import re
import unicodedata
from collections.abc import Callable, Iterator
from typing import NamedTuple, TypeAlias

Measure: TypeAlias = Callable[[str], int]

# twitter-text config/v3.json
MAX_WEIGHTED_TWEET_LENGTH = 280
SCALE = 100
DEFAULT_WEIGHT = 200
TRANSFORMED_URL_LENGTH = 23
EMOJI_PARSING_ENABLED = True
WEIGHT_RANGES: tuple[tuple[int, int, int], ...] = (
    (0, 4351, 100),
    (8192, 8205, 100),
    (8208, 8223, 100),
    (8242, 8247, 100),
)

# Limits from twitter-text's extractor.
_MAX_URL_LENGTH = 4096
_MAX_TCO_SLUG_LENGTH = 40
# Characters that make a tweet invalid wherever they appear.
_INVALID_CHARACTERS = "\ufffe\ufeff\uffff"

# Every weighted range has the same weight, so a code point weighs either that (light) or the
# default weight (heavy); one regex then finds all heavy code points.
_LIGHT_WEIGHT = WEIGHT_RANGES[0][2]
_HEAVY = re.compile("[^" + "".join(f"\\U{lo:08x}-\\U{hi:08x}" for lo, hi, _ in WEIGHT_RANGES) + "]")

# Character sets of twitter-text's URL patterns. The whole URL pattern is case-insensitive, as in
# twitter-text, which also makes e.g. the Kelvin sign match "k" (Python's case folding).
_LATIN_ACCENTS = (
    "\u00c0-\u00d6\u00d8-\u00f6\u00f8-\u00ff\u0100-\u024f\u0253\u0254\u0256\u0257\u0259\u025b"
    "\u0263\u0268\u026f\u0272\u0289\u028b\u02bb\u0300-\u036f\u1e00-\u1eff"
)
_CYRILLIC = "\u0400-\u04ff"
_PUNCT = r"!'#%&()*+,\\\-./:;<=>?@\[\]\^_{|}~$"
_SPACES = "\t-\r \x85\xa0\u1680\u180e\u2000-\u200a\u2028\u2029\u202f\u205f\u3000"
_DIRECTIONAL = "\u202a-\u202e\u061c\u200e\u200f\u2066-\u2069"
_TLD_END = r"(?=[^0-9a-z@+\-]|$)"
_QUERY = r"\?[a-z0-9!?*'@();:&=+$/%#\[\]\-_.,~|]*[a-z0-9\-_&=#/]"
# The code points of _SPACES, for quick membership tests.
_SPACE_SET = frozenset("\t\n\v\f\r \x85\xa0\u1680\u180e\u2028\u2029\u202f\u205f\u3000") | frozenset(
    map(chr, range(0x2000, 0x200B))
)
# Where a listed emoji may start (tests/test_measure.py checks it against the list): keycap bases
# before VS16 or U+20E3, (C), (R), and code points from U+203C. Prose without one (Spanish
# punctuation is below U+203C) spares loading the list. A coarse class: re scans a class of many
# astral ranges slowly; the table's look-up then refines it.
_EMOJI_HINT = re.compile(r"[#*0-9](?=[\ufe0f\u20e3])|[\xa9\xae\u203c-\U0010ffff]")
# Every URL has a '.' right before its TLD, and every TLD (and "xn--") starts with a letter: a cheap
# hint of where URLs may be, which spares most prose the URL patterns (and compiling them).
_URL_HINT = re.compile(r"\.[^\W\d_]")


class _UrlPatterns(NamedTuple):
    url: re.Pattern[str]
    ascii_domain: re.Pattern[str]
    tco: re.Pattern[str]


class _EmojiTable(NamedTuple):
    lengths: dict[str, tuple[int, ...]]  # first code point -> lengths of its emoji, longest first
    emoji: frozenset[str]


class _Url(NamedTuple):
    start: int
    end: int
    # Where the counter resumes after the URL: twitter-text-parser skips the length of the URL
    # string it rebuilt, which for a scheme-less URL with a path can fall short of ``end`` (the
    # rest is then counted character by character).
    resume: int


_Trie: TypeAlias = "dict[str, _Trie]"


def _tld_trie(words: list[str]) -> str:
    """A regex matching any of ``words``, preferring the longest (trie-shaped so it stays fast)."""
    trie: _Trie = {}
    for word in words:
        node = trie
        for ch in word:
            node = node.setdefault(ch, {})
        node[""] = {}  # a word ends here

    def emit(node: _Trie) -> str:
        branches = [re.escape(ch) + emit(child) for ch, child in sorted(node.items()) if ch]
        if not branches:
            return ""
        body = branches[0] if len(branches) == 1 else "(?:" + "|".join(branches) + ")"
        # A greedy optional group tries the longer TLD first, then backtracks to the shorter one.
        return f"(?:{body})?" if "" in node else body

    return emit(trie)


@functools.cache
def _url_patterns() -> _UrlPatterns:
    """Compile the URL patterns once, on first use, to keep ``import bot.measure`` cheap."""
    from bot import _measure_data as data

    # twitter-text tries its TLDs in list order; wherever one TLD is a prefix of another the
    # longer comes first (tests/test_measure.py checks), so a longest-first trie matches the same.
    tld = f"(?:{_tld_trie(data.GTLDS.split() + data.CCTLDS.split())}){_TLD_END}|xn--[\\-0-9a-z]+"

    dc = f"[^{_PUNCT}{_SPACES}{_INVALID_CHARACTERS}{_DIRECTIONAL}]"  # valid domain character
    subdomain = f"(?:(?:{dc}(?:[_\\-]|{dc})*)?{dc}\\.)"
    domain_name = f"(?:(?:{dc}(?:-|{dc})*)?{dc}\\.)"
    domain = f"(?:{subdomain}*{domain_name}(?:{tld}))"
    preceding = f"(?:[^a-z0-9@\uff20$#\uff03{_INVALID_CHARACTERS}]|^)"
    path_char = f"[a-z{_CYRILLIC}0-9!*';:=+,.$/%#\\[\\]\\-\u2013_~@|&{_LATIN_ACCENTS}]"
    parens = f"\\((?:{path_char}+|(?:{path_char}*\\({path_char}+\\){path_char}*))\\)"
    path_end = f"[+\\-a-z{_CYRILLIC}0-9=_#/{_LATIN_ACCENTS}]"
    # twitter-text splices "ending char|balanced parens" into the path pattern ungrouped, so the
    # parens form an alternative of their own: "/.(x)" ends before ".(x)", "/a(x)" takes it all.
    path = f"(?:(?:{path_char}*(?:{parens}{path_char}*)*{path_end}|{parens})|(?:@{path_char}+/))"
    url = (
        f"(?P<before>{preceding})(?P<url>(?P<protocol>https?://)?(?P<domain>{domain})"
        f"(?::[0-9]+)?(?P<path>/{path}*)?(?:{_QUERY})?)"
    )
    ascii_label = f"[\\-a-z0-9{_LATIN_ACCENTS}]+"
    return _UrlPatterns(
        url=re.compile(url, re.IGNORECASE),
        ascii_domain=re.compile(f"(?:{ascii_label}\\.)+(?:{tld})", re.IGNORECASE),
        tco=re.compile(f"https?://t\\.co/([a-z0-9]+)(?:{_QUERY})?", re.IGNORECASE),
    )


@functools.cache
def _emoji_tables() -> tuple[_EmojiTable, _EmojiTable, frozenset[str]]:
    """Index the published counters' emoji lists once, on first use: PyPI twitter-text-parser 3.0.0's, npm
    twitter-text 3.1.0's (twemoji-parser 11.0.2's pattern), and the code points that start a sequence only
    one of them lists."""
    from bot import _measure_data as data

    python = frozenset(data.EMOJI.split(" "))
    npm = (python - set(data.EMOJI_PY_ONLY.split(" "))) | set(data.EMOJI_NPM_ONLY.split(" "))
    return _index(python), _index(npm), frozenset(e[0] for e in python ^ npm)


def _index(emoji: frozenset[str]) -> _EmojiTable:
    by_first: dict[str, set[int]] = {}
    for e in emoji:
        by_first.setdefault(e[0], set()).add(len(e))
    lengths = {first: tuple(sorted(ns, reverse=True)) for first, ns in by_first.items()}
    return _EmojiTable(lengths=lengths, emoji=emoji)


def _emoji_spans(text: str) -> list[tuple[int, int]]:
    """[start, end) of the emoji in ``text`` by twitter-text-parser's list (see :func:`_emoji_spans_of`)."""
    return _emoji_spans_of(text)[0]


def _emoji_spans_of(text: str) -> tuple[list[tuple[int, int]], list[tuple[int, int]]]:
    """The emoji of ``text`` by each published list (Python's, npm's), scanning left to right, the longest listed
    one first: twitter-text's pattern is one alternation of its list, longest sequences first, searched
    repeatedly from the end of the previous match; this finds the same spans with set lookups, once for both
    lists while they agree (at a code point that starts no sequence only one of them lists)."""
    *tables, differ = _emoji_tables()
    found: tuple[list[tuple[int, int]], list[tuple[int, int]]] = ([], [])
    pos = [0, 0]
    for m in _EMOJI_HINT.finditer(text):
        i = m.start()
        both = pos[0] == pos[1] and text[i] not in differ
        for k in (0,) if both else (0, 1):
            if i >= pos[k] and (span := _match(text, i, tables[k])):
                found[k].append(span)
                pos[k] = span[1]
                if both:
                    found[1].append(span)
                    pos[1] = span[1]
    return found


def _match(text: str, i: int, table: _EmojiTable) -> tuple[int, int] | None:
    for n in table.lengths.get(text[i], ()):
        if i + n <= len(text) and text[i : i + n] in table.emoji:
            return i, i + n
    return None


def _idna_ascii(domain: str) -> str | None:
    """The domain as IDNA 2003 ASCII (Python's codec, as twitter-text-parser uses), None if invalid."""
    try:
        return domain.encode("idna").decode("ascii")
    except UnicodeError:
        return None


def _url_matches(text: str, pats: _UrlPatterns) -> Iterator[re.Match[str]]:
    """The matches ``pats.url.finditer(text)`` yields, without running the regex over plain prose.

    A URL's scheme and domain hold no space and its domain holds a hint ('.' + TLD letter), so
    the next match cannot start before the space-free run that holds the next hint.
    """
    pos = 0
    while (hint := _URL_HINT.search(text, pos)) is not None:
        start = hint.start()
        while start > pos and text[start - 1] not in _SPACE_SET:
            start -= 1
        m = pats.url.search(text, max(pos, start - 1))  # from the preceding character
        if m is None:
            return
        yield m
        pos = m.end()


def _extract_urls(text: str) -> list[_Url]:
    """The URLs in ``text`` (already NFC), per twitter-text's extractUrlsWithIndices."""
    if _URL_HINT.search(text) is None:
        return []
    pats = _url_patterns()
    urls: list[_Url] = []
    for m in _url_matches(text, pats):
        url, protocol, domain, path = m["url"], m["protocol"], m["domain"], m["path"]
        start, end = m.start("url"), m.end("url")
        ascii_domain = _idna_ascii(domain)
        if not ascii_domain:
            continue
        if len(protocol or "https://") + len(url) + len(ascii_domain) - len(domain) > _MAX_URL_LENGTH:
            continue
        if protocol:
            tco = pats.tco.match(url)
            if tco is not None:
                # A t.co link ends at its slug (and query); over-long slugs are not links.
                if len(tco[1]) > _MAX_TCO_SLUG_LENGTH:
                    continue
                end = start + tco.end()
            urls.append(_Url(start, end, end))
            continue
        if m["before"] in ("-", "_", ".", "/"):
            continue
        # Without a scheme only the ASCII-only domains inside the match are links.
        found = [(start + a.start(), start + a.end(), a[0]) for a in pats.ascii_domain.finditer(domain)]
        if not found:
            continue
        urls.extend(_Url(s, e, e) for s, e, _ in found[:-1])
        s, e, last = found[-1]
        if path:
            # The path (with any port and query) belongs to the last domain. The Python counter
            # resumes after the match with every copy of the domain replaced by that last one.
            urls.append(_Url(s, end, s + len(url.replace(domain, last))))
        else:
            urls.append(_Url(s, e, e))
    return urls


def _nfc(text: str) -> str:
    return text if text.isascii() else unicodedata.normalize("NFC", text)


def x_weighted_length(text: str) -> int:
    """X's weighted length of ``text`` (twitter-text v3 ``parseTweet().weightedLength``)."""
    if not text:
        return 0
    t = _nfc(text)
    ascii_only = t.isascii()
    heavy = 0 if ascii_only else len(_HEAVY.findall(t))
    urls = _extract_urls(t)
    total = len(t) * _LIGHT_WEIGHT + heavy * (DEFAULT_WEIGHT - _LIGHT_WEIGHT)
    # Every listed emoji holds a non-ASCII code point (keycaps end in U+20E3).
    if not EMOJI_PARSING_ENABLED or ascii_only or _EMOJI_HINT.search(t) is None:
        return _entities_total(t, total, urls, [], ascii_only) // SCALE
    # The two published counters list different emoji: each reading, and the larger one counts.
    python_spans, npm_spans = _emoji_spans_of(t)
    reading = _entities_total(t, total, urls, python_spans, ascii_only)
    if npm_spans != python_spans:
        reading = max(reading, _entities_total(t, total, urls, npm_spans, ascii_only))
    return reading // SCALE


def _entities_total(t: str, total: int, urls: list[_Url], emoji: list[tuple[int, int]], ascii_only: bool) -> int:
    """``total`` (every code point weighed) with each URL and emoji entity counted as a whole instead."""
    light, default = _LIGHT_WEIGHT, DEFAULT_WEIGHT
    if urls or emoji:
        # As parseTweet walks the text: an entity counts only if it starts where the walk is, past
        # the previous one, and a URL wins over an emoji starting at the same offset.
        entities = sorted([(u.start, 0, u.resume) for u in urls] + [(s, 1, e) for s, e in emoji])
        pos = 0
        for s, kind, e in entities:
            if s < pos:
                continue
            n_heavy = 0 if ascii_only else len(_HEAVY.findall(t, s, e))
            total -= (e - s) * light + n_heavy * (default - light)
            total += TRANSFORMED_URL_LENGTH * SCALE if kind == 0 else default
            pos = e
    return total


def x_is_valid(text: str) -> bool:
    """twitter-text's ``valid``: 0 < weighted length <= 280 and no invalid character.

    Text made only of control characters and spaces is invalid too (twitter-text's Java port).
    """
    t = _nfc(text)
    if all(ch <= " " for ch in t):
        return False
    if any(ch in t for ch in _INVALID_CHARACTERS):
        return False
    return 0 < x_weighted_length(t) <= MAX_WEIGHTED_TWEET_LENGTH


def url_spans(text: str) -> list[tuple[int, int]]:
    """[start, end) spans, as offsets into ``text`` as given, of what X treats as URLs.

    URLs are found in the NFC form of ``text``; when that differs from ``text`` the offsets are
    mapped back, widened to whole characters-with-combining-marks if a boundary falls inside one.
    """
    t = _nfc(text)
    spans = [(u.start, u.end) for u in _extract_urls(t)]
    if not spans or t == text:
        return spans
    return _map_nfc_spans(text, t, spans)


def _map_nfc_spans(text: str, nfc: str, spans: list[tuple[int, int]]) -> list[tuple[int, int]]:
    # Cut ``text`` into clusters that normalise independently: a cut goes before each starter,
    # unless normalising across it composes or reorders (Hangul jamo, a few Indic vowel signs).
    cuts = [0] + [i for i in range(1, len(text)) if unicodedata.combining(text[i]) == 0]
    orig_starts: list[int] = []
    nfc_starts: list[int] = []
    pieces: list[str] = []
    cur_start = 0
    for a, b in zip(cuts, [*cuts[1:], len(text)], strict=True):
        if a == 0:
            continue
        cur, nxt = text[cur_start:a], text[a:b]
        if unicodedata.normalize("NFC", cur + nxt) == unicodedata.normalize("NFC", cur) + unicodedata.normalize(
            "NFC", nxt
        ):
            orig_starts.append(cur_start)
            pieces.append(unicodedata.normalize("NFC", cur))
            cur_start = a
    orig_starts.append(cur_start)
    pieces.append(unicodedata.normalize("NFC", text[cur_start:]))
    if "".join(pieces) != nfc:  # not expected; fall back to one cluster rather than lie
        orig_starts, pieces = [0], [nfc]
    offset = 0
    for piece in pieces:
        nfc_starts.append(offset)
        offset += len(piece)
    orig_ends = [*orig_starts[1:], len(text)]

    def start_of(q: int) -> int:
        return orig_starts[bisect.bisect_right(nfc_starts, q) - 1]

    def end_of(q: int) -> int:
        return orig_ends[bisect.bisect_right(nfc_starts, q - 1) - 1]

    return [(start_of(s), end_of(e)) for s, e in spans]


def plain_length(text: str) -> int:
    """Facebook's count: the number of code points."""
    return len(text)


_MEASURES: dict[str, Measure] = {"x": x_weighted_length, "facebook": plain_length}


def measure_for(platform: str) -> Measure:
    """The length function of ``platform`` ("x" or "facebook")."""
    try:
        return _MEASURES[platform]
    except KeyError:
        raise ValueError(f"unknown platform {platform!r}; expected one of {sorted(_MEASURES)}") from None
