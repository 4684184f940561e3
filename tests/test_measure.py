"""bot.measure: X's weighted length (twitter-text v3 conformance + our cases) and Facebook's count."""

from __future__ import annotations

import functools
import json
import re
import subprocess
import sys
import unicodedata
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import given
from hypothesis import strategies as st

from bot import _measure_data
from bot.measure import (
    _EMOJI_HINT,
    DEFAULT_WEIGHT,
    EMOJI_PARSING_ENABLED,
    MAX_WEIGHTED_TWEET_LENGTH,
    SCALE,
    TRANSFORMED_URL_LENGTH,
    WEIGHT_RANGES,
    _emoji_spans,
    _emoji_tables,
    measure_for,
    plain_length,
    url_spans,
    x_is_valid,
    x_readings,
    x_weighted_length,
)
from bot.measure_urls import URL_HINT as _URL_HINT
from bot.measure_urls import _js_case_twins, extract_both, extract_urls, tld_start
from bot.measure_urls import url_matches as _url_matches
from bot.measure_urls import url_patterns as _url_patterns

DATA = Path(__file__).parent / "data" / "twitter-text"
REPO = Path(__file__).parent.parent


def _conformance(section: str) -> list[Any]:
    with (DATA / "validate.yml").open(encoding="utf-8") as f:
        cases: list[Any] = yaml.safe_load(f)["tests"][section]
    return [pytest.param(c["text"], c["expected"], id=c["description"]) for c in cases]


def test_constants_match_twitter_text_v3_config() -> None:
    config = json.loads((DATA / "v3.json").read_text(encoding="utf-8"))
    assert config["maxWeightedTweetLength"] == MAX_WEIGHTED_TWEET_LENGTH
    assert config["scale"] == SCALE
    assert config["defaultWeight"] == DEFAULT_WEIGHT
    assert config["transformedURLLength"] == TRANSFORMED_URL_LENGTH
    assert config["emojiParsingEnabled"] == EMOJI_PARSING_ENABLED
    assert [(r["start"], r["end"], r["weight"]) for r in config["ranges"]] == list(WEIGHT_RANGES)


# v3 counting (emoji discounted). The UnicodeDirectionalMarkerCounterTest cases run with the same
# default (v3) configuration in twitter-text's own test suites.
@pytest.mark.parametrize(
    ("text", "expected"),
    _conformance("WeightedTweetsWithDiscountedEmojiCounterTest") + _conformance("UnicodeDirectionalMarkerCounterTest"),
)
def test_twitter_text_conformance(text: str, expected: dict[str, Any]) -> None:
    assert x_weighted_length(text) == expected["weightedLength"]
    assert x_is_valid(text) is expected["valid"]


# validate.yml's "urls" section tests isValidUrl (an RFC 3986 check of a whole string, e.g. userinfo
# and IP hosts are valid there), not the extractor, so only the scheme-less section applies.
@pytest.mark.parametrize(("text", "expected"), _conformance("urls_without_protocol"))
def test_conformance_urls_without_protocol_are_whole_urls(text: str, expected: bool) -> None:
    assert expected is True
    assert url_spans(text) == [(0, len(text))]
    assert x_weighted_length(text) == TRANSFORMED_URL_LENGTH


@pytest.mark.parametrize(
    ("text", "length"),
    [
        pytest.param("¡Felices Fiestas Patrias, señoras y señores! ¿Qué tal, compañeros?", 66, id="spanish"),
        pytest.param("Perú — «Bicentenario» “1821–2021”", 33, id="typographic-punctuation"),
        pytest.param("rree.gob.pe", 23, id="domain-without-scheme"),
        pytest.param("https://www.gob.pe/rree?x=1", 23, id="https-url-with-query"),
        pytest.param("www.gob.pe/rree", 23, id="www-with-path"),
        pytest.param("https://x.com/a?b=c", 23, id="x-com"),
        pytest.param("Visita rree.gob.pe hoy.", 7 + 23 + 5, id="url-in-sentence"),
        pytest.param("https://www.gob.pe/rree/" + "a" * 300, 23, id="long-url"),
        pytest.param("3.500.000", 9, id="thousands-separators"),
        pytest.param("Sr. Pérez y Dra. Núñez", 22, id="abbreviations"),
        pytest.param("gob.pe", 23, id="bare-name-dot-cctld"),
        pytest.param("visita gob.pe hoy", 7 + 23 + 4, id="bare-domain-in-prose"),
        pytest.param("x.ai", 23, id="short-bare-domain"),
        pytest.param("a_b.gob.pe/a_b.gob.pe", 2 + 23 + 2, id="python-counter-resumes-early-after-a-path"),
        pytest.param("https://t.co/abc?x=1 y", 23 + 2, id="tco-with-query"),
        pytest.param("gob.pe/rree", 23, id="bare-cctld-with-path"),
        pytest.param("vine.co", 23, id="bare-dot-co"),
        pytest.param("https://t.co/" + "a" * 41, 13 + 41, id="tco-slug-too-long"),
        pytest.param("🇵🇪", 2, id="flag"),
        pytest.param("👨‍👩‍👧‍👦", 2, id="zwj-family"),
        pytest.param("👍🏽", 2, id="skin-tone"),
        pytest.param("❤️", 2, id="vs16"),
        pytest.param("#️⃣", 2, id="keycap"),
        pytest.param("1\ufe0f", 3, id="digit-with-vs16-is-not-an-emoji"),
        pytest.param("🏴󠁧󠁢󠁳󠁣󠁴󠁿", 2, id="tag-sequence"),
        pytest.param("🐻‍❄️", 2 + 1 + 2, id="zwj-sequence-newer-than-the-list"),
        pytest.param("🫠", 2, id="newer-emoji-weighs-two-as-any-heavy-code-point"),
        pytest.param("🇵🇵", 4, id="regional-indicators-of-no-flag"),
        pytest.param("©", 2, id="copyright-is-a-listed-emoji"),
        pytest.param("©️", 2, id="copyright-with-vs16-is-emoji"),
        pytest.param("☺︎", 4, id="text-presentation-selector"),
        pytest.param("故人西辞", 8, id="cjk"),
        pytest.param("…", 2, id="ellipsis-outside-ranges"),
        pytest.param("a\r\nb", 4, id="crlf-is-two-code-points"),
        pytest.param("", 0, id="empty"),
    ],
)
def test_x_weighted_length_table(text: str, length: int) -> None:
    assert x_weighted_length(text) == length


@pytest.mark.parametrize(
    ("text", "spans"),
    [
        pytest.param(
            "Visita rree.gob.pe y https://www.gob.pe/rree?x=1.",
            [(7, 18), (21, 48)],
            id="trailing-period-is-not-part-of-the-url",
        ),
        pytest.param("(www.gob.pe/rree)", [(1, 16)], id="parenthesised"),
        pytest.param("3.500.000 Sr. Pérez, etc.", [], id="no-urls"),
        pytest.param("Escribe a prensa@rree.gob.pe", [], id="email-is-not-a-url"),
        pytest.param("🇵🇪rree.gob.pe", [(2, 13)], id="right-after-an-emoji"),
        pytest.param("Cafe\u0301 rree.gob.pe", [(6, 17)], id="offsets-in-the-text-as-given-not-nfc"),
        pytest.param("https://e\u0301.com/x y", [(0, 16)], id="span-covers-decomposed-chars"),
        # At the very start, a character that may precede a URL is taken as its preceding character
        # (twitter-text's extractor does the same): "ñ" starts the URL only after a space.
        pytest.param("ñt.co/", [(1, 6)], id="leading-letter-taken-as-preceding-character"),
        pytest.param(" ñt.co/", [(1, 7)], id="accented-letter-inside-domain"),
    ],
)
def test_url_spans(text: str, spans: list[tuple[int, int]]) -> None:
    assert url_spans(text) == spans


@pytest.mark.parametrize(
    ("text", "valid"),
    [
        pytest.param("a" * 280, True, id="280"),
        pytest.param("a" * 281, False, id="281"),
        pytest.param("ñ" * 280, True, id="280-accented"),
        pytest.param("故" * 141, False, id="141-cjk"),
        pytest.param("", False, id="empty"),
        pytest.param(" \n\t", False, id="whitespace-only"),
        pytest.param("hola\ufeff", False, id="invalid-character"),
    ],
)
def test_x_is_valid(text: str, valid: bool) -> None:
    assert x_is_valid(text) is valid


def test_plain_length_counts_code_points() -> None:
    assert plain_length("👨‍👩‍👧‍👦") == 7
    assert plain_length("rree.gob.pe") == 11
    assert plain_length("Perú") == 4


def test_measure_for() -> None:
    assert measure_for("x") is x_weighted_length
    assert measure_for("facebook") is plain_length
    with pytest.raises(ValueError, match="instagram"):
        measure_for("instagram")


# Text made of the pieces that interact with the counting rules.
_PIECES = st.sampled_from(
    [
        *"abcXYZ019ñáé.:/-_?=()@# \n故한…©",
        *("\u0301", "\u200d", "\ufe0f", "\ufe0e", "\u20e3", "\U000e0067", "\U000e007f"),
        *("gob", "pe", "com", "co", "www", "https://", "t.co/", "xn--"),
        *("🇵", "🇪", "👨", "👩", "🏽", "❤", "☺", "😀", "🏴"),
    ]
)
_TEXT = st.lists(_PIECES, max_size=30).map("".join)


@given(_TEXT, _TEXT)
def test_space_separated_texts_add_up(a: str, b: str) -> None:
    # No URL or emoji sequence spans a space and NFC composes nothing with one. The space stays
    # in front of b: it is the context b's first URL sees (see the leading-character cases).
    # Each counter's reading adds up; the larger of the two (the count) may come from either counter on each side.
    both, left, right = x_readings(a + " " + b), x_readings(a), x_readings(" " + b)
    assert both == (left[0] + right[0], left[1] + right[1])
    assert x_weighted_length(a + " " + b) == max(both)


@given(_TEXT)
def test_canonically_equivalent_texts_measure_the_same(text: str) -> None:
    nfd, nfc = unicodedata.normalize("NFD", text), unicodedata.normalize("NFC", text)
    assert x_weighted_length(nfd) == x_weighted_length(nfc) == x_weighted_length(text)
    # The spans of the decomposed text cover the same URLs as those of the composed one (widened
    # to whole base+marks clusters when a URL starts or ends inside one).
    nfd_spans, nfc_spans = url_spans(nfd), url_spans(nfc)
    assert len(nfd_spans) == len(nfc_spans)
    for (s, e), (s2, e2) in zip(nfd_spans, nfc_spans, strict=True):
        assert nfc[s2:e2] in unicodedata.normalize("NFC", nfd[s:e])


@given(_TEXT)
def test_weight_is_at_most_two_per_code_point_without_urls(text: str) -> None:
    nfc = unicodedata.normalize("NFC", text)
    if not url_spans(nfc) and not extract_urls(nfc, npm=True):  # neither counter finds a URL
        assert x_weighted_length(text) <= 2 * len(nfc)


@given(_TEXT)
def test_fast_scans_find_what_a_full_regex_scan_finds(text: str) -> None:
    # _url_matches only runs the URL regex near '.'+TLD hints; _emoji_spans only at emoji starts.
    nfc = unicodedata.normalize("NFC", text)
    pats = _url_patterns()
    assert [m.span() for m in _url_matches(nfc, pats)] == [m.span() for m in pats.url.finditer(nfc)]
    # twitter-text's emoji pattern: an alternation of its list, longest sequences first.
    assert _emoji_spans(nfc) == [m.span() for m in _listed_emoji_regex().finditer(nfc)]
    # Where npm's patterns are skipped, its URLs are still what they find.
    assert extract_both(nfc) == (extract_urls(nfc), extract_urls(nfc, npm=True))


@functools.cache
def _listed_emoji_regex() -> re.Pattern[str]:
    listed = sorted(_emoji_tables()[0].emoji, key=len, reverse=True)
    return re.compile("|".join(map(re.escape, listed)))


def test_tld_trie_picks_the_tld_twitter_text_tries_first() -> None:
    # twitter-text tries generic TLDs, then country ones, in list order; the trie tries the longest
    # first. They agree because a TLD always comes before any TLD that is a prefix of it.
    order = [*_measure_data.GTLDS.split(), *_measure_data.CCTLDS.split()]
    prefix_pairs = [(a, b) for a in order for b in order if a != b and b.lower().startswith(a.lower())]
    assert ("co", "com") in prefix_pairs
    assert [(a, b) for a, b in prefix_pairs if order.index(a) < order.index(b)] == []


def test_every_character_either_counter_may_start_a_tld_with_is_a_tld_start() -> None:
    # Python's case folding (the Kelvin sign, long s, dotted I) and JavaScript's (each unit's case twins).
    firsts = {t[0] for t in [*_measure_data.GTLDS.split(), *_measure_data.CCTLDS.split(), "xn--"]}
    python = re.compile("[" + "".join(map(re.escape, sorted(firsts))) + "]", re.IGNORECASE)
    candidates = [chr(i) for i in range(0x10000) if python.fullmatch(chr(i))]
    javascript = [t for f in firsts for t in _js_case_twins().get(f, f)]
    assert "\u212a" in candidates and "\u017f" in candidates and "\u0130" in candidates
    assert [c for c in [*candidates, *javascript] if tld_start().fullmatch(c) is None] == []


def test_ascii_runs_spare_npms_patterns() -> None:
    code = (
        "import bot.measure as m, bot.measure_urls as u; "
        "print(m.x_weighted_length('Visita rree.gob.pe (N.º 5) «hoy»'), u.url_patterns.cache_info().currsize)"
    )
    out = subprocess.run([sys.executable, "-c", code], cwd=REPO, capture_output=True, text=True, check=True)
    assert out.stdout.split() == [str(7 + 23 + 14), "1"]


def test_every_listed_emoji_starts_where_the_emoji_hint_looks() -> None:
    for table in _emoji_tables()[:2]:  # PyPI twitter-text-parser's list, npm twitter-text's
        assert [e for e in table.emoji if _EMOJI_HINT.match(e) is None] == []


def test_spanish_prose_without_urls_or_emoji_loads_no_data() -> None:
    code = (
        "import sys, bot.measure as m; "
        "print(m.x_weighted_length('¡Felices 204 años! — «Perú» “1821–2021”… ¿Sr. Pérez?'), "
        "'bot._measure_data' in sys.modules)"
    )
    out = subprocess.run([sys.executable, "-c", code], cwd=REPO, capture_output=True, text=True, check=True)
    assert out.stdout.split() == ["53", "False"]


def test_every_tld_starts_with_a_letter_so_the_url_hint_sees_it() -> None:
    tlds = [*_measure_data.GTLDS.split(), *_measure_data.CCTLDS.split(), "xn--"]
    assert len(tlds) > 1500
    assert [t for t in tlds if not _URL_HINT.match("." + t)] == []


def test_counting_compiles_its_patterns_once() -> None:
    """What keeps a call cheap (about 12 µs; `python -m bench --only counting` has the figure, not a timed test):
    a call compiles nothing once the patterns and the emoji table exist."""
    text = "¡Felices 204 años! Visita rree.gob.pe y https://www.gob.pe/rree 🇵🇪 #FiestasPatrias @CancilleriaPeru"
    x_weighted_length(text)
    before = (_url_patterns.cache_info().misses, _emoji_tables.cache_info().misses)
    for _ in range(50):
        x_weighted_length(text)
    assert (_url_patterns.cache_info().misses, _emoji_tables.cache_info().misses) == before
    assert _url_patterns.cache_info().hits > 0


def test_import_compiles_nothing() -> None:
    code = (
        "import sys, bot.measure as m, bot.measure_urls as u; "
        "print(u.url_patterns.cache_info().currsize, m._emoji_tables.cache_info().currsize, "
        "'bot._measure_data' in sys.modules)"
    )
    out = subprocess.run([sys.executable, "-c", code], cwd=REPO, capture_output=True, text=True, check=True)
    assert out.stdout.split() == ["0", "0", "False"]


def test_generated_data_is_what_the_generator_produces() -> None:
    from tools import gen_measure_data

    assert (REPO / "bot" / "_measure_data.py").read_bytes() == gen_measure_data.render().encode("utf-8")
