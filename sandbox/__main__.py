"""``python -m sandbox``: run the sandbox, as ``kbsync sandbox`` does."""

from sandbox.server import main

main()
