"""Reliability fixtures: the relay fixtures of ``tests/relay``, re-exported.

The secret scanner (``secret_scan`` in ``tests/conftest.py``) applies here as everywhere.
"""

from __future__ import annotations

from tests.relay.conftest import (  # noqa: F401  (fixtures, re-exported for this folder)
    SECRET,
    kb,
    make_relay,
    relay,
    relay_config,
    run_relay,
    seeded,
)
