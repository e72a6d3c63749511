"""Passages to quote: a document's sentences with what they say, and how one is cut out.

A unit is a sentence (or a list item, or a table row spelled out with its header) with
its ``own`` terms and its ``context`` (the heading it stands under, a table's header):
words that make it relevant without being quoted. A passage is the best unit's whole
block when that is short enough, else the unit with its neighbours, trimmed; a short one
(a list item, a table row) takes its neighbours in its section along, the next first.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from sandbox._analyzers import tokens
from sandbox._concepts import terms
from sandbox._layout import blocks, sentences

PASSAGE_CHARS = 400
SHORT_PASSAGE = 160

_END_PUNCT = ".!?…:;"
_CYRILLIC = re.compile(r"[а-яёА-ЯЁ]")
_LATIN = re.compile(r"[a-zA-Z]")


@dataclass(frozen=True)
class Unit:
    text: str
    block: int
    section: int
    own: frozenset[str]
    context: frozenset[str]
    language: str | None  # "ru", "en", or None: no letters to tell
    said: tuple[str, ...]  # its index terms in order, repeats kept

    def mentions(self, alternatives: frozenset[tuple[str, ...]]) -> int:
        """How many times it says one of ``alternatives`` (each counted by its first term)."""
        return sum(self.said.count(alt[0]) for alt in alternatives if set(alt) <= self.own)

    @property
    def all(self) -> frozenset[str]:
        return self.own | self.context


def language_of(text: str) -> str | None:
    cyrillic, latin = len(_CYRILLIC.findall(text)), len(_LATIN.findall(text))
    if not cyrillic and not latin:
        return None
    return "ru" if cyrillic >= latin else "en"


def units(text: str) -> list[Unit]:
    found: list[Unit] = []
    for number, block in enumerate(blocks(text)):
        context = terms(block.context)
        for sentence in sentences(block.text):
            language = language_of(sentence) or language_of(block.context)
            found.append(
                Unit(
                    sentence,
                    number,
                    block.section,
                    terms(sentence),
                    context,
                    language,
                    tuple(tokens(sentence)),
                )
            )
    return found


def passage(units: list[Unit], best: int) -> tuple[int, int, str]:
    """The passage around ``units[best]``: its first and last unit, and its text."""
    block = units[best].block
    start = end = best
    while start > 0 and units[start - 1].block == block:
        start -= 1
    while end + 1 < len(units) and units[end + 1].block == block:
        end += 1
    if _length(units[start : end + 1]) > PASSAGE_CHARS:
        start = end = best
        while (
            end + 1 < len(units)
            and units[end + 1].block == block
            and _length(units[start : end + 2]) <= PASSAGE_CHARS
            and _length(units[start : end + 1]) < SHORT_PASSAGE * 2
        ):
            end += 1
        while (
            start > 0
            and units[start - 1].block == block
            and _length(units[start - 1 : end + 1]) <= SHORT_PASSAGE
        ):
            start -= 1
    section = units[best].section
    while _length(units[start : end + 1]) < SHORT_PASSAGE:
        if _fits(units, start, end + 1, section):
            end += 1
        elif _fits(units, start - 1, end, section):
            start -= 1
        else:
            break
    return start, end, _trim(_join(units[start : end + 1]))


def _fits(units: list[Unit], start: int, end: int, section: int) -> bool:
    """Whether ``units[start : end + 1]`` stays in ``section`` and under the limit."""
    inside = start >= 0 and end < len(units)
    return (
        inside
        and units[start].section == units[end].section == section
        and (_length(units[start : end + 1]) <= PASSAGE_CHARS)
    )


def _join(units: list[Unit]) -> str:
    return " ".join(u.text if u.text[-1] in _END_PUNCT else u.text + "." for u in units)


def _length(units: list[Unit]) -> int:
    return len(_join(units))


def _trim(text: str) -> str:
    if len(text) <= PASSAGE_CHARS:
        return text
    cut = text.rfind(" ", 0, PASSAGE_CHARS)
    return text[: cut if cut > 0 else PASSAGE_CHARS].rstrip(",;: ") + "…"
