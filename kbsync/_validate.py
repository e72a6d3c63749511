"""``kbsync validate``: load and check everything offline, then say what was found."""

from __future__ import annotations

from pathlib import Path

from kbcore.kb import load_kb
from kbcore.output import display_path, human_size, plural, result


def validate(kb_dir: Path) -> int:
    """Exit code 0 with a one-line summary; an invalid KB raises ``KbError`` (every problem)."""
    kb = load_kb(kb_dir)
    result(
        f"{display_path(kb_dir)}/ is valid: {plural(len(kb.documents), 'document')},"
        f" {human_size(kb.total_bytes)}, model {kb.settings.model}"
    )
    return 0
