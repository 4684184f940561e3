"""Where a message may break: its unbreakable units and the rank of each break between them.

Breaks happen only at whitespace. Spanish prose rules decide which spaces may break and how well: a blank
line is a paragraph, a sentence ends at . ? ! … unless an abbreviation ("Sr.", "p. ej.", "a. m.") glues it
to the next word, numbers keep their units and currencies keep their amounts, and no-break spaces and word
joiners never break. bot/split.py chooses among these breaks.
"""

from __future__ import annotations

import re
from bisect import bisect_left
from dataclasses import dataclass
from enum import IntEnum


class Rank(IntEnum):
    """Preference of a break, best first."""

    PARAGRAPH = 0
    SENTENCE = 1
    LINE = 2
    CLAUSE = 3
    SPACE = 4


_WHITESPACE = re.compile(r"\s+")
_NO_BREAK_SPACES = frozenset("\u00a0\u202f\u2007")
_WORD_JOINER = "\u2060"
_QUOTES_OPEN = "\"“‘«(['"
_OPENERS = _QUOTES_OPEN + "¿¡"
_CLOSERS = "\"”’»)]'"
_SENTENCE_END = frozenset(".?!…")
_CLAUSE_END = frozenset(",;:—–-")


def _with_capitalized(*words: str) -> frozenset[str]:
    """Abbreviations also appear capitalized at the start of a sentence."""
    return frozenset(words) | {w[0].upper() + w[1:] for w in words}


# Never end a sentence: always glued to the next word.
_ALWAYS_GLUED = frozenset(
    {"Sr.", "Sra.", "Srta.", "Sres.", "Sras.", "Dr.", "Dra.", "Dres.", "Ud.", "Uds.", "Vd.", "Vds."}
    | {"Lic.", "Ing.", "Arq.", "Mons.", "Excmo.", "Excma.", "Sto.", "Sta.", "Jr.", "Prof.", "Gral."}
    | {"N.º", "Nº", "N.°", "N°"}
) | _with_capitalized("n.º", "nº", "núm.", "nro.", "pág.", "págs.", "art.", "arts.", "cap.", "vol.")
_ALWAYS_GLUED |= _with_capitalized("tel.", "av.", "dpto.", "p.ej.")
# May end a sentence; they do not when a lowercase word follows.
_MAYBE_FINAL = _with_capitalized("etc.", "aprox.") | {
    "EE.UU.",
    "a.m.",
    "p.m.",
    "a.C.",
    "d.C.",
    "S.A.",
    "S.A.C.",
}
# Two-word abbreviations; the second word behaves like _MAYBE_FINAL unless listed in _PAIRS_NOT_FINAL.
_PAIRS = frozenset(
    {("p.", "ej."), ("P.", "ej."), ("a.", "m."), ("p.", "m."), ("a.", "C."), ("d.", "C.")}
    | {("S.", "A."), ("EE.", "UU.")}
)
_PAIRS_NOT_FINAL = frozenset({("p.", "ej."), ("P.", "ej.")})
# Units that stay with the number before them ("10 a. m.", "3,5 km", "20 %").
_UNITS = frozenset({"a.m.", "p.m.", "a.C.", "d.C.", "h", "min", "km", "kg", "g", "m", "cm", "mm", "l", "ml"})
_UNITS |= {"%", "‰", "°C", "ºC"}
_UNIT_PAIRS = frozenset({("a.", "m."), ("p.", "m."), ("a.", "C."), ("d.", "C.")})
_CURRENCIES = frozenset({"S/", "S/.", "US$", "$", "€"})  # stay with the amount after them
_NUMBER = re.compile(r"\d+(?:[.,:]\d+)*")
_INITIAL = re.compile(r"[A-ZÁÉÍÓÚÑÜ]\.")


@dataclass(frozen=True)
class Layout:
    """Unbreakable units, and where each rank of break may happen."""

    starts: list[int]  # offset of each unit in the text
    ends: list[int]
    breaks: tuple[list[int], ...]  # per rank, best first: ascending indexes of the units a break may follow


def layout_of(text: str) -> Layout:
    """The units of `text` (runs of words no break may separate) and the breaks between them."""
    spans = _word_spans(text)
    words = [text[start:end] for start, end in spans]
    layout = Layout([], [], tuple([] for _ in Rank))
    if spans:
        layout.starts.append(spans[0][0])
    for k in range(len(spans) - 1):
        rank = _gap_rank(words, k, text[spans[k][1] : spans[k + 1][0]])
        if rank is None:
            continue  # glued: the unit goes on
        layout.breaks[rank].append(len(layout.ends))
        layout.ends.append(spans[k][1])
        layout.starts.append(spans[k + 1][0])
    if spans:
        layout.ends.append(spans[-1][1])
    return layout


def _word_spans(text: str) -> list[tuple[int, int]]:
    """Maximal runs of non-whitespace characters."""
    spans: list[tuple[int, int]] = []
    position = 0
    for match in _WHITESPACE.finditer(text):
        if match.start() > position:
            spans.append((position, match.start()))
        position = match.end()
    if position < len(text):
        spans.append((position, len(text)))
    return spans


def _gap_rank(words: list[str], k: int, gap: str) -> Rank | None:
    """Rank of a break at the whitespace `gap` after words[k]; None when no break is allowed there."""
    line_breaks = len((gap + "x").splitlines()) - 1
    if line_breaks >= 2 or "\u2029" in gap:
        return Rank.PARAGRAPH  # a blank line is structure: it always separates
    if _glued(words, k, gap):
        return None
    rank = _punctuation_rank(words[k], words[k + 1])
    return min(rank, Rank.LINE) if line_breaks else rank


def _glued(words: list[str], k: int, gap: str) -> bool:
    before, after = words[k], words[k + 1]
    if _NO_BREAK_SPACES.intersection(gap) or before.endswith(_WORD_JOINER) or after.startswith(_WORD_JOINER):
        return True
    core = _core(before)
    following = _key(after)
    pair = (_core(words[k - 1]) if k else "", core)
    if pair in _PAIRS:  # "a. m.", "EE. UU.": may end a sentence
        return pair in _PAIRS_NOT_FINAL or _starts_lowercase(after)
    if core in _ALWAYS_GLUED or (core, following) in _PAIRS or _INITIAL.fullmatch(core):
        return True
    if core in _MAYBE_FINAL:
        return _starts_lowercase(after)
    if _NUMBER.fullmatch(core):
        after_next = _key(words[k + 2]) if k + 2 < len(words) else ""
        return following in _UNITS or (following, after_next) in _UNIT_PAIRS
    return core in _CURRENCIES and _NUMBER.match(following) is not None


def _core(word: str) -> str:
    """The word without opening or closing quotes and brackets."""
    return word.lstrip(_OPENERS).rstrip(_CLOSERS)


def _key(word: str) -> str:
    """The word as looked up when it follows: "m.," still completes "a. m."."""
    return _core(word).rstrip(",;:")


def _starts_lowercase(word: str) -> bool:
    return word.lstrip(_OPENERS)[:1].islower()


def _punctuation_rank(before: str, after: str) -> Rank:
    last = before.rstrip(_CLOSERS)[-1:]
    if last in _SENTENCE_END:
        return Rank.SENTENCE
    if last in _CLAUSE_END or after.lstrip(_QUOTES_OPEN)[:1] in ("¿", "¡"):
        return Rank.CLAUSE  # an inverted mark opens a question or exclamation inside the sentence
    return Rank.SPACE


def ranks_of(layout: Layout) -> list[Rank]:
    """The rank of the break after each unit (the last unit's is unused)."""
    ranks = [Rank.SPACE] * len(layout.ends)
    for rank, positions in zip(Rank, layout.breaks, strict=True):
        for position in positions:
            ranks[position] = rank
    return ranks


def at_space(layout: Layout, offset: int) -> bool:
    """Whether the break at the end of the unit ending at `offset` is a plain space."""
    unit = bisect_left(layout.ends, offset)
    spaces = layout.breaks[Rank.SPACE]
    found = bisect_left(spaces, unit)
    return found < len(spaces) and spaces[found] == unit
