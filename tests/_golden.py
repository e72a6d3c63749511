"""Golden files: compare output with a file kept in the repository.

``KBSYNC_UPDATE_GOLDEN=1`` rewrites the files instead (then review the diff).
"""

from __future__ import annotations

import os
from pathlib import Path


def check_golden(path: Path, actual: str) -> None:
    """Assert that ``actual`` equals the golden file ``path``."""
    if os.environ.get("KBSYNC_UPDATE_GOLDEN"):
        path.parent.mkdir(exist_ok=True)
        path.write_text(actual, encoding="utf-8")
    assert actual == path.read_text(encoding="utf-8")
