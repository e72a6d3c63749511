"""What the relay benchmarks share: a seeded sandbox KB, relays from any source tree, nginx.

Benchmarks import the packages, ``testing`` and this module, never ``tests/``.
"""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from testing import club
from testing.servers import (
    ROOT,
    Server,
    free_port,
    nginx_binary,
    nginx_command,
    nginx_config,
    run_command,
)

KB_NAME = "benchkb"
QUESTION = club.QUESTION


def seed(client: Any) -> str:
    """Upload the club's documents into a vector store owned by ``KB_NAME``; its id."""
    return club.seed(client, KB_NAME).vector_store_id


def write_kb(root: Path) -> Path:
    return club.write_club_kb(root, KB_NAME)


def source_tree(revision: str, work: Path) -> Path:
    """A checkout of ``revision`` (``.``: this working tree) to run a relay from."""
    if revision == ".":
        return ROOT
    target = work / f"src-{revision}"
    if not target.exists():
        subprocess.run(
            ["git", "-C", str(ROOT), "worktree", "add", "-q", "--detach", str(target), revision],
            check=True,
        )
    return target


def drop_source_tree(path: Path) -> None:
    if path != ROOT:
        subprocess.run(["git", "-C", str(ROOT), "worktree", "remove", "--force", str(path)])


@contextmanager
def relay(source: Path, log: Path, env: dict[str, str], *, cwd: Path) -> Iterator[Server]:
    """``python -m relay`` from ``source`` (its own packages first on the path), ready."""
    port = free_port()
    full = {**os.environ, "PYTHONUNBUFFERED": "1", "PYTHONPATH": str(source), **env}
    command = [sys.executable, "-m", "relay", "--host", "127.0.0.1", "--port", str(port)]
    with run_command(
        command,
        port=port,
        ready_path="/readyz",
        ready_only=True,
        timeout=30,
        log=log,
        env=full,
        cwd=cwd,
        name=f"relay from {source}",
    ) as server:
        yield server


@contextmanager
def nginx(prefix: Path, upstream_port: int) -> Iterator[Server]:
    """nginx as a bare streaming proxy in front of ``upstream_port``: buffering off,
    HTTP/1.1 keep-alive to the upstream (what deploy/nginx/kbsync.conf does for SSE)."""
    prefix.mkdir(parents=True, exist_ok=True)
    port = free_port()
    conf = nginx_config(
        prefix,
        f"""    upstream backend {{ server 127.0.0.1:{upstream_port}; keepalive 64; }}
    server {{
        listen 127.0.0.1:{port} backlog=4096;
        location / {{
            proxy_pass http://backend;
            proxy_http_version 1.1;
            proxy_set_header Connection "";
            proxy_buffering off;
            proxy_read_timeout 120s;
        }}
    }}""",
        worker_connections=4096,
    )
    log = prefix / "error.log"
    binary = nginx_binary()
    if binary is None:
        raise SystemExit("nginx is not installed (apt-get install nginx)")
    args = nginx_command(binary, prefix, conf, log)
    with run_command(
        args, port=port, ready_path="/_sandbox/stats", log=log, output=prefix / "out.log"
    ) as server:
        yield server
