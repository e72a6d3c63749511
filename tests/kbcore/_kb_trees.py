"""Build small ``kb/`` trees on disk for the loader tests."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

INSTRUCTIONS = "Answer briefly, from the documents.\n"


def make_kb(
    root: Path,
    files: Mapping[str, bytes | str] | None = None,
    *,
    settings: str | None = None,
    instructions: bytes | str | None = INSTRUCTIONS,
) -> Path:
    """``root/kb`` with ``files`` under ``kb/files/`` (text is written as UTF-8)."""
    kb = root / "kb"
    (kb / "files").mkdir(parents=True, exist_ok=True)
    if instructions is not None:
        _write(kb / "instructions.md", instructions)
    if settings is not None:
        _write(kb / "assistant.yaml", settings)
    for rel, content in (files if files is not None else {"a.md": "# A\n"}).items():
        _write(kb / "files" / rel, content)
    return kb


def _write(path: Path, content: bytes | str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    if isinstance(content, str):
        content = content.encode("utf-8")
    path.write_bytes(content)
