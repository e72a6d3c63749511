"""Read a response stream off the wire (no SDK), to check framing and raw JSON events."""

from __future__ import annotations

import json
from typing import Any

import httpx

from testing.sandbox import API_KEY

HEADERS = {"Authorization": f"Bearer {API_KEY}", "Accept": "application/json"}


def parse(raw: str) -> list[tuple[str, dict[str, Any]]]:
    """``(event name, data)`` pairs; each block must be one ``event:`` and one ``data:`` line."""
    events: list[tuple[str, dict[str, Any]]] = []
    for block in raw.split("\n\n"):
        if not block.strip():
            continue
        lines = block.split("\n")
        assert len(lines) == 2, f"an SSE block of two lines expected, got {block!r}"
        assert lines[0].startswith("event: "), block
        assert lines[1].startswith("data: "), block
        events.append((lines[0][len("event: ") :], json.loads(lines[1][len("data: ") :])))
    return events


def stream(base_url: str, body: dict[str, Any]) -> tuple[httpx.Response, list[dict[str, Any]]]:
    """POST ``/responses`` with ``stream: true``; the response and its events (data only)."""
    with httpx.Client(timeout=10) as http:
        response = http.post(
            f"{base_url}/responses", json={**body, "stream": True}, headers=HEADERS
        )
        events = parse(response.text) if response.status_code == 200 else []
    for name, data in events:
        assert name == data["type"], f"event line {name!r} differs from type {data['type']!r}"
    return response, [data for _, data in events]
