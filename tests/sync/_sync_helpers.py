"""Helpers for the sync tests that run against the live sandbox."""

from __future__ import annotations

import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from click.testing import CliRunner, Result

from kbcore.servers import Server
from kbsync.cli import main
from tests.conftest import sandbox_call

INSTRUCTIONS = "Answer from the documents only.\n"


def write_kb(root: Path, files: Mapping[str, str | bytes], settings: str = "name: test\n") -> Path:
    """A KB folder at ``root/kb`` with ``files`` under ``files/``; returns the folder."""
    kb = root / "kb"
    (kb / "files").mkdir(parents=True, exist_ok=True)
    (kb / "instructions.md").write_text(INSTRUCTIONS, encoding="utf-8")
    (kb / "assistant.yaml").write_text(settings, encoding="utf-8")
    for path, content in files.items():
        put(kb, path, content)
    return kb


def put(kb: Path, path: str, content: str | bytes) -> None:
    target = kb / "files" / path
    target.parent.mkdir(parents=True, exist_ok=True)
    if isinstance(content, str):
        target.write_text(content, encoding="utf-8")
    else:
        target.write_bytes(content)


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
    counted: dict[str, int] = sandbox_call(server, "GET", "/_sandbox/stats")["requests"]
    return counted


def total_requests(server: Server) -> int:
    total: int = sandbox_call(server, "GET", "/_sandbox/stats")["total"]
    return total


def faults(server: Server, **settings: Any) -> None:
    sandbox_call(server, "POST", "/_sandbox/faults", settings)


def store_files(client: Any, store_id: str) -> list[Any]:
    return list(client.vector_stores.files.list(store_id, limit=100))


def by_path(client: Any, store_id: str) -> dict[str, list[Any]]:
    grouped: dict[str, list[Any]] = {}
    for file in store_files(client, store_id):
        grouped.setdefault((file.attributes or {}).get("kb_path", "?"), []).append(file)
    return grouped
