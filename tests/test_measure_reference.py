"""bot.measure against the two published counters: PyPI twitter-text-parser 3.0.0 (dev extra) and npm
twitter-text 3.1.0 (node, when present; else its readings committed in tests/data/twitter-text-npm-readings.json).

The differential test measures 10,000+ seeded random texts built from the pieces that interact with
X's counting rules: our length must be the larger of the two readings, never less than either. Set
MEASURE_DIFF_SEED to explore other texts (node then required). With node and twitter-text 3.1.0 (NODE_PATH or
TWITTER_TEXT_NODE_PATH naming its node_modules), the committed readings are compared with node's; rewrite them
with `python -m tests.test_measure_reference --write-npm-readings`.
"""

from __future__ import annotations

import functools
import hashlib
import json
import os
import random
import shutil
import subprocess
import sys
import unicodedata
from collections.abc import Callable
from pathlib import Path

import pytest
from twitter_text import extract_urls_with_indices, parse_tweet

from bot import _measure_data
from bot.measure import x_is_valid, x_readings, x_weighted_length
from bot.measure_urls import extract_urls as _extract_urls

_DEFAULT_SEED = 20261130
_SEED = int(os.environ.get("MEASURE_DIFF_SEED", str(_DEFAULT_SEED)))
_TEXTS = 10_000
_ROOT = Path(__file__).resolve().parent.parent
_NPM_SCRIPT = _ROOT / "tests" / "twitter_text_npm.js"
_NPM_READINGS = _ROOT / "tests" / "data" / "twitter-text-npm-readings.json"
_NPM_VERSION = "3.1.0"

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
    "🧑‍🤝‍🧑",  # 12.0: in the Python counter's list, not in npm's (2 there, 8 here)
    "⌚️",  # in npm's list, not in the Python counter's
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
    listed_emoji = _measure_data.EMOJI.split(" ") + _measure_data.EMOJI_NPM_ONLY.split(" ")
    texts = []
    for _ in range(count):
        pieces = [_piece(rng, listed_emoji) for _ in range(rng.randrange(1, 32))]
        glue = "" if rng.random() < 0.3 else " "
        texts.append(glue.join(pieces))
    return texts


NpmReading = tuple[int, list[tuple[int, int]]]  # weighted length, URL spans (code points of the NFC text)


def _npm_command() -> tuple[list[str], dict[str, str]] | None:
    """How to run the npm referee: node, with twitter-text 3.1.0 found through NODE_PATH; None without them."""
    node = shutil.which("node")
    if node is None:
        return None
    env = dict(os.environ)
    if os.environ.get("TWITTER_TEXT_NODE_PATH"):
        env["NODE_PATH"] = os.environ["TWITTER_TEXT_NODE_PATH"]
    probe = [node, "-e", "process.stdout.write(require('twitter-text/package.json').version)"]
    found = subprocess.run(probe, capture_output=True, text=True, env=env, check=False)
    return ([node, str(_NPM_SCRIPT)], env) if found.stdout == _NPM_VERSION else None


def _code_points(text: str, unit: int) -> int:
    return len(text.encode("utf-16-le")[: 2 * unit].decode("utf-16-le", "surrogatepass"))


def _node_readings(texts: list[str]) -> list[NpmReading]:
    command = _npm_command()
    assert command is not None
    result = subprocess.run(command[0], input=json.dumps(texts), capture_output=True, text=True, env=command[1])
    assert result.returncode == 0, result.stderr
    answer = json.loads(result.stdout)
    assert answer["version"] == _NPM_VERSION
    readings = []
    for text, (length, urls) in zip(texts, answer["readings"], strict=True):
        nfc = unicodedata.normalize("NFC", text)
        readings.append((int(length), [(_code_points(nfc, a), _code_points(nfc, b)) for a, b in urls]))
    return readings


def _digest(texts: list[str]) -> str:
    return hashlib.sha256("\x00".join(texts).encode("utf-8", "surrogatepass")).hexdigest()


def _python_urls(nfc: str) -> list[tuple[int, int]]:
    return [(u["indices"][0], u["indices"][1]) for u in extract_urls_with_indices(nfc)]


def _table(texts: list[str], readings: list[NpmReading]) -> dict[str, object]:
    """What is committed: npm's length of each text."""
    return {
        "twitter-text": _NPM_VERSION,
        "seed": _DEFAULT_SEED,
        "texts": len(texts),
        "texts_sha256": _digest(texts),
        "lengths": [length for length, _ in readings],
    }


def _nfc(text: str) -> str:
    return unicodedata.normalize("NFC", text)


def _npm_lengths(texts: list[str], mine: range) -> dict[int, int]:
    """npm's length of each text of `mine` (indexes into `texts`): from node when present (only those texts: each
    part asks node for its own quarter), else from the committed table (made from the same texts)."""
    if _npm_command() is not None:
        readings = _node_readings([texts[i] for i in mine])
        return {i: length for i, (length, _) in zip(mine, readings, strict=True)}
    table = json.loads(_NPM_READINGS.read_text(encoding="utf-8"))
    assert table["texts_sha256"] == _digest(texts), (
        "the generated texts changed: rewrite the committed npm readings with node "
        "(python -m tests.test_measure_reference --write-npm-readings)"
    )
    lengths = table["lengths"]
    assert isinstance(lengths, list) and len(lengths) == len(texts)
    return {i: int(lengths[i]) for i in mine}


_PARTS = 4  # the same texts in four tests, which xdist runs side by side


@pytest.mark.long
@pytest.mark.parametrize("part", range(_PARTS))
def test_differential_against_both_published_counters(part: int, summary_line: Callable[[str], None]) -> None:
    """Our reading by each counter's rules is that counter's on every text, and our length the larger of the two,
    never less than either; our URLs and validity are the Python counter's. Every `_PARTS`-th text from `part`."""
    if _SEED != _DEFAULT_SEED and _npm_command() is None:
        pytest.skip("another seed needs node with twitter-text 3.1.0 (the committed readings are of the default)")
    texts = _texts(_SEED, _TEXTS)
    mine = range(part, len(texts), _PARTS)
    npm_lengths = _npm_lengths(texts, mine)
    lower: list[tuple[object, ...]] = []
    larger = 0
    for i in mine:
        text = texts[i]
        ref, nfc = parse_tweet(text), _nfc(text)
        # Deliberate: "\r\n" is two code points here (the JavaScript counter's reading, the larger);
        # the Python counter folds it into one.
        python = ref.weightedLength + nfc.count("\r\n")
        ours = x_weighted_length(text)
        larger += npm_lengths[i] > python
        # Each counter's reading is that counter's, and the count is the larger.
        if x_readings(text) != (python, npm_lengths[i]) or ours != max(python, npm_lengths[i]):
            lower.append((text, ours, python, npm_lengths[i]))
        if "\r\n" in nfc:
            continue
        # The URLs are the Python counter's. Deliberate: text of only spaces and controls is invalid here (the
        # Java counter's reading), and so is a text the npm reading makes longer than 280.
        blank = all(ch <= " " for ch in nfc)
        if [(u.start, u.end) for u in _extract_urls(nfc)] != _python_urls(nfc):
            lower.append((text, "urls", [(u.start, u.end) for u in _extract_urls(nfc)], _python_urls(nfc)))
        elif x_is_valid(text) != (ref.valid and not blank and ours <= 280):
            lower.append((text, "valid", x_is_valid(text), ref.valid))
    summary_line(
        f"measure (part {part + 1}/{_PARTS}): {len(mine) - len(lower)} of {len(mine)} texts are the larger of both "
        f"published readings (npm twitter-text's is the larger on {larger})"
    )
    assert lower == [], f"seed {_SEED}: {len(lower)} texts, first: {lower[:3]!r}"


@functools.cache
def _node_readings_of_all(seed: int) -> tuple[list[str], list[NpmReading]]:
    """The `_TEXTS` texts of `seed` and node's readings of them: asked once per process for the two tests that
    need all of them (URLs, committed table), which usually run on the same worker."""
    texts = _texts(seed, _TEXTS)
    return texts, _node_readings(texts)


def test_npm_urls_are_nodes() -> None:
    """bot.measure_urls finds npm twitter-text's URLs (as code point offsets) on every generated text."""
    if _npm_command() is None:
        pytest.skip("node with twitter-text 3.1.0 is not installed")
    texts, readings = _node_readings_of_all(_SEED)
    pairs = zip(texts, readings, strict=True)
    ours = ([(u.start, u.end) for u in _extract_urls(_nfc(t), npm=True)] for t in texts)
    differ = [(t, urls) for (t, (_, urls)), found in zip(pairs, ours, strict=True) if found != urls]
    assert differ == []


def test_npm_emoji_readings_are_never_larger_than_ours() -> None:
    """Every sequence of either published list, alone and between words: ours is never the smaller reading."""
    if _npm_command() is None:
        pytest.skip("node with twitter-text 3.1.0 is not installed")
    sequences = sorted(set(_measure_data.EMOJI.split(" ")) | set(_measure_data.EMOJI_NPM_ONLY.split(" ")))
    texts = [t for seq in sequences for t in (seq, f"a{seq}b", seq + "\ufe0e", seq * 2)]
    readings = _node_readings(texts)
    pairs = zip(texts, readings, strict=True)
    lower = [(t, x_weighted_length(t), n) for t, (n, _) in pairs if x_weighted_length(t) < n]
    assert lower == []


def test_the_committed_npm_readings_are_nodes() -> None:
    if _npm_command() is None:
        pytest.skip("node with twitter-text 3.1.0 is not installed: the committed readings are used as they are")
    texts, readings = _node_readings_of_all(_DEFAULT_SEED)
    assert json.loads(_NPM_READINGS.read_text(encoding="utf-8")) == _table(texts, readings)


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


def test_the_larger_reading_of_an_emoji_the_counters_list_differently() -> None:
    assert x_weighted_length("🧑‍🤝‍🧑") == 8  # Python counter 2 (listed), npm 8 (per code point)
    assert parse_tweet("🧑‍🤝‍🧑").weightedLength == 2
    assert x_weighted_length("⌚️") == 4  # npm 2 (listed with U+FE0F), Python counter 4
    assert x_weighted_length("©") == 2  # Python counter 2 (listed), npm 1 (a light code point)


# Where the counters find different URLs: (text, PyPI twitter-text-parser's length, npm twitter-text's length).
_URL_DIFFERENCES = [
    pytest.param("https://t.co/abc?x=1\u017f", 23, 24, id="long-s-ends-the-query-in-javascript"),
    pytest.param("\u0130gob.pe/a", 23, 24, id="dotted-capital-i-precedes-a-url-in-javascript"),
    pytest.param("GOB.P\u0130NK", 23, 8, id="dotted-capital-i-is-no-tld-letter-in-javascript"),
    pytest.param("https://\u65e5\u672c.jp/" + "b" * 4067, 4083, 23, id="npm-counts-the-limit-before-punycode"),
    pytest.param("m.SEAT?x=1https://\U0001f600.com/http://x.co", 65, 53, id="npm-splits-a-surrogate-pair"),
    pytest.param("a.\u30bb\u30fc\u30eb\U0001f536\xe9\u65e5\u672c.taipei/", 36, 38, id="npm-resumes-mid-pair"),
]


@pytest.mark.parametrize(("text", "python", "npm"), _URL_DIFFERENCES)
def test_the_larger_reading_where_the_counters_find_other_urls(text: str, python: int, npm: int) -> None:
    assert parse_tweet(text).weightedLength == python
    assert x_readings(text) == (python, npm)
    assert x_weighted_length(text) == max(python, npm)


def test_the_url_differences_are_npms_readings() -> None:
    if _npm_command() is None:
        pytest.skip("node with twitter-text 3.1.0 is not installed")
    texts = [str(p.values[0]) for p in _URL_DIFFERENCES]
    assert [n for n, _ in _node_readings(texts)] == [p.values[2] for p in _URL_DIFFERENCES]


def test_both_counters_have_the_committed_tld_lists() -> None:
    """One TLD list serves both counters: PyPI twitter-text-parser's patterns and npm twitter-text's are the
    committed tools/data/twitter-text-tlds.txt, in its order."""
    from twitter_text.regexp.valid_cctld import valid_cctld
    from twitter_text.regexp.valid_gtld import valid_gtld

    def words(pattern: str) -> list[str]:
        assert pattern.startswith("(?:(?:") and pattern.endswith(")(?=[^0-9a-zA-Z@+-]|$))")
        return pattern[len("(?:(?:") : -len(")(?=[^0-9a-zA-Z@+-]|$))")].split("|")

    committed = (_measure_data.GTLDS.split(), _measure_data.CCTLDS.split())
    assert (words(valid_gtld.pattern), words(valid_cctld.pattern)) == committed
    command = _npm_command()
    if command is None:
        pytest.skip("node with twitter-text 3.1.0 is not installed: npm's lists are not compared")
    script = (
        "const r = (n) => require('twitter-text/dist/regexp/' + n).source;"
        "process.stdout.write(JSON.stringify([r('validGTLD'), r('validCCTLD')]))"
    )
    found = subprocess.run([command[0][0], "-e", script], capture_output=True, text=True, env=command[1], check=True)
    gtld, cctld = json.loads(found.stdout)
    assert (words(gtld), words(cctld)) == committed


def _write_npm_readings() -> None:
    texts = _texts(_DEFAULT_SEED, _TEXTS)
    text = json.dumps(_table(texts, _node_readings(texts)), separators=(",", ":")) + "\n"
    _NPM_READINGS.write_text(text, encoding="utf-8")


def test_crlf_counts_two_where_the_python_counter_counts_one() -> None:
    assert x_weighted_length("a\r\nb") == 4
    assert parse_tweet("a\r\nb").weightedLength == 3


def test_emoji_list_is_the_referees() -> None:
    from twitter_text.regexp.emoji import emoji_list

    assert _measure_data.EMOJI.split(" ") == ["".join(chr(int(c, 16)) for c in e.codepoint.split()) for e in emoji_list]


if __name__ == "__main__":
    if sys.argv[1:] != ["--write-npm-readings"]:
        sys.exit("usage: python -m tests.test_measure_reference --write-npm-readings  (needs node and twitter-text)")
    _write_npm_readings()
