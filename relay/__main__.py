"""``python -m relay``: run the relay, as ``kbsync relay`` does."""

from relay.server import main

main()
