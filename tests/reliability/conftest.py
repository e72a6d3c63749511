"""Reliability fixtures: the relay fixtures of ``tests/relay``, and the secret scanner.

Every test here is checked for leaked secrets (``secret_scan``): what it logged or
printed, the HTTP bodies it received, CLI output, error messages and server log files
must not hold ``OPENAI_API_KEY`` or ``RELAY_SECRET``.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.conftest import API_KEY
from tests.relay.conftest import (  # noqa: F401  (fixtures, re-exported for this folder)
    SECRET,
    kb,
    make_relay,
    relay,
    relay_config,
    run_relay,
    seeded,
)
from tests.reliability._secrets import SecretScan, collect, watch


@pytest.fixture(autouse=True)
def secret_scan(
    request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> Iterator[SecretScan]:
    """Fails the test at teardown if a secret appears in anything it captured."""
    scan = SecretScan({"OPENAI_API_KEY": API_KEY, "RELAY_SECRET": SECRET})
    watch(scan, monkeypatch)
    relay_log = logging.getLogger("relay")
    level = relay_log.level
    relay_log.setLevel(logging.DEBUG)  # every relay line is emitted, so every line is scanned
    try:
        yield scan
    finally:
        relay_log.setLevel(level)
    collect(scan, request.node, tmp_path)
    scan.check()
