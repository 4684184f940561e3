"""bot.measure against an independent referee: PyPI twitter-text-parser 3.0.0 (dev extra).

The differential test measures 10,000+ seeded random texts built from the pieces that interact with
X's counting rules, and allows no difference. Set MEASURE_DIFF_SEED to explore other texts.
"""

from __future__ import annotations

import os
import random
import unicodedata

import pytest
from twitter_text import extract_urls_with_indices, parse_tweet

from bot import _measure_data
from bot.measure import _extract_urls, x_is_valid, x_weighted_length

_SEED = int(os.environ.get("MEASURE_DIFF_SEED", "20261130"))
_TEXTS = 10_000

_PROSE = [
    "Felices",
    "Fiestas",
    "Patrias,",
    "señoras",
    "y",
    "señores.",
    "¿Qué",
    "tal,",
    "compañeros?",
    "¡Viva",
    "el",
    "Perú!",
    "El",
    "28",
    "de",
    "julio,",
    "a",
    "las",
    "9:00",
    "a.",
    "m.,",
    "el",
    "Sr.",
    "Pérez",
    "y",
    "la",
    "Dra.",
    "Núñez",
    "(Cancillería)",
    "saludan",
    "a",
    "3.500.000",
    "peruanos",
    "—",
    "«Bicentenario»",
    "“1821–2021”…",
    "etc.",
]
_SCHEME_URLS = [
    "https://www.gob.pe/rree",
    "http://x.com/a?b=c",
    "HTTPS://GOB.PE/Rree(x)",
    "https://t.co/abc123",
    "https://t.co/abc?x=1",
    "https://t.co/" + "a" * 41,
    "https://例え.jp/パス",
    "https://xn--fiqs8s.cn/a",
    "https://a.b.c.museum:8080/x?y=1#z",
    "https://es.wikipedia.org/wiki/Perú_(país)",
    "http://münchen.de/straße",
    "https://😀.com/",
    "https://" + "a" * 64 + ".com",
    "https://a.com/@user/",
    "https://a.com/path.(x)",
]
# Either side of twitter-text's URL limit (scheme + URL, punycode domain, <= 4096 characters); rare,
# as long texts are slow to measure.
_LONG_URLS = ["https://a.com/" + "b" * n for n in (4074, 4075)] + ["https://日本.jp/" + "b" * n for n in (4066, 4067)]
_NAMES = ["gob", "rree.gob", "x", "a-b", "a_b", "www", "sub.dom", "GOB", "ñandú", "日本", "münchen", "xn--mnchen-3ya"]
_SUFFIXES = ["", "", "", "/rree", "/a(b)", "/@user/", ":80", "?x=1", ":8080/p?q=1", "/", "/."]
_SPECIAL_TLDS = ["xn--p1ai", "XN--P1AI", "onion", "arpa", "zz", "example", "local", "c0m", "comx", "co1"]
_WORDS = ["@cancilleriaperu", "@x", "＠abc", "#FiestasPatrias", "#204años", "＃Perú", "$PEN", "prensa@rree.gob.pe"]
_EMOJI = [
    "👨‍👩‍👧‍👦",  # ZWJ family
    "👍🏽",  # skin tone
    "🇵🇪",  # flag
    "🇵🇵",  # regional indicators that are no flag
    "1️⃣",  # keycaps
    "#⃣",
    "*️⃣",
    "🏴󠁧󠁢󠁳󠁣󠁴󠁿",  # tag sequence
    "🐻‍❄️",  # Emoji 13.0
    "❤️‍🔥",  # 13.1
    "🫠",  # 14.0
    "🫱🏻‍🫲🏿",  # 14.0
    "🩷",  # 15.0
    "🐦‍🔥",  # 15.1
    "🙂‍↔️",  # 15.1
    "🧑‍🧑‍🧒",  # 15.1
    "©",
    "®",
    "©️",
    "☺︎",
    "☺️",
    "™",
    "‼",
    "\u200d",
    "\ufe0f",
    "🏽",
]
_OTHER = [
    "故人西辞黄鹤楼",
    "대한민국",
    "ありがとう。",
    "．",
    "e\u0301",  # combining marks (NFC composes)
    "n\u0303",
    "a\u0300\u0316",
    "\u0301",
    "\u1100\u1161",  # Hangul jamo (NFC composes)
    "\u212b",  # Angstrom sign (NFC: Å)
    "\u2126",  # Ohm sign (NFC: Ω)
    "\uf900",  # CJK compatibility ideograph (NFC: 豈)
    "\u0958",  # composition exclusion
    "\u212a",  # Kelvin sign, case-folds to "k"
    "\u017f",  # long s, case-folds to "s"
    "\u0130",
    "ß",
    "…",
    "\u2013",
]
_SEPARATORS = [" ", " ", " ", "\n", ",", ".", "(", ")", "/", "-", "_", "@", "#", "\t", "\u3000", "\u200b", "\u202a"]
_SEPARATORS += ["\r", "\r\n", "\ufeff", '"', ":", "'"]


def _bare_domain(rng: random.Random) -> str:
    kind = rng.randrange(4)
    if kind == 0:
        tld = rng.choice(_measure_data.GTLDS.split())
    elif kind == 1:
        tld = rng.choice(_measure_data.CCTLDS.split())
    elif kind == 2:
        tld = rng.choice(_SPECIAL_TLDS)
    else:  # an internationalised TLD of either list
        tld = rng.choice([t for t in (_measure_data.GTLDS + " " + _measure_data.CCTLDS).split() if not t.isascii()])
    if rng.random() < 0.2:
        tld = tld.upper()
    return rng.choice(_NAMES) + "." + tld + rng.choice(_SUFFIXES)


def _piece(rng: random.Random, listed_emoji: list[str]) -> str:
    kind = rng.randrange(9)
    if kind <= 1:
        return rng.choice(_PROSE)
    if kind == 2:
        return rng.choice(_LONG_URLS if rng.random() < 0.01 else _SCHEME_URLS)
    if kind == 3:
        return _bare_domain(rng)
    if kind == 4:
        return rng.choice(_WORDS)
    if kind == 5:
        return rng.choice(_EMOJI)
    if kind == 6:  # any listed emoji, or the start of one
        seq = rng.choice(listed_emoji)
        return seq if rng.random() < 0.7 else seq[: rng.randrange(1, len(seq) + 1)]
    if kind == 7:
        return rng.choice(_OTHER)
    return rng.choice(_SEPARATORS)


def _texts(seed: int, count: int) -> list[str]:
    rng = random.Random(seed)
    listed_emoji = _measure_data.EMOJI.split(" ")
    texts = []
    for _ in range(count):
        pieces = [_piece(rng, listed_emoji) for _ in range(rng.randrange(1, 32))]
        glue = "" if rng.random() < 0.3 else " "
        texts.append(glue.join(pieces))
    return texts


_PARTS = 4  # the same texts in four tests, which xdist runs side by side


@pytest.mark.long
@pytest.mark.parametrize("part", range(_PARTS))
def test_differential_against_twitter_text_parser(part: int) -> None:
    differences: list[tuple[object, ...]] = []
    for text in _texts(_SEED, _TEXTS)[part::_PARTS]:
        ref = parse_tweet(text)
        nfc = unicodedata.normalize("NFC", text)
        # Deliberate: "\r\n" is two code points here (the JavaScript counter's reading, the larger);
        # the Python counter folds it into one.
        crlf = nfc.count("\r\n")
        if x_weighted_length(text) != ref.weightedLength + crlf:
            differences.append((text, x_weighted_length(text), ref.weightedLength + crlf))
            continue
        if crlf:
            continue
        ours_urls = [(u.start, u.end) for u in _extract_urls(nfc)]
        ref_urls = [tuple(u["indices"]) for u in extract_urls_with_indices(nfc)]
        # Deliberate: text of only spaces and controls is invalid here (the Java counter's reading).
        blank = all(ch <= " " for ch in nfc)
        if ours_urls != ref_urls or x_is_valid(text) != (ref.valid and not blank):
            differences.append((text, ours_urls, ref_urls))
    assert differences == [], f"seed {_SEED}: {len(differences)} differences, first: {differences[:3]!r}"


def test_generated_texts_cover_every_kind_of_piece() -> None:
    texts = _texts(_SEED, 2000)
    joined = "".join(texts)
    assert len(set(texts)) > 0.95 * len(texts)
    needles = ["https://", "gob.", "@", "#", "\u200d", "🏽", "🇵", "⃣", "故", "\u0301", "\u212b", "xn--", "¿"]
    assert [n for n in [*needles, "b" * 4066] if n not in joined] == []
    # Domains with a TLD of each list and of neither.
    lowered = joined.lower()
    assert any(f".{t}" in lowered for t in ("pe", "cl", "ar")) and ".com" in lowered and ".zz" in lowered


@pytest.mark.parametrize(
    ("text", "length"),
    [
        pytest.param("gob.pe", 23, id="bare-name-dot-cctld"),
        pytest.param("visita gob.pe hoy", 34, id="bare-domain-in-prose"),
        pytest.param("x.ai", 23, id="short-bare-domain"),
        pytest.param("🐻‍❄️", 5, id="zwj-sequence-newer-than-the-emoji-list"),
    ],
)
def test_issue_table(text: str, length: int) -> None:
    assert x_weighted_length(text) == length
    assert parse_tweet(text).weightedLength == length


def test_crlf_counts_two_where_the_python_counter_counts_one() -> None:
    assert x_weighted_length("a\r\nb") == 4
    assert parse_tweet("a\r\nb").weightedLength == 3


def test_emoji_list_is_the_referees() -> None:
    from twitter_text.regexp.emoji import emoji_list

    assert _measure_data.EMOJI.split(" ") == ["".join(chr(int(c, 16)) for c in e.codepoint.split()) for e in emoji_list]
