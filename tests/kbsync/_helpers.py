"""Helpers of the command tests: a KB on disk, the CLI in-process, the sandbox's contents."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from click.testing import CliRunner, Result

import testing.kb
from kbsync.cli import main
from testing.sandbox import sandbox_call
from testing.servers import Server


def write_kb(
    root: Path,
    files: Mapping[str, str],
    settings: str = "name: test\n",
    evals: str | None = None,
) -> Path:
    """A KB folder at ``root/kb``: ``files`` under ``files/``, and ``evals.yaml`` if given."""
    return testing.kb.write_kb(root / "kb", files, settings=settings, evals=evals)


def kbsync(*args: str) -> Result:
    """``kbsync ARGS`` in-process."""
    return CliRunner().invoke(main, list(args), catch_exceptions=False)


def stores(server: Server) -> list[dict[str, Any]]:
    """Every vector store in the sandbox (one page is all a test makes)."""
    data: list[dict[str, Any]] = sandbox_call(server, "GET", "/v1/vector_stores?limit=100")["data"]
    return data


def files(server: Server) -> list[dict[str, Any]]:
    data: list[dict[str, Any]] = sandbox_call(server, "GET", "/v1/files")["data"]
    return data


def requests(server: Server) -> list[dict[str, Any]]:
    logged: list[dict[str, Any]] = sandbox_call(server, "GET", "/_sandbox/requests?limit=1000")[
        "requests"
    ]
    return logged
