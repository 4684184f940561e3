"""Table-driven tests of bot.split with `len` as the measure: every expectation is counted by hand."""

from __future__ import annotations

import importlib
import itertools
import re
import unicodedata
from collections.abc import Callable
from pathlib import Path
from typing import cast

import pytest

from bot.split import Piece, TokenTooLong, split_message

MESSAGE = Path(__file__).resolve().parent.parent / "messages" / "mensaje-canciller-fiestas-patrias.txt"


def bodies(text: str, limit: int, numbering: str | None = None) -> list[str]:
    return [piece.body for piece in split_message(text, limit, len, numbering)]


# (text, limit, expected bodies). Lengths in the comments are counted by hand; with the limit L, a
# fragment is "full enough" for a preferred break once its body reaches ceil(2L/3).
CASES = [
    pytest.param(
        # "Hoy llegó el Sr." (16) would fit in 20, but "Sr." never ends a fragment.
        "Hoy llegó el Sr. Pérez a Lima. Mañana viaja.",
        20,
        ["Hoy llegó el", "Sr. Pérez a Lima.", "Mañana viaja."],
        id="no-break-after-Sr",
    ),
    pytest.param(
        # "etc." before a capital ends a sentence (23 >= 20), preferred to the space after "Luego" (29).
        "Trajo peras, uvas, etc. Luego comimos.",
        30,
        ["Trajo peras, uvas, etc.", "Luego comimos."],
        id="etc-ends-sentence",
    ),
    pytest.param(
        # "etc. y" is glued, so the best break is the comma after "uvas," (18 >= 17).
        "Trajo peras, uvas, etc. y luego comimos.",
        25,
        ["Trajo peras, uvas,", "etc. y luego comimos."],
        id="etc-before-lowercase",
    ),
    pytest.param(
        # "EE. UU." then a capital: a sentence end (16 >= 14).
        "Fuimos a EE. UU. Luego volvimos.",
        20,
        ["Fuimos a EE. UU.", "Luego volvimos."],
        id="EE-UU-ends-sentence",
    ),
    pytest.param(
        # "Llegamos a las 10" (17) would fit, but "10 a. m." is one unit (23 with the rest).
        "Llegamos a las 10 a. m. Luego.",
        20,
        ["Llegamos a las", "10 a. m. Luego."],
        id="number-and-a-m",
    ),
    pytest.param(
        # "Lo dijo J. C." (13) would fit in 15; the initials stay with the surname.
        "Lo dijo J. C. Mariátegui en 1928.",
        18,
        ["Lo dijo", "J. C. Mariátegui", "en 1928."],
        id="initials",
    ),
    pytest.param(
        # The paragraph end (31 >= 30) beats the later sentence end after "ocho." (44).
        "Uno dos tres cuatro cinco seis.\n\nSiete ocho. Nueve diez once.",
        45,
        ["Uno dos tres cuatro cinco seis.", "Siete ocho. Nueve diez once."],
        id="paragraph-first",
    ),
    pytest.param(
        # The paragraph end (13) leaves the fragment under 27 of 40: the sentence end (39) wins.
        "Uno dos tres.\n\nCuatro cinco seis siete. Ocho nueve.",
        40,
        ["Uno dos tres.\n\nCuatro cinco seis siete.", "Ocho nueve."],
        id="short-paragraph-kept-inside",
    ),
    pytest.param(
        "Alfa beta gama, delta épsilon. Zeta eta theta iota kappa.",
        40,
        ["Alfa beta gama, delta épsilon.", "Zeta eta theta iota kappa."],
        id="sentence-over-clause",
    ),
    pytest.param(
        "Alfa beta gama delta, épsilon zeta eta theta.",
        30,
        ["Alfa beta gama delta,", "épsilon zeta eta theta."],
        id="clause-over-space",
    ),
    pytest.param(
        # The comma (5) is under 20 of 30: greedy to the last word that fits (29).
        "Alfa, beta gama delta épsilon zeta eta.",
        30,
        ["Alfa, beta gama delta épsilon", "zeta eta."],
        id="underfilled-clause-ignored",
    ),
    pytest.param(
        # The line break after "seis" (30 >= 28) beats the later comma after "siete," (37).
        "Uno dos tres cuatro cinco seis\nsiete, ocho nueve diez.",
        42,
        ["Uno dos tres cuatro cinco seis", "siete, ocho nueve diez."],
        id="line-over-clause",
    ),
    pytest.param(
        "¿Vienes hoy? ¡Claro que sí! Nos vemos luego.",
        30,
        ["¿Vienes hoy? ¡Claro que sí!", "Nos vemos luego."],
        id="question-exclamation",
    ),
    pytest.param(
        "Dime, ¿vienes mañana o pasado? Avísame pronto por favor.",
        35,
        ["Dime, ¿vienes mañana o pasado?", "Avísame pronto por favor."],
        id="question-inside-sentence",
    ),
    pytest.param(
        # An opening "¿" is a clause break (24 >= 23), preferred to the space after "¿vienes" (32).
        "Bueno pues entonces dime ¿vienes hoy o no?",
        34,
        ["Bueno pues entonces dime", "¿vienes hoy o no?"],
        id="break-before-inverted-mark",
    ),
    pytest.param(
        "Dijo «basta ya.» Todos callaron de inmediato ahí.",
        22,
        ["Dijo «basta ya.»", "Todos callaron de", "inmediato ahí."],
        id="closing-quote-after-period",
    ),
    pytest.param(
        "Llegó tarde — como siempre — y se fue rápido.",
        30,
        ["Llegó tarde — como siempre —", "y se fue rápido."],
        id="dash-clause",
    ),
    pytest.param(
        # A URL is one token: 30 chars with "Visite", then "para" (35) fills the fragment.
        "Visite https://www.gob.pe/rree para más información.",
        35,
        ["Visite https://www.gob.pe/rree para", "más información."],
        id="url",
    ),
    pytest.param(
        "Escribe a @CancilleriaPeru con #FiestasPatrias hoy.",
        27,
        ["Escribe a @CancilleriaPeru", "con #FiestasPatrias hoy."],
        id="mention-hashtag",
    ),
    pytest.param("Línea uno\nlínea dos.", 280, ["Línea uno\nlínea dos."], id="newline-kept"),
    pytest.param("  \n Hola mundo. \n\n", 280, ["Hola mundo."], id="outer-whitespace-dropped"),
]


@pytest.mark.parametrize(("text", "limit", "expected"), CASES)
def test_split_cases(text: str, limit: int, expected: list[str]) -> None:
    assert bodies(text, limit) == expected


@pytest.mark.parametrize("text", ["", "   ", "\n\n\t ", "\u00a0\u202f"])
def test_blank_text_gives_no_piece(text: str) -> None:
    assert split_message(text, 280, len) == ()


# Each phrase must end up whole inside one fragment, whatever the limit.
UNBREAKABLE = [
    *("Sr. Pérez", "Sra. Díaz", "Srta. Ruiz", "Dr. Salas", "Dra. Vega", "Ud. sabe", "Uds. saben"),
    *("Vd. manda", "Lic. Ramos", "Ing. Soto", "Arq. Lima", "Mons. Castillo", "Excmo. Señor"),
    *("Excma. Señora", "Sto. Domingo", "Sta. Rosa", "EE. UU. y", "EE.UU. y", "etc. y", "p. ej. esto"),
    *("N.º 5", "Nº 5", "n.º 5", "núm. 7", "pág. 12", "art. 3", "cap. 2", "vol. 1", "tel. 555"),
    *("av. Grau", "Av. Arequipa", "10 a. m.", "5 p. m.", "aprox. diez", "dpto. 301", "Jr. Junín"),
    *("S. A. y", "300 a. C.", "200 d. C.", "J. C. Mariátegui", "3,5 %", "S/ 20", "3.500.000"),
    *("3\u00a0500", "3\u202f500", "3\u2007500", "3\u2060500", "no\u2060 así"),
]


@pytest.mark.parametrize("phrase", UNBREAKABLE)
def test_never_breaks_inside(phrase: str) -> None:
    text = f"Dijo que {phrase} estaba ahí."
    for limit in range(max(len(phrase), len("estaba")), len(text) + 1):
        try:
            pieces = bodies(text, limit)
        except TokenTooLong as error:  # only the phrase (and what is glued to it) can be that long
            assert phrase in error.token
            continue
        assert any(phrase in body for body in pieces), (limit, pieces)


@pytest.mark.parametrize("space", ["\u00a0", "\u202f", "\u2007"])
def test_non_breaking_spaces(space: str) -> None:
    # "Son 3" (5) fits in 8 but the number is one unit: "Son 3_500" is 9.
    assert bodies(f"Son 3{space}500 de ellos.", 8) == ["Son", f"3{space}500 de", "ellos."]
    assert bodies("Son 3 500 de ellos.", 8) == ["Son 3", "500 de", "ellos."]


def test_token_too_long() -> None:
    url = "https://www.gob.pe/institucion/rree/noticias/123456"
    with pytest.raises(TokenTooLong) as caught:
        split_message(f"Mira {url} ahora", 30, len, None)
    assert (caught.value.token, caught.value.offset) == (url, 5)
    assert url[:30] in str(caught.value)
    assert url not in str(caught.value)  # long tokens are shortened in the message


def test_token_too_long_with_label_room() -> None:
    # "abcdefghij" (10) fits alone in 12, but two fragments need " 1/2": 10 + 4 > 12.
    assert bodies("abcdefghij klm", 12) == ["abcdefghij", "klm"]
    with pytest.raises(TokenTooLong) as caught:
        split_message("abcdefghij klm", 12, len)
    assert (caught.value.token, caught.value.offset) == ("abcdefghij", 0)


def test_single_piece_has_no_label() -> None:
    assert split_message("Hola mundo.", 280, len) == (Piece("Hola mundo.", "Hola mundo.", 0, 11),)


def test_custom_numbering_format() -> None:
    # Unlabeled: "uno dos tres" (12) + "cuatro": 2 fragments. " (1 de 2)" takes 9 of 16, leaving 7:
    # "uno dos" / "tres" / "cuatro", and " (i de 3)" is as wide, so 3 is stable.
    pieces = split_message("uno dos tres cuatro", 16, len, "({i} de {n})")
    assert [p.text for p in pieces] == ["uno dos (1 de 3)", "tres (2 de 3)", "cuatro (3 de 3)"]


def test_bad_arguments() -> None:
    with pytest.raises(ValueError, match="limit"):
        split_message("hola", 0, len)
    with pytest.raises(ValueError, match="numbering"):
        split_message("hola", 10, len, "{page}")


# One-letter words: a fragment of w words is 2w - 1 characters; with limit 21, a label of width s
# leaves room for (22 - s) // 2 words: 11 without label, 9 with " 9/9", 8 with " 10/10", 7 with
# " 100/100". Every break is a plain space, so each fragment takes as many words as fit.
@pytest.mark.parametrize(
    ("words", "count", "per_piece"),
    [
        (81, 9, 9),  # 9 fragments of 9 words with " i/9"
        (82, 11, 8),  # 9 words each would need a 10th fragment: " i/10" leaves 8 words -> 11
        (792, 99, 8),  # 99 fragments of 8 words with " i/99"
        (793, 114, 7),  # 100 fragments would need " 100/100": 7 words each -> ceil(793 / 7)
    ],
)
def test_numbering_width_is_stable(words: int, count: int, per_piece: int) -> None:
    pieces = split_message(" ".join(["a"] * words), 21, len)
    assert len(pieces) == count
    assert [p.text for p in pieces] == [f"{p.body} {i}/{count}" for i, p in enumerate(pieces, 1)]
    assert all(p.body.count("a") == per_piece for p in pieces[:-1])
    assert max(len(p.text) for p in pieces) <= 21


def _weighted(text: str) -> int:
    """Test-only stand-in for X's weighted length: URLs 23, wide characters 2, others 1, after NFC."""
    text = unicodedata.normalize("NFC", text)
    urls = re.findall(r"https?://\S+", text)
    rest = re.sub(r"https?://\S+", "", text)
    return 23 * len(urls) + sum(2 if ord(c) >= 0x1100 else 1 for c in rest)


def _x_measure() -> Callable[[str], int]:
    try:
        module = importlib.import_module("bot.measure")
    except ImportError:
        return _weighted
    return cast(Callable[[str], int], module.x_weighted_length)


_PARAGRAPH_END = re.compile(r"\S(?=[^\S\n]*\n\s*\n)")
_SENTENCE_END = re.compile(r"[.?!…][\"”’»)\]]*(?=\s)")
_CLAUSE_END = re.compile(r"[,;:](?=\s)")


def test_real_message() -> None:
    text = MESSAGE.read_text(encoding="utf-8")
    measure = _x_measure()
    pieces = split_message(text, 280, measure)
    n = len(pieces)
    assert n > 1
    assert all(measure(p.text) <= 280 for p in pieces)
    assert [p.text for p in pieces] == [f"{p.body} {i}/{n}" for i, p in enumerate(pieces, 1)]
    gaps = [text[a.end : b.start] for a, b in itertools.pairwise(pieces)]
    assert all(gap.isspace() for gap in gaps)
    assert "".join(p.body + gap for p, gap in zip(pieces, [*gaps, ""], strict=True)) == text.strip()
    # The title and the greeting make the first post; every post but the last ends at a clause break or better.
    marks = [{m.end() for m in pattern.finditer(text)} for pattern in (_PARAGRAPH_END, _SENTENCE_END, _CLAUSE_END)]
    ranks = [next((r for r, found in enumerate(marks) if piece.end in found), len(marks)) for piece in pieces[:-1]]
    assert pieces[0].body.endswith("Estimados compatriotas,") and ranks[0] == 0
    assert n <= 16 and len(marks) not in ranks, ranks
    assert sum(rank == 0 for rank in ranks) >= 2


@pytest.mark.parametrize(("limit", "size"), [(280, 40_000), (25_000, 100_000)])
def test_work_grows_linearly_with_the_text(limit: int, size: int) -> None:
    """Twice the text costs about twice the measuring, not four times (speed itself is in bench/)."""
    paragraph = MESSAGE.read_text(encoding="utf-8").strip() + "\n\n"
    measured: list[int] = []

    def counting(text: str) -> int:
        measured.append(len(text))
        return _weighted(text)

    work = []
    for length in (size, 2 * size):
        text = (paragraph * (length // len(paragraph) + 1))[:length]
        measured.clear()
        pieces = split_message(text, limit, counting)
        assert pieces[0].start == 0 and pieces[-1].end == len(text.rstrip())
        assert all(_weighted(p.text) <= limit for p in pieces)
        work.append(sum(measured))
    assert work[1] < 2.5 * work[0], work
