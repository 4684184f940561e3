"""Post length as X and Facebook count it.

X: twitter-text 3.x weighted length (config v3.json), as the published counters compute it (PyPI
twitter-text-parser 3.0.0 and npm twitter-text 3.1.0; the larger reading where they differ). NFC, then
  * every URL counts ``TRANSFORMED_URL_LENGTH`` (23) whatever its length. URLs are found with
    twitter-text's extractor, with or without scheme: a bare ``name.tld`` of any TLD in its lists
    is a URL (``gob.pe``, ``x.ai``, ``rree.gob.pe``, ``www.gob.pe/rree``, ``https://x.com/a?b=c``).
    The two counters' extractors differ in details (bot/measure_urls.py): each reading has its own
    (:func:`x_readings`), and the count is the larger;
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
from collections.abc import Callable
from typing import NamedTuple, TypeAlias

from bot.measure_urls import INVALID_CHARACTERS, Url, extract_both, extract_urls

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

# Characters that make a tweet invalid wherever they appear.
_INVALID_CHARACTERS = INVALID_CHARACTERS

# Every weighted range has the same weight, so a code point weighs either that (light) or the
# default weight (heavy); one regex then finds all heavy code points.
_LIGHT_WEIGHT = WEIGHT_RANGES[0][2]
_HEAVY = re.compile("[^" + "".join(f"\\U{lo:08x}-\\U{hi:08x}" for lo, hi, _ in WEIGHT_RANGES) + "]")

# Where a listed emoji may start (tests/test_measure.py checks it against the list): keycap bases
# before VS16 or U+20E3, (C), (R), and code points from U+203C. Prose without one (Spanish
# punctuation is below U+203C) spares loading the list. A coarse class: re scans a class of many
# astral ranges slowly; the table's look-up then refines it. Written as a complement (not
# below U+203C, except © and ®): the same class, compiled in 0.5 ms instead of 2 (tests/test_measure_hint.py).
_EMOJI_HINT = re.compile(r"[#*0-9](?=[\ufe0f\u20e3])|[^\x00-\xa8\xaa-\xad\xaf-\u203b]")


class _EmojiTable(NamedTuple):
    lengths: dict[str, tuple[int, ...]]  # first code point -> lengths of its emoji, longest first
    emoji: frozenset[str]


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


def _nfc(text: str) -> str:
    return text if text.isascii() else unicodedata.normalize("NFC", text)


def x_weighted_length(text: str) -> int:
    """X's weighted length of ``text`` (twitter-text v3 ``parseTweet().weightedLength``): the larger of the two
    published counters' readings (:func:`x_readings`)."""
    return max(x_readings(text))


def x_readings(text: str) -> tuple[int, int]:
    """The weighted length of ``text`` by each published counter's rules: PyPI twitter-text-parser's and npm
    twitter-text's (each with its own URLs and emoji; ``"\\r\\n"`` counts two in both)."""
    if not text:
        return 0, 0
    t = _nfc(text)
    ascii_only = t.isascii()
    heavy = 0 if ascii_only else len(_HEAVY.findall(t))
    # The published counters find URLs differently (bot/measure_urls.py) and list different emoji.
    urls, npm_urls = extract_both(t)
    total = len(t) * _LIGHT_WEIGHT + heavy * (DEFAULT_WEIGHT - _LIGHT_WEIGHT)
    # Every listed emoji holds a non-ASCII code point (keycaps end in U+20E3).
    if not EMOJI_PARSING_ENABLED or ascii_only or _EMOJI_HINT.search(t) is None:
        python_spans: list[tuple[int, int]] = []
        npm_spans = python_spans
    else:
        python_spans, npm_spans = _emoji_spans_of(t)
    python = _entities_total(t, total, urls, python_spans, ascii_only) // SCALE
    if npm_spans == python_spans and npm_urls == urls:
        return python, python
    return python, _entities_total(t, total, npm_urls, npm_spans, ascii_only) // SCALE


def _entities_total(t: str, total: int, urls: list[Url], emoji: list[tuple[int, int]], ascii_only: bool) -> int:
    """``total`` (every code point weighed) with each URL and emoji entity counted as a whole instead."""
    light, default = _LIGHT_WEIGHT, DEFAULT_WEIGHT
    if urls or emoji:
        # As parseTweet walks the text: an entity counts only if it starts where the walk is, past
        # the previous one, and a URL wins over an emoji starting at the same offset.
        url = TRANSFORMED_URL_LENGTH * SCALE
        entities = sorted(
            [(u.start, 0, u.resume, url + default * u.half) for u in urls] + [(s, 1, e, default) for s, e in emoji]
        )
        pos = 0
        for s, _, e, weight in entities:
            if s < pos:
                continue
            n_heavy = 0 if ascii_only else len(_HEAVY.findall(t, s, e))
            total -= (e - s) * light + n_heavy * (default - light)
            total += weight
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
    spans = [(u.start, u.end) for u in extract_urls(t)]
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
