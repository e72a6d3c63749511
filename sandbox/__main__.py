"""``python -m sandbox`` is ``kbsync sandbox``."""

from sync.cli import sandbox

sandbox()
