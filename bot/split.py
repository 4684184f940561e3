"""Pure splitter: a message, a limit and a measure in; post-sized fragments out.

Breaks happen only at whitespace (bot/breaks.py finds them and ranks them), so no character is lost or
altered. The split is the cheapest one
under a small cost model (see _FRAGMENT_COST): every fragment costs something, so is every break by
how unnatural it is (paragraph end, sentence end, line break, clause punctuation, any other space;
a space costs most when the sentence offered a clause break inside the same fragment), and so is
the room a fragment leaves unused. A search over the places a fragment may start, level by
level with a bounded beam, finds it; a fragment may end at a preferred break (paragraph to clause) once
it is a quarter full, or as late as its room allows. The measure is not additive (X counts every URL as 23; NFC can
shorten text), so each candidate fragment is measured whole; a galloping binary search over break
positions keeps the number of measurements per fragment start logarithmic.
"""

from __future__ import annotations

import math
from bisect import bisect_left, bisect_right
from collections.abc import Callable
from dataclasses import dataclass

from bot.breaks import Layout, Rank, at_space, layout_of, ranks_of

Measure = Callable[[str], int]


@dataclass(frozen=True)
class Piece:
    """One fragment: `text` is what gets posted, `body` is exactly `source[start:end]`."""

    text: str
    body: str
    start: int
    end: int
    mid_phrase: bool = False  # another fragment follows, and this one ends at a plain space (no punctuation)


class TokenTooLong(ValueError):
    """A word, URL or glued abbreviation that cannot fit in any fragment, even alone."""

    def __init__(self, token: str, offset: int) -> None:
        shown = token if len(token) <= 40 else token[:39] + "…"
        super().__init__(f"{shown!r} at offset {offset} does not fit in one fragment")
        self.token = token
        self.offset = offset

    def __reduce__(self) -> tuple[type[TokenTooLong], tuple[str, int]]:
        return (TokenTooLong, (self.token, self.offset))


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
    layout = layout_of(text)
    if not layout.ends:
        return ()
    whole = (layout.starts[0], layout.ends[-1])
    total = measure(text[whole[0] : whole[1]])
    if total <= limit:
        return (_piece(text, whole, ""),)
    if numbering is None:
        return tuple(_piece(text, span, "", layout) for span in _best_spans(text, layout, limit, measure, ""))
    # Fragments hold at most `limit` each, so about total/limit of them are needed: a guess from below
    # (labels and dropped spaces only shift it a little) saves a first split without labels.
    return _numbered(text, layout, limit, measure, numbering, max(2, 9 * total // (10 * limit)))


def _check_numbering(numbering: str) -> None:
    try:
        numbering.format(i=1, n=1)
    except (KeyError, IndexError, ValueError) as error:
        raise ValueError(f"numbering {numbering!r} must be a format using only {{i}} and {{n}}") from error


# The cost model, in points. A fragment costs _FRAGMENT_COST (a longer thread is slower to read and X bills
# per post); a fragment that is not the last adds the cost of the break it ends at, plus _UNUSED_ROOM_COST
# times the share of its room it leaves empty. So a thread takes one more fragment rather than end two
# of them mid-phrase, and a sentence end is worth leaving some room unused. A plain space in a sentence with
# no clause break in reach (a long list without commas) is sometimes the only way to avoid an extra post.
_FRAGMENT_COST = 12.0
_BREAK_COST = {Rank.PARAGRAPH: 0.0, Rank.SENTENCE: 4.0, Rank.LINE: 6.0, Rank.CLAUSE: 9.0, Rank.SPACE: 20.0}
# A plain space where the fragment could have ended at a clause break of the same sentence reads worst.
_AVOIDABLE_SPACE_COST = 40.0
_UNUSED_ROOM_COST = 12.0
_CHOICES_PER_RANK = 4  # of the breaks of one rank a fragment may end at, the furthest few are tried
_BEAM = 16  # places a fragment may start that are explored per fragment count
_MIN_FILL = 4  # a preferred break may end a fragment once the body takes 1/_MIN_FILL of the room


@dataclass(frozen=True)
class _Start:
    """A place where a fragment may start, reached by a chain of fragments costing `cost` in all."""

    cost: float
    first: int  # index of the unit the fragment starts with
    previous: _Start | None  # where the fragment before it started


def _best_spans(text: str, layout: Layout, limit: int, measure: Measure, suffix: str) -> list[tuple[int, int]]:
    """Spans of the fragments of the cheapest split. `suffix` is the room kept for the label.

    Level by level (the k-th level: places the (k+1)-th fragment may start), only the _BEAM cheapest places
    go on, so the work stays linear in the text however long the fragments; on any text with at most
    _BEAM choices per level the answer is exactly the cheapest.
    """
    label_cost = measure(suffix) if suffix else 0
    room = max(limit - label_cost, 1)
    least = label_cost + -(-room // _MIN_FILL)
    rank_of = ranks_of(layout)
    clause_before = _clause_before(rank_of)
    units = len(layout.ends)
    expanded: dict[int, float] = {}  # the cheapest cost with which each start was already explored
    finished: _Start | None = None  # cost of a whole split; `previous` starts its last fragment
    level = [_Start(0.0, 0, None)]
    while level:
        following: dict[int, _Start] = {}
        for start in sorted(level, key=lambda s: (s.cost, s.first))[:_BEAM]:
            if expanded.get(start.first, math.inf) <= start.cost or (finished and finished.cost <= start.cost):
                continue  # costs only grow along a chain: this one cannot win
            expanded[start.first] = start.cost
            cost = _Costs(text, layout, start.first, measure, suffix)
            if cost(start.first) > limit:
                raise TokenTooLong(text[cost.start : layout.ends[start.first]], cost.start)
            last = _last_fitting(layout.ends, start.first, cost, limit)
            if last == units - 1:  # the rest fits: one more fragment ends the split
                if finished is None or start.cost + _FRAGMENT_COST < finished.cost:
                    finished = _Start(start.cost + _FRAGMENT_COST, units, start)
                continue
            for end in _candidate_ends(layout, start.first, last, cost, least):
                unused = (room - (cost(end) - label_cost)) / room
                rank = rank_of[end]
                avoidable = rank == Rank.SPACE and clause_before[end] >= start.first
                total = start.cost + _FRAGMENT_COST + _UNUSED_ROOM_COST * unused
                total += _AVOIDABLE_SPACE_COST if avoidable else _BREAK_COST[rank]
                known = following.get(end + 1)
                if known is None or total < known.cost:
                    following[end + 1] = _Start(total, end + 1, start)
        level = list(following.values())
    assert finished is not None  # every chain advances, and the last fragment always fits
    spans: list[tuple[int, int]] = []
    step = finished
    while step.previous is not None:
        spans.append((layout.starts[step.previous.first], layout.ends[step.first - 1]))
        step = step.previous
    return spans[::-1]


def _clause_before(ranks: list[Rank]) -> list[int]:
    """For each unit, the latest unit before it in the same sentence that a clause break follows; -1 if none."""
    found: list[int] = []
    latest = -1
    for index, rank in enumerate(ranks):
        found.append(latest)
        latest = index if rank == Rank.CLAUSE else (-1 if rank < Rank.CLAUSE else latest)
    return found


def _candidate_ends(layout: Layout, first: int, last: int, cost: _Costs, least: int) -> set[int]:
    """Where the fragment from unit `first` may end: as late as it fits, or at a preferred break once full enough."""
    ends = {last}
    for positions in layout.breaks[: Rank.CLAUSE + 1]:
        low, high = bisect_left(positions, first), bisect_right(positions, last)
        # Of breaks of one rank, the furthest leave the least room unused: a few of them give the
        # program its choices, and bound the work when a fragment holds thousands of sentences.
        ends.update(
            position for position in positions[max(low, high - _CHOICES_PER_RANK) : high] if cost(position) >= least
        )
    return ends


class _Costs:
    """Memoized measure of the fragment that starts at unit `first` and ends at unit b, label included."""

    def __init__(self, text: str, layout: Layout, first: int, measure: Measure, suffix: str) -> None:
        self._text, self._ends, self._measure, self._suffix = text, layout.ends, measure, suffix
        self.start = layout.starts[first]
        self._known: dict[int, int] = {}

    def __call__(self, b: int) -> int:
        if b not in self._known:
            self._known[b] = self._measure(self._text[self.start : self._ends[b]] + self._suffix)
        return self._known[b]


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
    text: str, layout: Layout, limit: int, measure: Measure, numbering: str, reserved: int
) -> tuple[Piece, ...]:
    """Split with room for the widest label of `reserved` fragments, again until the count stops changing."""
    for _ in range(_MAX_ROUNDS):
        suffix = _widest_label(numbering, reserved, measure)
        spans = _best_spans(text, layout, limit, measure, suffix)
        count = len(spans)
        if count == 1:
            return (_piece(text, spans[0], ""),)
        pieces = tuple(
            _piece(text, span, " " + numbering.format(i=i, n=count), layout) for i, span in enumerate(spans, 1)
        )
        enough_room = measure(_widest_label(numbering, count, measure)) <= measure(suffix)
        if enough_room and all(measure(piece.text) <= limit for piece in pieces):
            return pieces
        reserved = max(count, reserved + 1)  # strictly growing, so this ends
    raise ValueError(f"numbering {numbering!r} does not settle on a number of fragments")


_MAX_ROUNDS = 32


def _widest_label(numbering: str, count: int, measure: Measure) -> str:
    return max((" " + numbering.format(i=i, n=count) for i in range(1, count + 1)), key=measure)


def _piece(text: str, span: tuple[int, int], label: str, layout: Layout | None = None) -> Piece:
    body = text[span[0] : span[1]]
    return Piece(body + label, body, span[0], span[1], layout is not None and at_space(layout, span[1]))
