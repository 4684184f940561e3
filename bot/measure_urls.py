"""The URLs X counts as 23, as each published twitter-text counter finds them (for bot.measure).

Both counters run the same pattern (twitter-text 3.x, the same TLD lists) but not the same way:
  * PyPI twitter-text-parser 3.0.0 (Python ``re``): case-insensitive with Unicode case folding, so the
    Kelvin sign matches ``k``, ``ſ`` matches ``s``, ``İ`` matches ``i``; domains are checked with
    Python's IDNA 2003 codec, and the 4,096 limit counts the punycode form of the domain; a
    scheme-less URL with a path resumes after every copy of its domain replaced.
  * npm twitter-text 3.1.0 (JavaScript, no ``u`` flag): the pattern runs over UTF-16 units (a domain
    may start between the two halves of an emoji); case-insensitive by ECMAScript's canonicalisation,
    under which no non-ASCII character matches an ASCII letter; each domain label is punycoded on its
    own (punycode.js, 1 to 63 characters) and the limit counts the URL as written; the domain is
    replaced once (``String.replace``).
:func:`extract_both` finds each counter's URLs; bot.measure counts the larger reading.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterator
from typing import NamedTuple, TypeAlias

# Limits from twitter-text's extractor.
_MAX_URL_LENGTH = 4096
_MAX_TCO_SLUG_LENGTH = 40
_MAX_LABEL_LENGTH = 63
# Characters that make a tweet invalid wherever they appear.
INVALID_CHARACTERS = "\ufffe\ufeff\uffff"

# Character sets of twitter-text's URL patterns.
_LATIN_ACCENTS = (
    "\u00c0-\u00d6\u00d8-\u00f6\u00f8-\u00ff\u0100-\u024f\u0253\u0254\u0256\u0257\u0259\u025b"
    "\u0263\u0268\u026f\u0272\u0289\u028b\u02bb\u0300-\u036f\u1e00-\u1eff"
)
_CYRILLIC = "\u0400-\u04ff"
_PUNCT = r"!'#%&()*+,\\\-./:;<=>?@\[\]\^_{|}~$"
_SPACES = "\t-\r \x85\xa0\u1680\u180e\u2000-\u200a\u2028\u2029\u202f\u205f\u3000"
_DIRECTIONAL = "\u202a-\u202e\u061c\u200e\u200f\u2066-\u2069"
_SPACE = re.compile(f"[{_SPACES}]")
# The code points of _SPACES, for quick membership tests.
_SPACE_SET = frozenset("\t\n\v\f\r \x85\xa0\u1680\u180e\u2028\u2029\u202f\u205f\u3000") | frozenset(
    map(chr, range(0x2000, 0x200B))
)
# Every URL has a '.' right before its TLD, and every TLD (and "xn--") starts with a letter: a cheap
# hint of where URLs may be, which spares most prose the URL patterns (and compiling them).
URL_HINT = re.compile(r"\.[^\W\d_]")
# punycode.js's label separators (it maps them to '.').
_NPM_DOTS = str.maketrans("\u3002\uff0e\uff61", "...")
_ASTRAL = re.compile("[\U00010000-\U0010ffff]")


class UrlPatterns(NamedTuple):
    url: re.Pattern[str]
    ascii_domain: re.Pattern[str]
    tco: re.Pattern[str]


class Url(NamedTuple):
    start: int
    end: int
    # Where the counter resumes after the URL: it skips the length of the URL string it rebuilt,
    # which for a scheme-less URL with a path can differ from ``end`` (the rest is then counted
    # character by character).
    resume: int
    # npm's walk resumed on the second half of a surrogate pair: it weighs that half too (default weight).
    half: bool = False


_Trie: TypeAlias = "dict[str, _Trie]"


def tld_trie(words: list[str], letter: str = "{}") -> str:
    """A regex matching any of ``words``, preferring the longest (trie-shaped so it stays fast).

    ``letter`` formats each escaped character (npm's patterns spell out its case variants)."""
    trie: _Trie = {}
    for word in words:
        node = trie
        for ch in word:
            node = node.setdefault(ch, {})
        node[""] = {}  # a word ends here

    def emit(node: _Trie) -> str:
        branches = [letter.format(re.escape(ch)) + emit(child) for ch, child in sorted(node.items()) if ch]
        if not branches:
            return ""
        body = branches[0] if len(branches) == 1 else "(?:" + "|".join(branches) + ")"
        # A greedy optional group tries the longer TLD first, then backtracks to the shorter one.
        return f"(?:{body})?" if "" in node else body

    return emit(trie)


def _js_canon(ch: str) -> str:
    """ECMAScript's Canonicalize for a case-insensitive pattern without the ``u`` flag."""
    upper = ch.upper()
    if len(upper) != 1 or (ord(ch) >= 128 and ord(upper) < 128):
        return ch
    return upper


@functools.cache
def _js_case_twins() -> dict[str, str]:
    """For each UTF-16 unit, every unit JavaScript's case-insensitive matching takes as the same (if any)."""
    groups: dict[str, list[str]] = {}
    for unit in map(chr, range(0x10000)):
        key = _js_canon(unit)
        if key != unit:
            groups.setdefault(key, [key]).append(unit)
    return {unit: "".join(group) for group in groups.values() for unit in group}


def _js_letter(escaped: str) -> str:
    """A character of a case-insensitive JavaScript pattern as a class of its case variants (ASCII letters stay:
    re.ASCII folds them)."""
    ch = re.sub(r"\\(.)", r"\1", escaped)
    twins = None if ch.isascii() else _js_case_twins().get(ch)
    return escaped if twins is None else "[" + "".join(map(re.escape, twins)) + "]"


def _js_class(ranges: str) -> str:
    """The code points of class body ``ranges`` (ranges of literal characters, no escapes) and their case variants."""
    chars: set[str] = set()
    for m in re.finditer(r"(.)(?:-(.))?", ranges, re.DOTALL):
        first, last = m[1], m[2] or m[1]
        chars.update(map(chr, range(ord(first), ord(last) + 1)))
    twins = _js_case_twins()
    extra = sorted({t for ch in chars for t in twins.get(ch, "")} - chars)
    return ranges + "".join(map(re.escape, extra))


@functools.cache
def url_patterns(npm: bool = False) -> UrlPatterns:
    """Compile the URL patterns of the Python counter (or npm's) once, on first use."""
    from bot import _measure_data as data

    # twitter-text tries its TLDs in list order; wherever one TLD is a prefix of another the
    # longer comes first (tests/test_measure.py checks), so a longest-first trie matches the same.
    tlds = data.GTLDS.split() + data.CCTLDS.split()
    if npm:  # JavaScript's case-insensitivity: ASCII letters fold (re.ASCII); other characters' twins spelt out
        latin, cyrillic, flags = _js_class(_LATIN_ACCENTS), _js_class(_CYRILLIC), re.IGNORECASE | re.ASCII
        tld_words = re.sub("\x00(\\\\?.)", lambda m: _js_letter(m[1]), tld_trie(tlds, "\x00{}"))
    else:
        latin, cyrillic, flags = _LATIN_ACCENTS, _CYRILLIC, re.IGNORECASE
        tld_words = tld_trie(tlds)
    az = "a-z"
    tld = f"(?:{tld_words})(?=[^0-9{az}@+\\-]|$)|xn--[\\-0-9{az}]+"
    query = f"\\?[{az}0-9!?*'@();:&=+$/%#\\[\\]\\-_.,~|]*[{az}0-9\\-_&=#/]"

    dc = f"[^{_PUNCT}{_SPACES}{INVALID_CHARACTERS}{_DIRECTIONAL}]"  # valid domain character
    subdomain = f"(?:(?:{dc}(?:[_\\-]|{dc})*)?{dc}\\.)"
    domain_name = f"(?:(?:{dc}(?:-|{dc})*)?{dc}\\.)"
    domain = f"(?:{subdomain}*{domain_name}(?:{tld}))"
    preceding = f"(?:[^{az}0-9@\uff20$#\uff03{INVALID_CHARACTERS}]|^)"
    path_char = f"[{az}{cyrillic}0-9!*';:=+,.$/%#\\[\\]\\-\u2013_~@|&{latin}]"
    parens = f"\\((?:{path_char}+|(?:{path_char}*\\({path_char}+\\){path_char}*))\\)"
    path_end = f"[+\\-{az}{cyrillic}0-9=_#/{latin}]"
    # twitter-text splices "ending char|balanced parens" into the path pattern ungrouped, so the
    # parens form an alternative of their own: "/.(x)" ends before ".(x)", "/a(x)" takes it all.
    path = f"(?:(?:{path_char}*(?:{parens}{path_char}*)*{path_end}|{parens})|(?:@{path_char}+/))"
    url = (
        f"(?P<before>{preceding})(?P<url>(?P<protocol>https?://)?(?P<domain>{domain})"
        f"(?::[0-9]+)?(?P<path>/{path}*)?(?:{query})?)"
    )
    ascii_label = f"[\\-{az}0-9{latin}]+"
    return UrlPatterns(
        url=re.compile(url, flags),
        ascii_domain=re.compile(f"(?:{ascii_label}\\.)+(?:{tld})", flags),
        tco=re.compile(f"https?://t\\.co/([{az}0-9]+)(?:{query})?", flags),
    )


def _idna_ascii(domain: str) -> str | None:
    """The domain as IDNA 2003 ASCII (Python's codec, as twitter-text-parser uses), None if invalid."""
    try:
        return domain.encode("idna").decode("ascii")
    except UnicodeError:
        return None


def _npm_domain_ok(domain: str, pats: UrlPatterns) -> bool:
    """twitter-text (npm)'s idna.toAscii: each label punycoded (punycode.js) is 1 to 63 characters long."""
    if domain[:4] == "xn--" and pats.ascii_domain.search(domain) is None:
        return False
    # punycode.js reads UTF-16: a surrogate pair is one code point, a lone surrogate one of its own.
    domain = domain.encode("utf-16-le", "surrogatepass").decode("utf-16-le", "surrogatepass")
    for label in domain.split("."):
        parts = label.translate(_NPM_DOTS).split(".")
        try:
            encoded = ".".join(p if p.isascii() else "xn--" + p.encode("punycode").decode("ascii") for p in parts)
        except UnicodeError:
            return False
        if not 1 <= len(encoded) <= _MAX_LABEL_LENGTH:
            return False
    return True


def _utf16_units(text: str) -> str:
    """``text`` with every astral code point as its two UTF-16 surrogates: what JavaScript's patterns see."""
    return _ASTRAL.sub(lambda m: _pair(m[0]), text)


def _pair(ch: str) -> str:
    cp = ord(ch) - 0x10000
    return chr(0xD800 + (cp >> 10)) + chr(0xDC00 + (cp & 0x3FF))


def url_matches(text: str, pats: UrlPatterns) -> Iterator[re.Match[str]]:
    """The matches ``pats.url.finditer(text)`` yields, without running the regex over plain prose.

    A URL's scheme and domain hold no space and its domain holds a hint ('.' + TLD letter), so
    the next match cannot start before the space-free run that holds the next hint.
    """
    pos = 0
    while (hint := URL_HINT.search(text, pos)) is not None:
        start = hint.start()
        while start > pos and text[start - 1] not in _SPACE_SET:
            start -= 1
        m = pats.url.search(text, max(pos, start - 1))  # from the preceding character
        if m is None:
            return
        yield m
        pos = m.end()


def extract_urls(text: str, npm: bool = False) -> list[Url]:
    """The URLs in ``text`` (already NFC), per twitter-text's extractUrlsWithIndices (PyPI's, or npm's)."""
    if URL_HINT.search(text) is None:
        return []
    return _extract_npm(text) if npm else [u for u, _ in _extract(text, url_patterns(), False)]


def extract_both(text: str) -> tuple[list[Url], list[Url]]:
    """Each counter's URLs in ``text`` (already NFC): PyPI's, npm's.

    Every URL lies in a run of non-space characters that holds a hint; where all such runs are ASCII
    (and hold no "xn--"), the two extractors find the same URLs and differ only in where the walk resumes
    after a scheme-less URL with a path, so npm's patterns need not run (nor be compiled)."""
    if URL_HINT.search(text) is None:
        return [], []
    found = _extract(text, url_patterns(), False)
    python = [u for u, _ in found]
    if _runs_may_differ(text):
        return python, _extract_npm(text)
    return python, [u if u.resume == npm_resume else u._replace(resume=npm_resume) for u, npm_resume in found]


@functools.cache
def tld_start() -> re.Pattern[str]:
    """A character that may start a TLD (or "xn--") for either counter: the first letters of the TLDs, with
    Python's case folding (which takes every character JavaScript's takes: tests/test_measure.py checks)."""
    from bot import _measure_data as data

    firsts = {tld[0] for tld in (data.GTLDS + " " + data.CCTLDS).split()} | {"x"}
    return re.compile("[" + "".join(map(re.escape, sorted(firsts))) + "]", re.IGNORECASE)


def _runs_may_differ(text: str) -> bool:
    """Whether a run of non-space characters holding a URL hint ('.' + a letter that may start a TLD) has a
    non-ASCII character or "xn--"."""
    end = 0
    starts = tld_start()
    for hint in URL_HINT.finditer(text):
        if hint.start() < end or starts.match(text, hint.start() + 1) is None:
            continue
        start = hint.start()
        while start > end and text[start - 1] not in _SPACE_SET:
            start -= 1
        space = _SPACE.search(text, hint.end())
        end = len(text) if space is None else space.start()
        run = text[start:end]
        if not run.isascii() or "xn--" in run.lower():
            return True
    return False


def _extract_npm(text: str) -> list[Url]:
    if _ASTRAL.search(text) is None:
        return [u for u, _ in _extract(text, url_patterns(True), True)]
    # npm's patterns run over UTF-16 units (a surrogate is a domain character of its own): map back to
    # code points. A URL starting inside a surrogate pair is never counted (the walk steps over the pair).
    units = _utf16_units(text)
    point: list[int] = []  # the code point offset of each UTF-16 unit (past the pair for a low surrogate)
    for i, ch in enumerate(text):
        point.extend((i, i + 1) if ord(ch) > 0xFFFF else (i,))
    point.append(len(text))
    inside = {u for u, ch in enumerate(units) if "\udc00" <= ch <= "\udfff"}
    return [
        Url(point[u.start], point[u.end], point[min(u.resume, len(units))], u.resume in inside)
        for u, _ in _extract(units, url_patterns(True), True)
        if u.start not in inside
    ]


def _extract(text: str, pats: UrlPatterns, npm: bool) -> list[tuple[Url, int]]:
    """Each URL, and where npm's walk resumes after it (the Python counter's ``resume`` may differ)."""
    urls: list[tuple[Url, int]] = []
    for m in url_matches(text, pats):
        url, protocol, domain, path = m["url"], m["protocol"], m["domain"], m["path"]
        start, end = m.start("url"), m.end("url")
        if npm:
            if not _npm_domain_ok(domain, pats) or len(protocol or "https://") + len(url) > _MAX_URL_LENGTH:
                continue
        else:
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
            urls.append((Url(start, end, end), end))
            continue
        if m["before"] in ("-", "_", ".", "/"):
            continue
        # Without a scheme only the ASCII-only domains inside the match are links.
        found = _ascii_domains(domain, start, pats, npm)
        if not found:
            continue
        urls.extend((Url(s, e, e), e) for s, e, _ in found[:-1])
        s, e, last = found[-1]
        if not path:
            urls.append((Url(s, e, e), e))
            continue
        # The path belongs to the last domain. The walk resumes after the URL rebuilt with the domain replaced by
        # that last one: npm replaces its first copy (String.replace), the Python counter every copy.
        once = s + len(url.replace(domain, last, 1))
        urls.append((Url(s, end, once if npm else s + len(url.replace(domain, last))), once))
    return urls


def _ascii_domains(domain: str, start: int, pats: UrlPatterns, npm: bool) -> list[tuple[int, int, str]]:
    found = []
    last_end = 0
    for a in pats.ascii_domain.finditer(domain):
        # npm finds each one again with indexOf from the end of the previous one.
        at = domain.find(a[0], last_end) if npm else a.start()
        last_end = at + len(a[0])
        found.append((start + at, start + last_end, a[0]))
    return found
