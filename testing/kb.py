"""Write ``kb/`` folders on disk: the one helper every test, benchmark and script uses."""

from __future__ import annotations

import shutil
from collections.abc import Mapping
from pathlib import Path

INSTRUCTIONS = "Answer from the documents only.\n"


def write_kb(
    kb: Path,
    files: Mapping[str, str | bytes] | None = None,
    *,
    settings: str | None = "name: test\n",
    instructions: str | bytes | None = INSTRUCTIONS,
    evals: str | None = None,
    replace: bool = False,
) -> Path:
    """The KB folder ``kb``: ``files`` under ``files/`` (text as UTF-8), ``instructions.md``,
    ``assistant.yaml`` (``settings``) and ``evals.yaml`` (``evals``); ``None`` leaves a
    file out. ``replace`` empties ``files/`` first. Returns ``kb``."""
    files_dir = kb / "files"
    if replace:
        shutil.rmtree(files_dir, ignore_errors=True)
    files_dir.mkdir(parents=True, exist_ok=True)
    for name, content in (
        ("instructions.md", instructions),
        ("assistant.yaml", settings),
        ("evals.yaml", evals),
    ):
        if content is not None:
            write_file(kb / name, content)
    for path, content in (files or {}).items():
        write_file(files_dir / path, content)
    return kb


def write_file(path: Path, content: str | bytes) -> None:
    """``content`` at ``path`` (text as UTF-8), its folders made as needed."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(content.encode("utf-8") if isinstance(content, str) else content)


def doc(text: str) -> bytes:
    """A small Markdown document with enough words to chunk and search."""
    return (f"# {text}\n\n" + f"{text} is described here in some detail. " * 12).encode()
