"""bot.measure's emoji hint is the class it documents: ©, ® and every code point from U+203C, plus a keycap
base before VS16 or U+20E3. Written as a complement (cheaper to compile), checked here code point by code point."""

from __future__ import annotations

import re

from bot.measure import _EMOJI_HINT

DOCUMENTED = re.compile(r"[#*0-9](?=[\ufe0f\u20e3])|[\xa9\xae\u203c-\U0010ffff]")


def test_the_hint_matches_exactly_the_documented_class() -> None:
    for code in range(0x110000):
        char = chr(code)
        assert (_EMOJI_HINT.match(char) is None) == (DOCUMENTED.match(char) is None), hex(code)


def test_keycap_bases_are_hints_only_before_vs16_or_the_keycap_mark() -> None:
    for base in "#*0123456789":
        assert _EMOJI_HINT.match(base) is None
        assert _EMOJI_HINT.match(base + "\ufe0f") is not None
        assert _EMOJI_HINT.match(base + "\u20e3") is not None
        assert _EMOJI_HINT.match(base + "a") is None
