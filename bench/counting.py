"""6. X's length counter (bot/measure.py): the time per call on a 280-character Spanish post.

Moved here from a timed test (tests/test_measure.py), where a loaded machine made a wall-clock bound flaky:
the goal (1 ms per call, typically about 12 µs) is the same. The patterns are compiled before timing.
"""

from __future__ import annotations

import time

from bench.report import Check, heading, median, say, show

NAME = "counting"
GOAL_MS = 1.0
TEXT = (
    "En este día de Fiestas Patrias, el Ministerio de Relaciones Exteriores saluda a los peruanos "
    "en el Perú y en el exterior. ¡Felices 204 años de independencia! Visita rree.gob.pe para más "
    "información sobre los actos oficiales, celebraciones y servicios consulares en 3.500.000 hogares."
)[:280]


def run(quick: bool) -> list[Check]:
    from bot.measure import x_weighted_length

    heading("6. X's length counter: one 280-character Spanish post")
    x_weighted_length(TEXT)  # compiles the patterns
    calls = 200 if quick else 2000
    per_call: list[float] = []
    for _ in range(5):
        start = time.perf_counter()
        for _ in range(calls):
            x_weighted_length(TEXT)
        per_call.append((time.perf_counter() - start) / calls * 1000)
    say(f"{calls} calls x 5 rounds: median {median(per_call) * 1000:.1f} µs per call")
    checks = [Check(NAME, "x_weighted_length per call", median(per_call), GOAL_MS, "ms", "median of 5 rounds")]
    show(checks)
    return checks
