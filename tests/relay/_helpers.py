"""Helpers for relay tests: SSE parsing, the club KB seeded under this area's name."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from testing.club import DOCS, INSTRUCTIONS, Seeded, write_club_kb
from testing.club import seed as seed_club

KB_NAME = "relaytest"


def seed(client: Any, kb_name: str = KB_NAME, docs: dict[str, str] = DOCS) -> Seeded:
    return seed_club(client, kb_name, docs)


def write_kb(root: Path, *, name: str = KB_NAME, instructions: str = INSTRUCTIONS) -> Path:
    return write_club_kb(root, name, instructions=instructions)


@dataclass(frozen=True)
class Event:
    event: str
    data: dict[str, Any]


def parse_sse(text: str) -> tuple[list[Event], int]:
    """The events and the number of comment lines (keep-alives)."""
    events: list[Event] = []
    comments = 0
    for block in text.replace("\r\n", "\n").split("\n\n"):
        name, data = "message", []
        for line in block.split("\n"):
            if line.startswith(":"):
                comments += 1
            elif line.startswith("event:"):
                name = line[6:].strip()
            elif line.startswith("data:"):
                data.append(line[5:].strip())
        if data:
            events.append(Event(name, json.loads("\n".join(data))))
    return events, comments
