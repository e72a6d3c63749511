"""Read a relay's server-sent events from a whole response body."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Event:
    event: str
    data: dict[str, Any]


def parse_sse(text: str) -> tuple[list[Event], int]:
    """The events (name and JSON data) and the number of comment lines (keep-alives)."""
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
