"""Defaults that more than one part states: written once here, imported where used.

The relay's own settings keep their defaults on ``relay._config.Config``; these are the
ones the command line, the relay and the engines share.
"""

from __future__ import annotations

LOOPBACK = "127.0.0.1"
RELAY_PORT = 8000  # kbsync relay, kbsync dev --port, PORT
RELAY_URL = f"http://{LOOPBACK}:{RELAY_PORT}"  # PUBLIC_URL: the relay as visitors reach it
CONCURRENCY = 8  # parallel uploads of kbsync and kbsync preview
MAX_CONCURRENCY = 64

# The mass-deletion guard: a plan that removes more than this share of a store holding
# at least MASS_DELETE_MIN_FILES files needs --allow-mass-delete.
MASS_DELETE_SHARE = 0.30
MASS_DELETE_MIN_FILES = 10
