"""Readable blocks of a document's text, for quoting: Markdown-aware, plain text welcome.

Paragraphs hard-wrapped over several lines become one block; each list item and each
table row is a block of its own (a row is spelled out with its column headers, so that
"| Full Day | 7 500 ₽ | 18 900 ₽ |" reads "Full Day — 1 month: 7 500 ₽; 3 months: 18 900 ₽").
Every block remembers the heading it stands under; the heading and a table's header are
its ``context``: words that make it relevant without being quoted.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

_HEADING = re.compile(r"^#{1,6}\s+(.*?)\s*#*$")
_LIST_ITEM = re.compile(r"^\s*(?:[-*+•]|\d{1,3}(?:\.\d{1,3})*[.)])\s+")
# "4. Not allowed" over "4.1. Diving from the side.": a numbered title (PDF, DOCX)
_NUMBERED_TITLE = re.compile(r"^(\d{1,2})\.\s+([^.!?…]{1,80})$")
_TABLE_RULE = re.compile(r"^\|?[\s:|-]+\|?$")
_EMPHASIS = re.compile(r"\*\*|__|`")
_SPACES = re.compile(r"\s+")
_SENTENCE_END = re.compile(r"(?<=[.!?…])\s+(?=[«\"(\dA-ZА-ЯЁ])")
_HEADING_CHARS = 120


@dataclass(frozen=True)
class Block:
    text: str
    section: int
    context: str


def _clean(text: str) -> str:
    return _SPACES.sub(" ", _EMPHASIS.sub("", text)).strip().lstrip(">").strip()


def _cells(row: str) -> list[str]:
    return [_clean(cell) for cell in row.strip().strip("|").split("|")]


def _row_text(cells: list[str], header: list[str]) -> str:
    if len(cells) < 2:
        return cells[0] if cells else ""
    if len(cells) == 2 or len(header) != len(cells):
        return f"{cells[0]} — " + "; ".join(cells[1:])
    pairs = (f"{name}: {cell}" for name, cell in zip(header[1:], cells[1:], strict=True))
    return f"{cells[0]} — " + "; ".join(pairs)


def blocks(text: str) -> list[Block]:
    found: list[Block] = []
    section = 0
    heading = ""
    header: list[str] = []
    buffer: list[str] = []

    def flush() -> None:
        if buffer:
            joined = _clean(" ".join(buffer))
            if joined:
                found.append(Block(joined, section, heading))
            buffer.clear()

    lines = text.splitlines()
    for number, line in enumerate(lines):
        stripped = line.strip()
        match = _HEADING.match(stripped) or _numbered_title(stripped, lines[number + 1 :])
        if not stripped or match or stripped.startswith("|"):
            flush()
        if not stripped.startswith("|"):
            header = []
        if not stripped:
            continue
        if match and len(stripped) <= _HEADING_CHARS:
            section += 1
            heading = _clean(match.group(1))
        elif stripped.startswith("|"):
            if _TABLE_RULE.match(stripped):
                continue
            if not header:
                header = _cells(stripped)
                continue
            row = _row_text(_cells(stripped), header)
            found.append(Block(row, section, f"{heading} {' '.join(header)}"))
        elif _LIST_ITEM.match(line):
            flush()
            buffer.append(_LIST_ITEM.sub("", line, count=1))
        else:
            buffer.append(stripped)
    flush()
    return found


def _numbered_title(line: str, rest: list[str]) -> re.Match[str] | None:
    title = _NUMBERED_TITLE.match(line)
    following = next((later.strip() for later in rest if later.strip()), "")
    if title is None or not following.startswith(f"{title.group(1)}.1"):
        return None
    return re.match(r"^\d{1,2}\.\s+(.*)$", line)


def sentences(text: str) -> list[str]:
    return [part for part in _SENTENCE_END.split(text) if part]
