"""Property tests of bot.split over generated Spanish-like text with a non-additive, X-like measure."""

from __future__ import annotations

import contextlib
import importlib
import itertools
import math
import re
import unicodedata
from collections.abc import Callable
from typing import cast

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot import breaks, split
from bot.split import Piece, TokenTooLong, split_message

Measure = Callable[[str], int]

_URL = re.compile(r"https?://\S+|(?<!\S)[\w.-]+\.pe(?:/\S*)?(?!\S)")


def _weighted(text: str) -> int:
    """Test-only X-like length: after NFC, URLs count 23, characters from U+1100 up count 2."""
    text = unicodedata.normalize("NFC", text)
    rest = _URL.sub("", text)
    return 23 * len(_URL.findall(text)) + sum(2 if ord(c) >= 0x1100 else 1 for c in rest)


def _x_measure() -> Measure:
    try:
        module = importlib.import_module("bot.measure")
    except ImportError:
        return _weighted
    return cast(Measure, module.x_weighted_length)


MEASURE = _x_measure()
NO_BREAK = "\u00a0\u202f\u2007"

LETTERS = "abcdefghijklmnñopqrstuvwxyzáéíóúü"
SPECIALS = [
    *("Sr. Pérez", "Sra. Díaz", "Srta.", "Dr. Salas", "Dra.", "Ud.", "Uds.", "Vd.", "Lic. Ramos", "Ing."),
    *("Arq.", "Mons.", "Excmo.", "Excma.", "Sto.", "Sta. Rosa", "EE. UU.", "EE.UU.", "etc.", "p. ej."),
    *("N.º 5", "Nº 12", "n.º 3", "núm. 4", "pág. 10", "art. 2", "cap.", "vol.", "tel.", "av. Grau"),
    *("Av. Brasil", "10 a. m.", "5 p. m.", "aprox.", "dpto. 301", "Jr. Junín", "S. A.", "300 a. C."),
    *("d. C.", "J. C. Mariátegui", "3,5", "3.500.000", "3\u00a0500", "10 %", "S/ 20", "2024."),
    *("https://www.gob.pe/rree", "rree.gob.pe", "https://x.com/CancilleriaPeru/status/1234567890"),
    *("@CancilleriaPeru", "#FiestasPatrias", "👍", "👨\u200d👩\u200d👧", "🇵🇪", "秘鲁", "ペルー"),
    *("¿Qué tal?", "¡Viva el Perú!", "—", "«cita».", "(nota)", "e\u0301xito", "...", "…"),
]
SEPARATORS = [" "] * 12 + ["  ", "\n", "\n\n", "\n \n", "\t", " \u00a0", "\u202f", "\r\n\r\n"]


@st.composite
def words(draw: st.DrawFn) -> str:
    kind = draw(st.integers(0, 40))
    if kind < 8:
        return draw(st.sampled_from(SPECIALS))
    if kind == 8:  # now and then, a word too long for small limits
        return "x" * draw(st.integers(20, 150))
    word = draw(st.text(LETTERS, min_size=1, max_size=12))
    if draw(st.booleans()):
        word = word.capitalize()
    return word + draw(st.sampled_from(["", "", "", ",", ";", ":", ".", "?", "!", "…", ".»", '."', ")"]))


@st.composite
def texts(draw: st.DrawFn) -> str:
    count = draw(st.integers(0, 160))  # drawn apart so that long texts stay common
    items = draw(st.lists(words(), min_size=count, max_size=count))
    seps = draw(st.lists(st.sampled_from(SEPARATORS), min_size=len(items), max_size=len(items)))
    edge = st.sampled_from(["", "", " ", "\n\n", " \u00a0"])
    return draw(edge) + "".join(w + s for w, s in zip(items, seps, strict=True)).rstrip() + draw(edge)


LIMITS = st.integers(30, 400)
NUMBERINGS = st.sampled_from([None, "{i}/{n}"])

# The spec's abbreviations, written out independently of bot/breaks.py.
TITLES = {"Sr.", "Sra.", "Srta.", "Dr.", "Dra.", "Ud.", "Uds.", "Vd.", "Lic.", "Ing.", "Arq.", "Mons."}
TITLES |= {"Excmo.", "Excma.", "Sto.", "Sta.", "N.º", "Nº", "n.º", "núm.", "pág.", "art.", "cap."}
TITLES |= {"vol.", "tel.", "av.", "Av.", "dpto.", "Jr.", "p.ej."}
MAY_END_SENTENCE = {"etc.", "EE.UU.", "aprox.", "a.m.", "p.m.", "a.C.", "d.C.", "S.A."}
PAIRS = {("p.", "ej."), ("p.", "m."), ("a.", "m."), ("a.", "C."), ("d.", "C."), ("EE.", "UU."), ("S.", "A.")}
CURRENCIES = {"S/", "S/.", "US$", "$", "€"}
UNIT_PAIRS = {("a.", "m."), ("p.", "m."), ("a.", "C."), ("d.", "C.")}
OPENERS = "\"“‘«([¿¡'"
CLOSERS = "\"”’»)]'"


def _is_paragraph(gap: str) -> bool:
    return len((gap + "x").splitlines()) > 2


def _allowed_break(before: str, gap: str, after: str) -> bool:
    """Whether the spec allows a break at `gap`, between the text `before` and the text `after`."""
    if _is_paragraph(gap):
        return True
    if any(c in NO_BREAK for c in gap):
        return False
    # Quotes and brackets around a word do not change what it is ("A.»" is still an initial).
    prev, last = (s.lstrip(OPENERS).rstrip(CLOSERS) for s in ["", *before.split()][-2:])
    first, second = [*after.split(), ""][:2]
    lower_next = first.lstrip(OPENERS)[:1].islower()
    if (prev, last) == ("p.", "ej."):
        return False
    if (prev, last) in PAIRS:  # the end of a two-word abbreviation, like "etc."
        return not lower_next
    if last in TITLES or (last, first.rstrip(",;:")) in PAIRS or re.fullmatch(r"[A-ZÁÉÍÓÚÑ]\.", last):
        return False
    if last in MAY_END_SENTENCE:
        return not lower_next
    if last in CURRENCIES and first[:1].isdigit():  # "S/ 20" stays together
        return False
    is_number = re.fullmatch(r"\d+(?:[.,]\d+)*", last) is not None
    return not (is_number and (first == "%" or (first, second.rstrip(",;:")) in UNIT_PAIRS))


def _gaps(text: str, pieces: tuple[Piece, ...]) -> list[str]:
    return [text[a.end : b.start] for a, b in itertools.pairwise(pieces)]


def _label(numbering: str | None, n: int) -> str:
    return "" if numbering is None or n == 1 else f" {n}/{n}"


@pytest.mark.long
@settings(max_examples=200, deadline=None)
@given(texts(), LIMITS, NUMBERINGS)
def test_pieces_fit_and_rebuild_the_text(text: str, limit: int, numbering: str | None) -> None:
    try:
        pieces = split_message(text, limit, MEASURE, numbering)
    except TokenTooLong as error:
        # Raised only for a real whitespace-delimited unit that does not fit even with the narrowest label.
        token, offset = error.token, error.offset
        assert token and text[offset : offset + len(token)] == token and token == token.strip()
        assert offset == 0 or text[offset - 1].isspace()
        assert offset + len(token) == len(text) or text[offset + len(token)].isspace()
        if numbering is None:
            assert MEASURE(token) > limit
        else:  # it fits alone, but then more than one fragment, so labels, are needed
            assert MEASURE(token + " 999/999") > limit
            with contextlib.suppress(TokenTooLong):
                assert len(split_message(text, limit, MEASURE, None)) > 1
        return
    if not text.strip():
        assert pieces == ()
        return
    n = len(pieces)
    for i, piece in enumerate(pieces, 1):
        assert piece.body and piece.body == piece.body.strip() == text[piece.start : piece.end]
        assert MEASURE(piece.text) <= limit
        assert piece.text == piece.body + ("" if numbering is None or n == 1 else f" {i}/{n}")
    gaps = _gaps(text, pieces)
    assert all(gap.isspace() for gap in gaps)
    assert not text[: pieces[0].start].strip() and not text[pieces[-1].end :].strip()
    assert "".join(p.body + gap for p, gap in zip(pieces, [*gaps, ""], strict=True)) == text.strip()
    for before, gap, after in zip(pieces, gaps, pieces[1:], strict=False):
        assert _allowed_break(before.body, gap, after.body), (before.body[-20:], gap, after.body[:20])
    assert split_message(text, limit, MEASURE, numbering) == pieces


_PREFERRED_END = re.compile(r"[.?!…,;:—–-][\"”’»)\]']*$")


def _preferred(before: str, gap: str, after: str) -> bool:
    """A paragraph, sentence, line or clause end, as the spec ranks them (any other space is not)."""
    return (
        "\n" in gap or "\u2029" in gap or bool(_PREFERRED_END.search(before)) or after.lstrip(OPENERS[:-3])[:1] in "¿¡"
    )


@pytest.mark.long
@settings(max_examples=200, deadline=None)
@given(texts(), LIMITS, NUMBERINGS)
def test_fragments_end_well_or_are_full(text: str, limit: int, numbering: str | None) -> None:
    """A non-last fragment ends at a preferred break once a quarter full, or the next word could not fit."""
    try:
        pieces = split_message(text, limit, MEASURE, numbering)
    except TokenTooLong:
        return
    label = _label(numbering, len(pieces))
    room = limit - MEASURE(label)
    for piece, gap, after in zip(pieces, _gaps(text, pieces), pieces[1:], strict=False):
        if _preferred(piece.body, gap, after.body) and MEASURE(piece.body + label) - MEASURE(label) >= room / 4:
            continue
        first_gap = re.search(r"\s+", after.body)
        next_word = after.body if first_gap is None else after.body[: first_gap.start()]
        if MEASURE(piece.body + gap + next_word + label) <= limit:
            # The next word would have fitted: it must be glued to what follows it.
            assert first_gap is not None
            rest = after.body[first_gap.end() :]
            assert not _allowed_break(next_word, first_gap.group(), rest), (piece.body, next_word)


def _cheapest_by_brute_force(text: str, limit: int) -> float:
    """The least cost over every split that bot.split may choose (no numbering), found by trying them all.

    The places a break may go and their ranks come from the splitter's own layout (the rules are tested above);
    what this checks is the search.
    """
    layout = breaks.layout_of(text)
    ranks = breaks.ranks_of(layout)
    units = len(layout.ends)
    best = math.inf
    for chosen in itertools.chain.from_iterable(itertools.combinations(range(units - 1), r) for r in range(units)):
        bounds = list(zip((0, *(end + 1 for end in chosen)), (*chosen, units - 1), strict=True))
        bodies = [text[layout.starts[a] : layout.ends[b]] for a, b in bounds]
        if any(MEASURE(body) > limit for body in bodies):
            continue
        cost = split._FRAGMENT_COST * len(bodies)
        for (a, b), body in zip(bounds[:-1], bodies, strict=False):
            as_far_as_fits = MEASURE(text[layout.starts[a] : layout.ends[b + 1]]) > limit
            preferred = ranks[b] <= breaks.Rank.CLAUSE and MEASURE(body) >= limit / split._MIN_FILL
            if not (preferred or as_far_as_fits):
                break  # bot.split never ends a fragment there
            cost += _break_cost(ranks, a, b) + split._UNUSED_ROOM_COST * (limit - MEASURE(body)) / limit
        else:
            best = min(best, cost)
    return best


def _break_cost(ranks: list[breaks.Rank], a: int, b: int) -> float:
    """The cost of ending at unit b a fragment that starts at unit a.

    A plain space costs more when the fragment holds a clause break of the same sentence (one after which
    no sentence, paragraph or line break comes before b).
    """
    if ranks[b] != breaks.Rank.SPACE:
        return split._BREAK_COST[ranks[b]]
    same_sentence = itertools.takewhile(lambda k: ranks[k] >= breaks.Rank.CLAUSE, range(b - 1, a - 1, -1))
    if any(ranks[k] == breaks.Rank.CLAUSE for k in same_sentence):
        return split._AVOIDABLE_SPACE_COST
    return split._BREAK_COST[breaks.Rank.SPACE]


def _cost_of(text: str, pieces: tuple[Piece, ...], limit: int) -> float:
    layout = breaks.layout_of(text)
    ranks = breaks.ranks_of(layout)
    cost = split._FRAGMENT_COST * len(pieces)
    for piece in pieces[:-1]:
        a, b = layout.starts.index(piece.start), layout.ends.index(piece.end)
        cost += _break_cost(ranks, a, b) + split._UNUSED_ROOM_COST * (limit - MEASURE(piece.body)) / limit
    return cost


@settings(max_examples=300, deadline=None)
@given(
    st.lists(words(), min_size=2, max_size=9),
    st.lists(st.sampled_from(SEPARATORS), min_size=9, max_size=9),
    st.integers(12, 60),
)
def test_split_is_the_cheapest(items: list[str], seps: list[str], limit: int) -> None:
    """On short texts, an exhaustive search over every split finds none cheaper than split_message's."""
    text = "".join(w + s for w, s in zip(items, seps, strict=False)).strip()
    try:
        pieces = split_message(text, limit, MEASURE, None)
    except TokenTooLong:
        return
    if len(pieces) < 2:
        return
    assert math.isclose(_cost_of(text, pieces, limit), _cheapest_by_brute_force(text, limit)), [p.body for p in pieces]
