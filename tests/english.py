"""The oracle of the no-English-leak test: finds lines of output that are English sentences of the catalog left
untranslated, or that read as English prose. It does not use the code under test: it reads the .po file itself
and knows English by its function words."""

from __future__ import annotations

import re
from functools import cache

from babel.messages.pofile import read_po

from tests.helpers import ROOT

PO = ROOT / "bot" / "i18n" / "locale" / "es" / "LC_MESSAGES" / "bot.po"
# Words that are English and never Spanish: two of them on one line (outside quotes) make it English prose.
ENGLISH = frozenset(
    [
        "the",
        "is",
        "are",
        "was",
        "were",
        "with",
        "and",
        "not",
        "this",
        "that",
        "which",
        "will",
        "would",
        "should",
        "has",
        "have",
        "been",
        "from",
        "for",
        "into",
        "only",
        "each",
        "every",
        "nothing",
        "what",
        "when",
        "where",
        "post",
        "posts",
        "account",
        "accounts",
        "file",
        "folder",
        "sent",
        "send",
        "run",
        "write",
        "it",
        "its",
        "there",
        "than",
        "then",
        "after",
        "before",
        "no",
        "longer",
        "must",
        "can",
        "cannot",
        "does",
        "did",
        "of",
        "to",
        "by",
        "on",
        "at",
        "in",
        "be",
    ]
)
_QUOTED = re.compile(r"'[^']*'|\"[^\"]*\"|`[^`]*`|https?://\S+|\S+/\S+|--[a-z-]+|\{[^}]*\}")
_PLACE = re.compile(r"^\s*(?:\S+:\d+(?::\d+)?: )?(?:error|advertencia|warning)?:?\s*")


@cache
def _patterns() -> tuple[tuple[str, re.Pattern[str]], ...]:
    """Every msgid whose Spanish differs, as a regex matching the English sentence with any placeholder values."""
    with PO.open("rb") as stream:
        catalog = read_po(stream)
    patterns = []
    for message in catalog:
        if not message.id:
            continue
        ids = (message.id,) if isinstance(message.id, str) else tuple(message.id)
        strings = (message.string,) if isinstance(message.string, str) else tuple(message.string or ())
        for english, spanish in zip(ids, strings, strict=False):
            text = re.sub(r"<[^>]*>", " ", english)
            literal = re.sub(r"\{[^{}]*\}|%(\([a-z_]+\))?[sdr]", "", text)
            # single words ('accounts', 'posts') are also the schedule's keys, quoted in Spanish sentences
            if english == spanish or len(re.findall(r"[A-Za-z]", literal)) < 8 or " " not in literal.strip():
                continue
            for line in text.split("\n"):
                parts = re.split(r"\{[^{}]*\}|%(?:\([a-z_]+\))?[sdr]", line.replace("{{", "{").replace("}}", "}"))
                words = [p.strip() for p in parts if len(re.findall(r"[A-Za-z]", p)) >= 6 and " " in p.strip()]
                if words:
                    body = ".*".join(re.escape(w) for w in words)
                    patterns.append((english, re.compile(body)))
    return tuple(patterns)


def leaks(output: str) -> list[str]:
    """The lines of `output` that are untranslated catalog sentences or English prose."""
    found = []
    for raw in output.splitlines():
        line = re.sub(r"<[^>]*>", " ", raw)
        if re.match(r"\s*hint: ", line):  # the label of every hint, untranslated
            found.append(raw.strip())
            continue
        if any(pattern.search(line) for _english, pattern in _patterns()):
            found.append(raw.strip())
            continue
        bare = _QUOTED.sub(" ", _PLACE.sub("", line)).lower()
        words = set(re.findall(r"[a-z]+", bare))
        if len(words & ENGLISH) >= 3:
            found.append(raw.strip())
    return found
