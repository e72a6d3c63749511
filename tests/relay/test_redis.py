"""Two relay instances share one rate limit through a real redis-server."""

from __future__ import annotations

import shutil
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from kbcore.servers import free_port
from relay._config import RateLimit
from tests.conftest import need
from tests.relay._helpers import QUESTION
from tests.relay.conftest import MakeRelay

pytestmark = pytest.mark.redis


@pytest.fixture
def redis_url(tmp_path: Path) -> Iterator[str]:
    binary = shutil.which("redis-server")
    need(binary is not None, "redis-server is not installed (apt-get install redis-server)")
    assert binary is not None
    port = free_port()
    log = (tmp_path / "redis.log").open("wb")
    proc = subprocess.Popen(
        [binary, "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"],
        stdout=log,
        stderr=subprocess.STDOUT,
        cwd=tmp_path,
    )
    try:
        import socket

        deadline = time.monotonic() + 10
        while True:
            try:
                with socket.create_connection(("127.0.0.1", port), timeout=1):
                    break
            except OSError:
                if proc.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError(f"redis-server did not start: {tmp_path}") from None
                time.sleep(0.05)
        yield f"redis://127.0.0.1:{port}/0"
    finally:
        proc.terminate()
        proc.wait(timeout=10)
        log.close()


def test_two_instances_share_one_limit(make_relay: MakeRelay, redis_url: str) -> None:
    limit = RateLimit(3, "minute")
    with (
        make_relay(rate_limit=limit, redis_url=redis_url) as a,
        make_relay(rate_limit=limit, redis_url=redis_url) as b,
    ):

        def ask(http: Any) -> Any:
            return http.post("/api/chat", json={"message": QUESTION})

        assert [ask(a).status_code, ask(b).status_code, ask(a).status_code] == [200, 200, 200]
        refused = ask(b)  # b alone has seen one request: only the shared count refuses it
        assert refused.status_code == 429
        assert int(refused.headers["retry-after"]) >= 1
        assert ask(a).status_code == 429


def test_without_redis_each_instance_counts_alone(make_relay: MakeRelay) -> None:
    limit = RateLimit(1, "minute")
    with make_relay(rate_limit=limit) as a, make_relay(rate_limit=limit) as b:
        assert a.post("/api/chat", json={"message": QUESTION}).status_code == 200
        assert b.post("/api/chat", json={"message": QUESTION}).status_code == 200
        assert a.post("/api/chat", json={"message": QUESTION}).status_code == 429
