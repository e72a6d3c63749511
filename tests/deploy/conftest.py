"""A live relay on a synced sandbox, for the deployment tests."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from testing.kb import write_kb
from testing.sandbox import API_KEY
from testing.servers import Server, relay_server

# One long paragraph, so that the sandbox's extractive answer has many deltas.
LIGHTHOUSE = (
    "The old lighthouse on the northern cape was built in 1874 from granite blocks "
    "carried by boat from the quarry across the bay, and its lamp was first lit on a "
    "stormy night in November by the keeper Anselm Varga, who kept the lighthouse "
    "logbook for forty years and recorded every ship that passed the northern cape."
)


@pytest.fixture
def relay(sandbox: Server, tmp_path: Path) -> Iterator[Server]:
    kb = write_kb(
        tmp_path / "kb",
        {"lighthouse.md": f"# The lighthouse\n\n{LIGHTHOUSE}\n"},
        settings="name: nginx-test\n",
        instructions="Answer from the documents.\n",
    )
    env = {
        **os.environ,
        "OPENAI_API_KEY": API_KEY,
        "OPENAI_BASE_URL": sandbox.url + "/v1",
    }
    synced = subprocess.run(
        [sys.executable, "-m", "kbsync", "--kb", str(kb), "--yes"],
        env=env,
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert synced.returncode == 0, synced.stderr
    env = {
        "OPENAI_API_KEY": API_KEY,
        "OPENAI_BASE_URL": sandbox.url + "/v1",
        "KB_DIR": str(kb),
        "RELAY_SECRET": "nginx-test-secret-0123456789abcdef",
        "RELAY_KEEPALIVE_SECONDS": "0.05",
        "RATE_LIMIT": "off",
        "TRUSTED_PROXIES": "127.0.0.1",
    }
    with relay_server(tmp_path / "relay.log", env, cwd=tmp_path) as server:
        yield server
