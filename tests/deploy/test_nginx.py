"""The shipped nginx config, for real: Debian's nginx in front of a live relay and sandbox.

The generated nginx.conf includes ``deploy/nginx/kbsync.conf`` as shipped and
``kbsync-upstream.conf`` with only the relay's port and the cache folder replaced.
"""

from __future__ import annotations

import shutil
import subprocess
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest

from testing.sandbox import sandbox_call
from testing.servers import (
    ROOT,
    Server,
    free_port,
    nginx_binary,
    nginx_command,
    nginx_config,
    run_command,
)
from tests.conftest import need
from tests.deploy._sse import Item, chat

pytestmark = [pytest.mark.nginx, pytest.mark.slow]

NGINX_DIR = ROOT / "deploy" / "nginx"
TOKEN_DELAY_MS = 150


def _nginx_binary() -> str:
    binary = nginx_binary()
    need(binary is not None, "nginx is not installed (apt-get install nginx)")
    assert binary is not None
    return binary


def _serve_kbsync(listen_port: int, locations: Path = NGINX_DIR / "kbsync.conf") -> str:
    return f"""    server {{
        listen 127.0.0.1:{listen_port};
        server_name localhost;
        include {locations};
    }}"""


def _nginx_conf(prefix: Path, relay_port: int, servers: str) -> Path:
    upstream = (NGINX_DIR / "kbsync-upstream.conf").read_text()
    assert "127.0.0.1:8000" in upstream
    assert "/var/cache/nginx/kbsync" in upstream
    upstream = upstream.replace("127.0.0.1:8000", f"127.0.0.1:{relay_port}")
    upstream = upstream.replace("/var/cache/nginx/kbsync", str(prefix / "cache"))
    http = f"{upstream}\n{servers}"
    conf = nginx_config(prefix, http, access_log=str(prefix / "access.log"))
    return conf


@pytest.fixture
def nginx(relay: Server, tmp_path: Path) -> Iterator[Server]:
    with _running_nginx(tmp_path / "nginx", relay.port, NGINX_DIR / "kbsync.conf") as server:
        yield server


@contextmanager
def _running_nginx(prefix: Path, relay_port: int, locations: Path) -> Iterator[Server]:
    binary = _nginx_binary()
    prefix.mkdir()
    port = free_port()
    conf = _nginx_conf(prefix, relay_port, _serve_kbsync(port, locations))
    log = prefix / "error.log"
    args = nginx_command(binary, prefix, conf, log, f"error_log {log} info;")
    checked = subprocess.run([*args, "-t"], capture_output=True, text=True, timeout=30)
    assert checked.returncode == 0, checked.stderr + log.read_text(errors="replace")
    with run_command(
        args, port=port, ready_path="/healthz", log=log, output=prefix / "stdout.log"
    ) as server:
        yield server


def _turn(url: str, question: str) -> tuple[float, list[Item]]:
    started = time.monotonic()
    items: list[Item] = []
    for item in chat(url, question):
        items.append(item)
        assert item.kind != "error", item.data
        if item.kind == "done":
            break
    return started, items


def test_sse_is_streamed_through_nginx(sandbox: Server, relay: Server, nginx: Server) -> None:
    sandbox_call(sandbox, "POST", "/_sandbox/faults", {"token_delay_ms": TOKEN_DELAY_MS})

    started, items = _turn(nginx.url, "Who was the keeper of the old lighthouse on the cape?")

    kinds = [item.kind for item in items]
    assert kinds[0] == "conversation", kinds
    assert kinds[-1] == "done", kinds
    deltas = [item for item in items if item.kind == "delta"]
    assert len(deltas) >= 10, kinds
    assert "Anselm Varga" in "".join(d.json()["text"] for d in deltas)
    first, end = deltas[0].at - started, items[-1].at - started
    # Buffered, the first delta would arrive with the last one, at the very end.
    assert end >= len(deltas) * TOKEN_DELAY_MS / 1000 * 0.8, (first, end)
    assert first < end / 3, f"first delta after {first:.2f} s, stream ended after {end:.2f} s"
    # Deltas arrive spread out, not in a burst.
    assert deltas[-1].at - deltas[0].at >= (len(deltas) - 1) * TOKEN_DELAY_MS / 1000 * 0.5


def test_a_buffering_proxy_would_be_caught(sandbox: Server, relay: Server, tmp_path: Path) -> None:
    """The control for the test above: the usual mistakes make the deltas arrive in a burst."""
    shipped = (NGINX_DIR / "kbsync.conf").read_text()
    broken = shipped.replace(
        "    proxy_buffering off;",
        "    proxy_buffering on;\n    proxy_ignore_headers X-Accel-Buffering;",
    ).replace(
        "    gzip off;", "    gzip on;\n    gzip_types text/event-stream;\n    gzip_min_length 0;"
    )
    assert broken.count("gzip on;") == 1
    assert broken.count("proxy_buffering on;") == 1
    locations = tmp_path / "buffered.conf"
    locations.write_text(broken)
    sandbox_call(sandbox, "POST", "/_sandbox/faults", {"token_delay_ms": TOKEN_DELAY_MS})
    with _running_nginx(tmp_path / "nginx", relay.port, locations) as buffered:
        _, items = _turn(buffered.url, "Who was the keeper of the old lighthouse on the cape?")
    deltas = [item for item in items if item.kind == "delta"]
    assert len(deltas) >= 10
    assert deltas[-1].at - deltas[0].at < 0.1


def test_keep_alive_comments_pass_through_nginx(
    sandbox: Server, relay: Server, nginx: Server
) -> None:
    sandbox_call(sandbox, "POST", "/_sandbox/faults", {"token_delay_ms": TOKEN_DELAY_MS})

    _, items = _turn(nginx.url, "When was the lighthouse built?")

    comments = [item for item in items if item.kind == "comment"]
    assert comments, [item.kind for item in items]
    assert all(comment.data == "keep-alive" for comment in comments)
    # They arrive while the stream is quiet, not held back until it ends.
    end = items[-1].at
    assert comments[0].at < end - 1.0, [round(end - c.at, 2) for c in comments]
    first_delta = next(item.at for item in items if item.kind == "delta")
    assert any(comment.at > first_delta for comment in comments)


def test_api_paths_pass_unchanged_and_widget_is_cached(relay: Server, nginx: Server) -> None:
    with urllib.request.urlopen(nginx.url + "/api/ping", timeout=10) as response:
        assert response.status == 200
        assert b'"ok":true' in response.read().replace(b" ", b"")

    def widget() -> tuple[str, bytes]:
        with urllib.request.urlopen(nginx.url + "/widget.js", timeout=10) as response:
            return response.headers.get("X-Cache-Status", ""), response.read()

    first_status, first_body = widget()
    second_status, second_body = widget()
    with urllib.request.urlopen(relay.url + "/widget.js", timeout=10) as response:
        direct = response.read()
    assert first_status == "MISS"
    assert second_status == "HIT"
    assert first_body == second_body == direct


def test_pinned_widget_through_nginx(relay: Server, nginx: Server) -> None:
    import hashlib

    body = (ROOT / "relay" / "widget" / "widget.js").read_bytes()
    path = f"/widget/{hashlib.sha256(body).hexdigest()[:16]}.js"

    def fetch() -> Any:
        with urllib.request.urlopen(nginx.url + path, timeout=10) as response:
            return response.status, response.headers, response.read()

    (status, headers, first), (_, again, second) = fetch(), fetch()
    assert status == 200
    assert first == second == body
    assert headers["Cache-Control"] == "public, max-age=31536000, immutable"
    assert headers["Access-Control-Allow-Origin"] == "*"
    assert headers["X-Content-Type-Options"] == "nosniff"
    assert (headers["X-Cache-Status"], again["X-Cache-Status"]) == ("MISS", "HIT")
    with pytest.raises(urllib.error.HTTPError) as missing:
        urllib.request.urlopen(nginx.url + "/widget/0000000000000000.js", timeout=10)
    assert missing.value.code == 404


def test_example_site_config_is_valid(tmp_path: Path) -> None:
    binary = _nginx_binary()
    need(shutil.which("openssl") is not None, "openssl is not installed")
    cert, key = tmp_path / "cert.pem", tmp_path / "key.pem"
    subprocess.run(
        [
            *("openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1"),
            *("-subj", "/CN=chat.example.org", "-keyout", str(key), "-out", str(cert)),
        ],
        check=True,
        capture_output=True,
        timeout=60,
    )
    site = (NGINX_DIR / "example-site.conf").read_text()
    site = site.replace("/etc/letsencrypt/live/chat.example.org/fullchain.pem", str(cert))
    site = site.replace("/etc/letsencrypt/live/chat.example.org/privkey.pem", str(key))
    site = site.replace("/etc/nginx/snippets/kbsync.conf", str(NGINX_DIR / "kbsync.conf"))
    (tmp_path / "site.conf").write_text(site)
    conf = _nginx_conf(tmp_path, 8000, f"    include {tmp_path / 'site.conf'};")
    log = tmp_path / "error.log"
    pid = f"pid {tmp_path / 'nginx.pid'};"
    checked = subprocess.run(
        [binary, "-t", "-p", f"{tmp_path}/", "-e", str(log), "-c", str(conf), "-g", pid],
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert checked.returncode == 0, checked.stderr
