"""What the relay benchmarks share: a seeded sandbox KB, relays from any source tree, nginx.

Benchmarks import the packages and this module, never ``tests/``.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from kbcore import wire
from testing.servers import (
    ROOT,
    Server,
    free_port,
    nginx_command,
    nginx_config,
    run_command,
    wait_http,
)

KB_NAME = "benchkb"
INSTRUCTIONS = "You answer questions about the Club Sante fitness club.\n"
DOCS = {
    "prices.md": (
        "# Prices\n\nA single visit costs 1500 rubles. A monthly membership costs 5000 rubles "
        "and includes the pool and the gym. Students get a 20 percent discount on the "
        "monthly membership.\n"
    ),
    "hours/schedule.md": (
        "# Opening hours\n\nThe club is open from 7:00 to 23:00 on weekdays and from 9:00 "
        "to 21:00 at weekends. The swimming pool closes thirty minutes before the club.\n"
    ),
    "rules.md": (
        "# Club rules\n\nA rubber swimming cap is required in the pool. Towels are free at "
        "the reception. Children under 14 visit the club only with an adult.\n"
    ),
}
QUESTION = "How much does a monthly membership cost?"


def seed(client: Any, kb_name: str = KB_NAME) -> str:
    """Upload ``DOCS`` into a vector store owned by ``kb_name``; its id."""
    entries = []
    for path, text in DOCS.items():
        uploaded = client.files.create(
            file=(path.rsplit("/", 1)[-1], text.encode(), "text/markdown"), purpose="assistants"
        )
        title = text.splitlines()[0].removeprefix("# ")
        attributes = {wire.KB_PATH: path, wire.KB_SHA256: "0" * 64, wire.KB_TITLE: title}
        entries.append({"file_id": uploaded.id, "attributes": attributes})
    store = client.vector_stores.create(
        name=wire.store_name(kb_name), metadata={wire.KB_NAME: kb_name}
    )
    client.vector_stores.file_batches.create_and_poll(
        vector_store_id=store.id, files=entries, poll_interval_ms=10
    )
    return str(store.id)


def write_kb(root: Path, *, name: str = KB_NAME, max_num_results: int = 4) -> Path:
    root.mkdir(parents=True, exist_ok=True)
    (root / "instructions.md").write_text(INSTRUCTIONS, encoding="utf-8")
    (root / "assistant.yaml").write_text(
        f"name: {name}\nfile_search:\n  max_num_results: {max_num_results}\n", encoding="utf-8"
    )
    (root / "files").mkdir(exist_ok=True)
    return root


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
    with run_command(command, port=port, ready_path="/healthz", log=log, env=full, cwd=cwd) as s:
        deadline = time.monotonic() + 30
        while not _ready(s.url):
            if time.monotonic() > deadline or s.proc.poll() is not None:
                raise SystemExit(f"the relay from {source} did not get ready; see {log}")
            time.sleep(0.1)
        yield s


def _ready(url: str) -> bool:
    try:
        with urllib.request.urlopen(url + "/readyz", timeout=2) as response:
            return bool(response.status == 200)
    except (urllib.error.URLError, OSError):
        return False


def nginx_binary() -> str:
    binary = shutil.which("nginx") or "/usr/sbin/nginx"
    if not Path(binary).exists():
        raise SystemExit("nginx is not installed (apt-get install nginx)")
    return binary


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
    args = nginx_command(nginx_binary(), prefix, conf, log)
    with run_command(
        args, port=port, ready_path="/_sandbox/stats", log=log, output=prefix / "out.log"
    ) as server:
        yield server


def wait_ready(url: str) -> None:
    wait_http(url)
