"""Which folder is the knowledge base: ``--kb``, else ``KB_DIR``, else the nearest
``kb/`` holding an ``instructions.md`` in the working directory or above it (as git
finds ``.git``), else ``./kb``.

A folder without ``instructions.md`` is "not a knowledge base", said in one line
rather than as one problem per file found in it.
"""

from __future__ import annotations

import os
from pathlib import Path

from kbcore.errors import KbsyncError
from kbcore.output import display_path

KB_FOLDER = "kb"
MARKER = "instructions.md"


class NotAKnowledgeBase(KbsyncError):
    """The folder named as the KB does not exist or has no ``instructions.md``."""


def find_kb(start: Path | None = None) -> Path | None:
    """The nearest ``kb/`` with an ``instructions.md`` in ``start`` (default: the working
    directory) or a folder above it; ``None`` when there is none."""
    here = Path(os.path.abspath(start or Path.cwd()))
    for folder in (here, *here.parents):
        candidate = folder / KB_FOLDER
        if (candidate / MARKER).is_file():
            return candidate
    return None


def resolve_kb(given: Path | None) -> Path:
    """``given``, else ``KB_DIR``, else ``find_kb()``, else ``./kb``."""
    if given is not None:
        return given
    from_env = os.environ.get("KB_DIR", "").strip()
    if from_env:
        return Path(from_env)
    return find_kb() or Path(KB_FOLDER)


def require_kb(kb_dir: Path) -> Path:
    """``kb_dir`` when it holds an ``instructions.md``; else raise ``NotAKnowledgeBase``
    (one line saying what to do)."""
    shown = display_path(kb_dir)
    if shown == ".":
        shown = Path.cwd().as_posix()
    if not kb_dir.exists():
        raise NotAKnowledgeBase(
            f"{shown}: the knowledge base folder does not exist; pass --kb DIR or set KB_DIR."
        )
    marker = kb_dir / MARKER
    if not kb_dir.is_dir() or not (marker.exists() or marker.is_symlink()):
        raise NotAKnowledgeBase(
            f"{shown} is not a knowledge base (it has no {MARKER}); "
            "pass --kb DIR naming the folder that holds instructions.md and files/."
        )
    return kb_dir
