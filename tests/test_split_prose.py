"""Prose quality of the X split on real Spanish announcements (tests/data/prose/) and the committed message.

The checks here do not reuse the splitter's own rules: sentences, clause marks and the fewest possible
number of posts are found independently, with plain regular expressions and a greedy fill.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from bot.measure import measure_for
from bot.split import Piece, split_message

PROSE = sorted((Path(__file__).parent / "data" / "prose").glob("*.txt"))
MESSAGE = Path(__file__).parent.parent / "messages" / "mensaje-canciller-fiestas-patrias.txt"
MEASURE = measure_for("x")
LIMIT = 280
CLOSERS = "\"”’»)\\]'"
SENTENCE_MARK = re.compile(rf"[.?!…][{CLOSERS}]*$")
CLAUSE_MARK = re.compile(rf"[,;:—–-][{CLOSERS}]*$")
# A clause mark followed by a space; its match ends where a fragment could end.
CLAUSE_BREAK = re.compile(rf"[,;:—–-][{CLOSERS}]*(?=\s)")
# A sentence ends at . ? ! … before a capital, an opening mark or a digit; a line break also starts one.
SENTENCE_START = re.compile(rf"(?:[.?!…][{CLOSERS}]*\s+|\n\s*)(?=[¿¡\"“«(]*[A-ZÁÉÍÓÚÑ0-9])")


def ending(text: str, piece: Piece) -> str:
    """How a fragment ends: 'line' (a line or paragraph break), 'sentence', 'clause' or 'space'."""
    if "\n" in text[piece.end : piece.end + 2]:
        return "line"
    if SENTENCE_MARK.search(piece.body):
        return "sentence"
    if CLAUSE_MARK.search(piece.body):
        return "clause"
    return "space"


def avoidable(text: str, piece: Piece) -> bool:
    """The fragment ends at a plain space though its last sentence has a clause break inside the fragment."""
    if ending(text, piece) != "space":
        return False
    sentence = max((m.end() for m in SENTENCE_START.finditer(text, 0, piece.end)), default=0)
    since = max(sentence, piece.start)
    return any(since < m.end() < piece.end for m in CLAUSE_BREAK.finditer(text, since, piece.end))


def fewest(text: str) -> int:
    """The fewest numbered posts a greedy fill reaches breaking at any space (a lower bound for the splitter)."""
    words = [m.span() for m in re.finditer(r"\S+", text)]
    count = 1
    while True:
        label = max((f" {i}/{count}" for i in range(1, count + 1)), key=MEASURE)
        posts, first = 0, 0
        while first < len(words):
            last = first
            while last + 1 < len(words) and MEASURE(text[words[first][0] : words[last + 1][1]] + label) <= LIMIT:
                last += 1
            posts, first = posts + 1, last + 1
        if posts <= count:
            return posts
        count = posts


def greedy_pieces(text: str) -> list[Piece]:
    """Fill each post as far as it goes, at any space, without numbering: the split the checks reject."""
    pieces: list[Piece] = []
    words = [m.span() for m in re.finditer(r"\S+", text)]
    first = 0
    while first < len(words):
        last = first
        while last + 1 < len(words) and MEASURE(text[words[first][0] : words[last + 1][1]]) <= LIMIT:
            last += 1
        start, end = words[first][0], words[last][1]
        pieces.append(Piece(text[start:end], text[start:end], start, end))
        first = last + 1
    return pieces


def test_the_table_is_real_prose() -> None:
    assert len(PROSE) >= 6
    for path in PROSE:
        text = path.read_text(encoding="utf-8")
        assert 1500 <= len(text) <= 4000, path.name
        assert re.search(r"\d:\d\d [ap]\. m\.", text) and re.search(r"\d+ de [a-z]+", text), path.name
        assert all(mark in text for mark in ("https://", "@", "#", "«", "»", "¿", "?"))
    assert all(any(mark in p.read_text(encoding="utf-8") for p in PROSE) for mark in ("¡", "EE. UU.", "Sr.", "aprox."))


@pytest.mark.parametrize("path", PROSE, ids=lambda p: p.stem)
def test_prose_breaks_at_clauses_with_few_posts(path: Path) -> None:
    text = path.read_text(encoding="utf-8")
    pieces = split_message(text, LIMIT, MEASURE)
    assert all(MEASURE(p.text) <= LIMIT for p in pieces)
    # `mid_phrase` (what preview warns about) marks exactly the posts that end at a plain space.
    assert [p.mid_phrase for p in pieces] == [ending(text, p) == "space" for p in pieces[:-1]] + [False]
    bad = [f"{i}/{len(pieces)}: ...{p.body[-40:]!r}" for i, p in enumerate(pieces[:-1], 1) if avoidable(text, p)]
    assert not bad, bad
    assert len(pieces) <= 1.15 * fewest(text.strip()), (len(pieces), fewest(text.strip()))


def test_the_checks_catch_a_careless_split() -> None:
    """A greedy fill of the same texts ends posts mid-phrase where a clause break was at hand."""
    texts = {path.name: path.read_text(encoding="utf-8") for path in PROSE}
    caught = [name for name, text in texts.items() if any(avoidable(text, p) for p in greedy_pieces(text))]
    assert len(caught) >= 3, caught


def test_committed_message_ends_every_post_at_a_clause_or_better() -> None:
    text = MESSAGE.read_text(encoding="utf-8")
    pieces = split_message(text, LIMIT, MEASURE)
    assert 1 < len(pieces) <= 16
    endings = [ending(text, p) for p in pieces[:-1]]
    assert "space" not in endings, endings
