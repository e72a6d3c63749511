"""Helpers for the sync tests that run against the live sandbox."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

from click.testing import CliRunner, Result

import testing.kb
from kbsync.cli import main
from testing.sandbox import requests_log
from testing.sandbox import stats as sandbox_stats
from testing.servers import ROOT, Server
from testing.waiting import wait_for


def write_kb(root: Path, files: Mapping[str, str | bytes], settings: str = "name: test\n") -> Path:
    """A KB folder at ``root/kb`` with ``files`` under ``files/``; returns the folder."""
    return testing.kb.write_kb(root / "kb", files, settings=settings)


def put(kb: Path, path: str, content: str | bytes) -> None:
    testing.kb.write_file(kb / "files" / path, content)


def kbsync(kb: Path, *args: str) -> Result:
    """Run ``kbsync --kb KB ARGS`` in-process (stdin is not a terminal: no prompt)."""
    return CliRunner().invoke(main, ["--kb", str(kb), *args], catch_exceptions=False)


def plan_of(kb: Path, *args: str) -> dict[str, Any]:
    """The dry-run JSON plan."""
    result = kbsync(kb, "--dry-run", "--json", *args)
    assert result.exit_code == 0, result.stderr
    document: dict[str, Any] = json.loads(result.stdout)
    return document


def counts(kb: Path) -> dict[str, int]:
    """The non-zero action counts of the dry-run plan."""
    summary = plan_of(kb)["summary"]
    return {k: v for k, v in summary.items() if v and k != "total"}


def apply_ok(kb: Path, *args: str) -> Result:
    result = kbsync(kb, "--yes", *args)
    assert result.exit_code == 0, result.stdout + result.stderr
    return result


def assert_in_sync(kb: Path, *args: str) -> None:
    """A second run plans nothing (and ``--detailed-exitcode`` agrees)."""
    result = kbsync(kb, "--dry-run", "--json", "--detailed-exitcode", *args)
    document = json.loads(result.stdout)
    assert document["changes"] == [], document["changes"]
    assert result.exit_code == 0
    assert document["pending"] is False


def stats(server: Server) -> dict[str, int]:
    """Requests so far by route (``POST /v1/files``: 3)."""
    counted: dict[str, int] = sandbox_stats(server)["requests"]
    return counted


def total_requests(server: Server) -> int:
    total: int = sandbox_stats(server)["total"]
    return total


def store_files(client: Any, store_id: str) -> list[Any]:
    return list(client.vector_stores.files.list(store_id, limit=100))


def by_path(client: Any, store_id: str) -> dict[str, list[Any]]:
    grouped: dict[str, list[Any]] = {}
    for file in store_files(client, store_id):
        grouped.setdefault((file.attributes or {}).get("kb_path", "?"), []).append(file)
    return grouped


def kill_apply_when(
    sandbox: Server,
    kb: Path,
    base_url: str,
    arrived: Callable[[dict[str, Any]], bool],
    what: str,
) -> int:
    """Run ``kbsync --yes`` as a process and SIGKILL it as soon as a request for which
    ``arrived`` holds reaches the sandbox; returns how many requests were logged before
    it started. Set ``latency_ms`` first so that the kill lands before the sandbox acts."""
    seen = len(requests_log(sandbox))
    env = {**os.environ, "OPENAI_BASE_URL": base_url, "CI": "true"}
    args = [sys.executable, "-m", "kbsync", "--kb", str(kb), "--yes"]
    proc = subprocess.Popen(
        args, env=env, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    try:

        def arrived_or_ended() -> bool:
            assert proc.poll() is None, "kbsync finished before it could be interrupted"
            return any(arrived(r) for r in requests_log(sandbox)[seen:])

        wait_for(arrived_or_ended, timeout=60, every=0.01, what=f"kbsync to have {what}")
    finally:
        proc.send_signal(signal.SIGKILL)
        proc.wait()
    return seen
