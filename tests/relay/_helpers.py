"""Helpers for relay tests: the club KB seeded under this area's name."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from testing.club import DOCS, INSTRUCTIONS, Seeded, write_club_kb
from testing.club import seed as seed_club

KB_NAME = "relaytest"


def seed(client: Any, kb_name: str = KB_NAME, docs: dict[str, str] = DOCS) -> Seeded:
    return seed_club(client, kb_name, docs)


def write_kb(root: Path, *, name: str = KB_NAME, instructions: str = INSTRUCTIONS) -> Path:
    return write_club_kb(root, name, instructions=instructions)
