"""``python -m kbsync`` is ``kbsync``."""

from kbsync.cli import main

main(prog_name="kbsync")
