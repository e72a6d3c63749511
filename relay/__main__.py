"""``python -m relay`` is ``kbsync relay``."""

from sync.cli import relay

relay()
