"""Post length as X and Facebook count it.

X: twitter-text v3 weighted length (config v3.json). The text is NFC-normalised, then
  * every URL counts ``TRANSFORMED_URL_LENGTH`` (23) whatever its length; URLs are found with
    twitter-text's extractor rules, with or without scheme (``rree.gob.pe``, ``www.gob.pe/rree``,
    ``https://x.com/a?b=c``), the TLD list bundled in :mod:`bot._measure_data`;
  * an emoji sequence (keycap, flag pair, tag sequence, ZWJ chain of emoji with optional VS16 or
    skin tone) counts as one default-weight unit: 2;
  * every other code point (not UTF-16 unit) weighs 1 inside the v3 ranges and 2 elsewhere.
Facebook: number of code points.

Newlines are counted as they come: ``"\\r\\n"`` is two code points, so callers should normalise
line endings first (the message loader does).

Deliberate choices where twitter-text's own ports disagree:
  * URL extraction follows the JavaScript extractor at the repository head: a scheme-less
    ``name.ccTLD`` with no subdomain and no path (``gob.pe``) is not a URL, except ``.co``/``.tv``
    (the 3.1.0 npm release links it).
  * Emoji follow the Unicode emoji properties (UTS #51 sequence shapes) instead of twitter-text's
    enumerated 2020 list: newer emoji and ZWJ sequences also count 2, and a VS16 after an emoji is
    absorbed (the enumerated list counts a redundant VS16 as 2 more).
  * Code points are matched, not UTF-16 units (as in the Java port): the JavaScript extractor can
    start a scheme-less URL inside an astral character, e.g. ``😀.ejemplo.com/a`` (not a URL here).
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
_MAX_DOMAIN_LABEL_LENGTH = 63
# Characters that make a tweet invalid wherever they appear.
_INVALID_CHARACTERS = "\ufffe\ufeff\uffff"

# Every weighted range has the same weight, so a code point weighs either that (light) or the
# default weight (heavy); one regex then finds all heavy code points.
_LIGHT_WEIGHT = WEIGHT_RANGES[0][2]
_HEAVY = re.compile("[^" + "".join(f"\\U{lo:08x}-\\U{hi:08x}" for lo, hi, _ in WEIGHT_RANGES) + "]")

# Character sets of twitter-text's URL patterns (js/src/regexp/*.js).
_LATIN_ACCENTS = (
    "\u00c0-\u00d6\u00d8-\u00f6\u00f8-\u00ff\u0100-\u024f\u0253\u0254\u0256\u0257\u0259\u025b"
    "\u0263\u0268\u026f\u0272\u0289\u028b\u02bb\u0300-\u036f\u1e00-\u1eff"
)
_CYRILLIC = "\u0400-\u04ff"
_PUNCT = r"!'#%&()*+,\\\-./:;<=>?@\[\]\^_{|}~$"
_SPACES = "\t-\r \x85\xa0\u1680\u180e\u2000-\u200a\u2028\u2029\u202f\u205f\u3000"
_DIRECTIONAL = "\u202a-\u202e\u061c\u200e\u200f\u2066-\u2069"
_TLD_END = r"(?=[^0-9a-zA-Z@+\-]|\Z)"
# The code points of _SPACES, for quick membership tests.
_SPACE_SET = frozenset("\t\n\v\f\r \x85\xa0\u1680\u180e\u2028\u2029\u202f\u205f\u3000") | frozenset(
    map(chr, range(0x2000, 0x200B))
)
# Every URL has a '.' right before its TLD, and every TLD (and "xn--") starts with a letter: a cheap
# hint of where URLs may be, which spares most prose the URL patterns (and compiling them).
_URL_HINT = re.compile(r"\.[^\W\d_]")
# Light code points that start an emoji only before a VS16 or U+20E3 (keycaps, (C), (R)).
_LIGHT_EMOJI_BASES = frozenset("#*0123456789\xa9\xae")


class _UrlPatterns(NamedTuple):
    url: re.Pattern[str]
    ascii_domain: re.Pattern[str]
    short_domain: re.Pattern[str]
    tco: re.Pattern[str]
    cctlds: frozenset[str]


class _EmojiPatterns(NamedTuple):
    emoji: re.Pattern[str]
    starts: frozenset[str]


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


def _code_points(ranges: tuple[tuple[int, int], ...]) -> set[int]:
    return {cp for lo, hi in ranges for cp in range(lo, hi + 1)}


def _char_class(code_points: set[int]) -> str:
    """The inside of a regex character class holding ``code_points``, as ranges."""
    parts: list[str] = []
    run_start = prev = -2
    for cp in [*sorted(code_points), -1]:
        if cp != prev + 1:
            if run_start >= 0:
                parts.append(f"\\U{run_start:08x}" + (f"-\\U{prev:08x}" if prev > run_start else ""))
            run_start = cp
        prev = cp
    return "".join(parts)


@functools.cache
def _url_patterns() -> _UrlPatterns:
    """Compile the URL patterns once, on first use, to keep ``import bot.measure`` cheap."""
    from bot import _measure_data as data

    gtlds = data.GTLDS.split()
    cctlds = data.CCTLDS.split()
    # gTLDs are tried before ccTLDs in twitter-text, but no TLD of one list is a prefix of one of
    # the other, so one longest-first trie over both matches the same.
    tld = f"(?:(?i:{_tld_trie(gtlds + cctlds)}){_TLD_END}|[xX][nN]--[\\-0-9a-zA-Z]+)"

    dc = f"[^{_PUNCT}{_SPACES}{_INVALID_CHARACTERS}{_DIRECTIONAL}]"  # valid domain character
    subdomain = f"(?:(?:{dc}(?:[_\\-]|{dc})*)?{dc}\\.)"
    domain_name = f"(?:(?:{dc}(?:-|{dc})*)?{dc}\\.)"
    domain = f"(?:{subdomain}*{domain_name}{tld})"
    preceding = f"(?:[^A-Za-z0-9@\uff20$#\uff03{_INVALID_CHARACTERS}]|^)"
    path_char = f"[a-zA-Z{_CYRILLIC}0-9!*';:=+,.$/%#\\[\\]\\-\u2013_~@|&{_LATIN_ACCENTS}]"
    parens = f"\\((?:{path_char}+|(?:{path_char}*\\({path_char}+\\){path_char}*))\\)"
    path_end = f"[+\\-a-zA-Z{_CYRILLIC}0-9=_#/{_LATIN_ACCENTS}]"
    # twitter-text splices "ending char|balanced parens" into the path pattern ungrouped, so the
    # parens form an alternative of their own: "/.(x)" ends before ".(x)", "/a(x)" takes it all.
    path = f"(?:(?:{path_char}*(?:{parens}{path_char}*)*{path_end}|{parens})|(?:@{path_char}+/))"
    query = r"[a-zA-Z0-9!?*'@();:&=+$/%#\[\]\-_.,~|]*[a-zA-Z0-9\-_&=#/]"
    url = (
        f"(?P<before>{preceding})(?P<url>(?P<protocol>[hH][tT][tT][pP][sS]?://)?(?P<domain>{domain})"
        f"(?::[0-9]+)?(?P<path>/{path}*)?(?:\\?{query})?)"
    )
    ascii_label = f"[\\-a-zA-Z0-9{_LATIN_ACCENTS}]+"
    return _UrlPatterns(
        url=re.compile(url),
        ascii_domain=re.compile(f"(?:{ascii_label}\\.)+{tld}"),
        short_domain=re.compile(f"(?:{dc}(?:-|{dc})*)?{dc}\\.(?P<tld>.+)"),
        tco=re.compile(r"[hH][tT][tT][pP][sS]?://[tT]\.[cC][oO]/([a-zA-Z0-9]+)"),
        cctlds=frozenset(cctlds),
    )


@functools.cache
def _emoji_patterns() -> _EmojiPatterns:
    """Compile the emoji pattern once, on first use."""
    from bot import _measure_data as data

    modifier = "\\U0001f3fb-\\U0001f3ff"
    pictographs = _code_points(data.EXTENDED_PICTOGRAPHIC)
    presentation = _code_points(data.EMOJI_PRESENTATION)
    # ASCII '#', '*' and digits are emoji only as keycaps.
    with_vs16 = pictographs | {cp for cp in _code_points(data.EMOJI) if cp >= 0x80}
    # Text-default pictographs weighing 1 (copyright, registered) only become emoji with a VS16.
    bare = (pictographs - {0xA9, 0xAE}) | presentation
    element = (
        f"(?:[{_char_class(_code_points(data.EMOJI_MODIFIER_BASE))}][{modifier}]"
        f"|[{_char_class(with_vs16)}]\ufe0f"
        f"|[{_char_class(bare)}](?!\ufe0e))"
    )
    emoji = (
        "[#*0-9]\ufe0f?\u20e3"  # keycap
        "|[\U0001f1e6-\U0001f1ff]{2}"  # flag: regional indicator pair
        "|\U0001f3f4[\U000e0020-\U000e007e]+\U000e007f"  # tag sequence (subdivision flags)
        f"|{element}(?:\u200d{element})*"  # emoji, optionally with VS16 / skin tone, ZWJ-joined
    )
    # Heavy code points an emoji can start with; the light ones are handled by _emoji_spans.
    starts = frozenset(chr(cp) for cp in with_vs16 | presentation if _HEAVY.match(chr(cp)))
    return _EmojiPatterns(emoji=re.compile(emoji), starts=starts)


def _emoji_spans(text: str) -> list[tuple[int, int]]:
    """[start, end) of the emoji sequences in ``text``, as ``emoji.finditer`` would find them.

    Only positions that can start an emoji are tried: a heavy pictograph, or a light keycap base
    or (C)/(R) right before a heavy VS16 / U+20E3. That skips the regex for almost all text.
    """
    pats = _emoji_patterns()
    spans: list[tuple[int, int]] = []
    pos = 0
    for h in _HEAVY.finditer(text):
        i = h.start()
        if i < pos:
            continue
        if h[0] in "\ufe0f\u20e3" and i - 1 >= pos and text[i - 1] in _LIGHT_EMOJI_BASES:
            i -= 1
        elif h[0] not in pats.starts:
            continue
        m = pats.emoji.match(text, i)
        if m is not None:
            spans.append(m.span())
            pos = m.end()
    return spans


def _punycode_length_ok(domain: str) -> bool:
    """twitter-text's IDNA check: every label, punycode-encoded, has 1 to 63 characters."""
    for label in domain.split("."):
        # punycode.toASCII also splits on the ideographic and full-width full stops.
        parts = re.split("[\u3002\uff0e\uff61]", label)
        encoded = ".".join(p if p.isascii() else "xn--" + p.encode("punycode").decode("ascii") for p in parts)
        if not 1 <= len(encoded) <= _MAX_DOMAIN_LABEL_LENGTH:
            return False
    return True


def _utf16_length(text: str) -> int:
    return len(text) if text.isascii() else len(text.encode("utf-16-le")) // 2


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


def _extract_urls(text: str) -> list[tuple[int, int]]:
    """[start, end) of the URLs in ``text`` (already NFC), per twitter-text's extractUrlsWithIndices."""
    if _URL_HINT.search(text) is None:
        return []
    pats = _url_patterns()
    spans: list[tuple[int, int]] = []
    for m in _url_matches(text, pats):
        url, protocol, domain, path = m["url"], m["protocol"], m["domain"], m["path"]
        start, end = m.start("url"), m.end("url")
        if domain.startswith("xn--") and pats.ascii_domain.search(domain) is None:
            continue  # a punycode domain must be ASCII
        if not _punycode_length_ok(domain):
            continue
        if len(protocol or "https://") + _utf16_length(url) > _MAX_URL_LENGTH:
            continue
        if protocol:
            tco = pats.tco.match(url)
            if tco is not None:
                # A t.co link ends at its slug; over-long slugs are not links.
                if len(tco[1]) > _MAX_TCO_SLUG_LENGTH:
                    continue
                end = start + tco.end()
            spans.append((start, end))
            continue
        if m["before"][-1:] in ("-", "_", ".", "/"):
            continue
        # Without a scheme only the ASCII-only domains inside the match are links.
        domains = [(start + a.start(), start + a.end(), a[0]) for a in pats.ascii_domain.finditer(domain)]
        if not domains:
            continue
        if path:
            # All of them are links, and the path (with any port and query) belongs to the last.
            spans.extend((s, e) for s, e, _ in domains[:-1])
            spans.append((domains[-1][0], end))
        else:
            spans.extend((s, e) for s, e, d in domains if _is_linkable_short_domain(d, pats))
    return spans


def _is_linkable_short_domain(ascii_domain: str, pats: _UrlPatterns) -> bool:
    """False for a bare ``name.ccTLD`` (``gob.pe``), except ``.co`` and ``.tv`` ones."""
    m = pats.short_domain.fullmatch(ascii_domain)
    if m is None:
        return True
    tld = m["tld"].lower()
    return tld in ("co", "tv") or tld not in pats.cctlds


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
    # Every emoji holds a heavy code point (VS16, U+20E3 or the pictograph itself).
    emoji = _emoji_spans(t) if heavy and EMOJI_PARSING_ENABLED else []
    light, default = _LIGHT_WEIGHT, DEFAULT_WEIGHT
    total = len(t) * light + heavy * (default - light)
    if urls or emoji:
        # As parseTweet walks the text: an entity counts only if it starts outside the previous one,
        # and a URL wins over an emoji starting at the same offset.
        entities = sorted([(s, 0, e) for s, e in urls] + [(s, 1, e) for s, e in emoji])
        pos = 0
        for s, kind, e in entities:
            if s < pos:
                continue
            n_heavy = 0 if ascii_only else len(_HEAVY.findall(t, s, e))
            total -= (e - s) * light + n_heavy * (default - light)
            total += TRANSFORMED_URL_LENGTH * SCALE if kind == 0 else default
            pos = e
    return total // SCALE


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
    spans = _extract_urls(t)
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
