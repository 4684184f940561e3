"""Pure splitter: a message, a limit and a measure in; post-sized fragments out.

Breaks happen only at whitespace, so no character is lost or altered. Among the breaks that keep a
fragment at least ~2/3 full, the most natural one wins: paragraph end, sentence end, line break,
clause punctuation, then any space. The measure is not additive (X counts every URL as 23; NFC can
shorten text), so each candidate fragment is measured whole; a galloping binary search over break
positions keeps the number of measurements logarithmic.
"""

from __future__ import annotations

import re
from bisect import bisect_right
from collections.abc import Callable
from dataclasses import dataclass
from enum import IntEnum

Measure = Callable[[str], int]


class _Rank(IntEnum):
    """Preference of a break, best first."""

    PARAGRAPH = 0
    SENTENCE = 1
    LINE = 2
    CLAUSE = 3
    SPACE = 4


@dataclass(frozen=True)
class Piece:
    """One fragment: `text` is what gets posted, `body` is exactly `source[start:end]`."""

    text: str
    body: str
    start: int
    end: int


class TokenTooLong(ValueError):
    """A word, URL or glued abbreviation that cannot fit in any fragment, even alone."""

    def __init__(self, token: str, offset: int) -> None:
        shown = token if len(token) <= 40 else token[:39] + "…"
        super().__init__(f"{shown!r} at offset {offset} does not fit in one fragment")
        self.token = token
        self.offset = offset

    def __reduce__(self) -> tuple[type[TokenTooLong], tuple[str, int]]:
        return (TokenTooLong, (self.token, self.offset))


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


def split_message(text: str, limit: int, measure: Measure, numbering: str | None = "{i}/{n}") -> tuple[Piece, ...]:
    """Split `text` into fragments whose `text` measures at most `limit`.

    With `numbering` (a format with {i} and {n}) and more than one fragment, each fragment's text
    ends with " " + its label, and the label counts inside the limit.
    Raises TokenTooLong for an unbreakable unit that does not fit even alone.
    """
    if limit < 1:
        raise ValueError(f"limit must be positive, not {limit}")
    if numbering is not None:
        _check_numbering(numbering)
    layout = _layout(text)
    if not layout.ends:
        return ()
    spans = _greedy(text, layout, limit, measure, "")
    if numbering is None or len(spans) == 1:
        return tuple(_piece(text, span, "") for span in spans)
    return _numbered(text, layout, limit, measure, numbering, len(spans))


def _check_numbering(numbering: str) -> None:
    try:
        numbering.format(i=1, n=1)
    except (KeyError, IndexError, ValueError) as error:
        raise ValueError(f"numbering {numbering!r} must be a format using only {{i}} and {{n}}") from error


@dataclass(frozen=True)
class _Layout:
    """Unbreakable units, and where each rank of break may happen."""

    starts: list[int]  # offset of each unit in the text
    ends: list[int]
    breaks: tuple[list[int], ...]  # per rank, best first: ascending indexes of the units a break may follow


def _layout(text: str) -> _Layout:
    spans = _word_spans(text)
    words = [text[start:end] for start, end in spans]
    layout = _Layout([], [], tuple([] for _ in _Rank))
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


def _gap_rank(words: list[str], k: int, gap: str) -> _Rank | None:
    """Rank of a break at the whitespace `gap` after words[k]; None when no break is allowed there."""
    line_breaks = len((gap + "x").splitlines()) - 1
    if line_breaks >= 2 or "\u2029" in gap:
        return _Rank.PARAGRAPH  # a blank line is structure: it always separates
    if _glued(words, k, gap):
        return None
    rank = _punctuation_rank(words[k], words[k + 1])
    return min(rank, _Rank.LINE) if line_breaks else rank


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


def _punctuation_rank(before: str, after: str) -> _Rank:
    last = before.rstrip(_CLOSERS)[-1:]
    if last in _SENTENCE_END:
        return _Rank.SENTENCE
    if last in _CLAUSE_END or after.lstrip(_QUOTES_OPEN)[:1] in ("¿", "¡"):
        return _Rank.CLAUSE  # an inverted mark opens a question or exclamation inside the sentence
    return _Rank.SPACE


def _greedy(text: str, layout: _Layout, limit: int, measure: Measure, suffix: str) -> list[tuple[int, int]]:
    """Spans of the fragments, each as long as its preferred break allows. `suffix` is the label room."""
    label_cost = measure(suffix) if suffix else 0
    # A fragment is full enough once its body takes 2/3 of the room the label leaves.
    full = label_cost + -(-2 * (limit - label_cost) // 3)
    spans: list[tuple[int, int]] = []
    first = 0
    while first < len(layout.ends):
        last = _fragment_end(text, layout, first, _Costs(text, layout, first, measure, suffix), limit, full)
        spans.append((layout.starts[first], layout.ends[last]))
        first = last + 1
    return spans


class _Costs:
    """Memoized measure of the fragment that starts at unit `first` and ends at unit b, label included."""

    def __init__(self, text: str, layout: _Layout, first: int, measure: Measure, suffix: str) -> None:
        self._text, self._ends, self._measure, self._suffix = text, layout.ends, measure, suffix
        self.start = layout.starts[first]
        self._known: dict[int, int] = {}

    def __call__(self, b: int) -> int:
        if b not in self._known:
            self._known[b] = self._measure(self._text[self.start : self._ends[b]] + self._suffix)
        return self._known[b]


def _fragment_end(text: str, layout: _Layout, first: int, cost: _Costs, limit: int, full: int) -> int:
    """Index of the last unit of the fragment starting at unit `first`."""
    if cost(first) > limit:
        raise TokenTooLong(text[cost.start : layout.ends[first]], cost.start)
    last = _last_fitting(layout.ends, first, cost, limit)
    if last == len(layout.ends) - 1 or cost(last) < full:
        return last  # the rest fits, or the next unit is too big to leave a choice
    for positions in layout.breaks:  # best rank first; within a rank, the furthest break
        i = bisect_right(positions, last) - 1
        if i >= 0 and positions[i] >= first and cost(positions[i]) >= full:
            return positions[i]
    return last  # unreachable: `last` itself is a break of some rank that is full enough


def _last_fitting(ends: list[int], low: int, cost: _Costs, limit: int) -> int:
    """Largest b >= low with cost(b) <= limit, given cost(low) <= limit and cost non-decreasing in b.

    Measures are nearly proportional to length, so guesses interpolate over character offsets; a
    bisection step follows any guess that fails to halve the bracket, bounding the probes to
    O(log n), and no probe measures much more text than the answer.
    """
    good, bad, step = low, len(ends), 1
    upper_cost: int | None = None  # cost at `bad` once probed
    halve = False
    while bad - good > 1:
        reach = ends[good] - cost.start
        if halve:
            guess = (good + bad) // 2
        elif upper_cost is None:  # no upper bound yet: extrapolate, at least doubling the step
            target = cost.start + reach * limit // max(cost(good), 1)
            guess = min(max(bisect_right(ends, target) - 1, good + step), bad - 1)
            step *= 2
        else:
            span = ends[bad] - ends[good]
            target = ends[good] + span * (limit - cost(good)) // max(upper_cost - cost(good), 1)
            guess = min(max(bisect_right(ends, target) - 1, good + 1), bad - 1)
        width = bad - good
        if cost(guess) <= limit:
            good = guess
        else:
            bad, upper_cost = guess, cost(guess)
        halve = upper_cost is not None and 2 * (bad - good) > width and not halve
    return good


def _numbered(
    text: str, layout: _Layout, limit: int, measure: Measure, numbering: str, count: int
) -> tuple[Piece, ...]:
    """Split again with room for the widest label until the number of fragments stops changing."""
    reserved = count
    for _ in range(_MAX_ROUNDS):
        suffix = _widest_label(numbering, reserved, measure)
        spans = _greedy(text, layout, limit, measure, suffix)
        count = len(spans)
        if count == 1:
            return (_piece(text, spans[0], ""),)
        pieces = tuple(_piece(text, span, " " + numbering.format(i=i, n=count)) for i, span in enumerate(spans, 1))
        enough_room = measure(_widest_label(numbering, count, measure)) <= measure(suffix)
        if enough_room and all(measure(piece.text) <= limit for piece in pieces):
            return pieces
        reserved = max(count, reserved + 1)  # strictly growing, so this ends
    raise ValueError(f"numbering {numbering!r} does not settle on a number of fragments")


_MAX_ROUNDS = 32


def _widest_label(numbering: str, count: int, measure: Measure) -> str:
    return max((" " + numbering.format(i=i, n=count) for i in range(1, count + 1)), key=measure)


def _piece(text: str, span: tuple[int, int], label: str) -> Piece:
    body = text[span[0] : span[1]]
    return Piece(body + label, body, span[0], span[1])
