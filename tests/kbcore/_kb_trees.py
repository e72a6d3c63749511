"""Build small ``kb/`` trees on disk for the loader tests."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

from testing.kb import write_kb

INSTRUCTIONS = "Answer briefly, from the documents.\n"


def make_kb(
    root: Path,
    files: Mapping[str, bytes | str] | None = None,
    *,
    settings: str | None = None,
    instructions: bytes | str | None = INSTRUCTIONS,
) -> Path:
    """``root/kb`` with ``files`` (one ``a.md`` when not given) under ``kb/files/``."""
    files = files if files is not None else {"a.md": "# A\n"}
    return write_kb(root / "kb", files, settings=settings, instructions=instructions)
