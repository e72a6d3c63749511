"""Shared fixtures: a live sandbox, an SDK client on it, and the network guard."""

from __future__ import annotations

import ipaddress
import logging
import os
import shutil
import socket
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from testing.sandbox import API_KEY, reset
from testing.servers import Server, redis_server, sandbox_server
from tests._secrets import SecretScan, collect, watch

# Every secret value a test hands to a server: none may appear in anything captured.
TEST_SECRETS: tuple[tuple[str, str], ...] = (
    ("OPENAI_API_KEY", API_KEY),
    ("RELAY_SECRET", "relay-test-secret-0123456789abcdef"),
    ("RELAY_SECRET", "widget-tests-secret-0123456789abcdef"),
    ("RELAY_SECRET", "nginx-test-secret-0123456789abcdef"),
)

IN_CI = os.environ.get("CI", "").lower() in {"1", "true", "yes"}


def need(condition: bool, reason: str) -> None:
    """Skip with a printed reason outside CI; fail loudly in CI (where everything is installed)."""
    if condition:
        return
    if IN_CI:
        pytest.fail(f"required in CI: {reason}")
    pytest.skip(reason)


_real_connect = socket.socket.connect


def _guarded_connect(self: socket.socket, address: Any) -> Any:
    if self.family in (socket.AF_INET, socket.AF_INET6):
        host = address[0]
        try:
            loopback = ipaddress.ip_address(host).is_loopback
        except ValueError:
            loopback = host == "localhost"
        if not loopback:
            raise RuntimeError(f"test tried to reach the network: {address!r}")
    return _real_connect(self, address)


@pytest.fixture(autouse=True)
def _no_network(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setattr(socket.socket, "connect", _guarded_connect)
    monkeypatch.setenv("OPENAI_API_KEY", API_KEY)
    monkeypatch.delenv("OPENAI_BASE_URL", raising=False)
    monkeypatch.delenv("VECTOR_STORE_ID", raising=False)
    monkeypatch.delenv("OPENAI_PROJECT", raising=False)
    monkeypatch.delenv("OPENAI_PROJECT_ID", raising=False)
    monkeypatch.delenv("OPENAI_ORG_ID", raising=False)
    monkeypatch.setenv("HOME", str(tmp_path / "home"))


@pytest.fixture(scope="session")
def sandbox_live(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    """One sandbox process for the session; use ``sandbox`` for a clean one per test."""
    log = tmp_path_factory.mktemp("sandbox") / "sandbox.log"
    with sandbox_server(log) as server:
        yield server


@pytest.fixture
def sandbox(sandbox_live: Server) -> Server:
    """The live sandbox, reset: no state, no counters, no faults."""
    reset(sandbox_live)
    return sandbox_live


@pytest.fixture
def base_url(sandbox: Server) -> str:
    return sandbox.url + "/v1"


@pytest.fixture
def sandbox_env(monkeypatch: pytest.MonkeyPatch, base_url: str) -> None:
    """``kbsync`` and ``Remote.from_env()`` reach the sandbox, never prompting (``CI=true``)."""
    monkeypatch.setenv("OPENAI_BASE_URL", base_url)
    monkeypatch.setenv("CI", "true")


@pytest.fixture
def client(base_url: str) -> Any:
    import openai

    return openai.OpenAI(api_key=API_KEY, base_url=base_url, max_retries=0, timeout=10)


@pytest.fixture
def aclient(base_url: str) -> Any:
    import openai

    return openai.AsyncOpenAI(api_key=API_KEY, base_url=base_url, max_retries=0, timeout=10)


def _scan() -> SecretScan:
    scan = SecretScan()
    for variable, value in TEST_SECRETS:
        scan.secret(variable, value)
    return scan


@pytest.fixture(autouse=True)
def secret_scan(
    request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> Iterator[SecretScan]:
    """Fail at teardown if a secret is in the test's logs, output, response bodies,
    CLI or subprocess output, error messages or server log files."""
    scan = _scan()
    watch(scan, monkeypatch)
    relay_log = logging.getLogger("relay")
    level = relay_log.level
    relay_log.setLevel(logging.DEBUG)  # setLevel, not setattr: it clears logging's cache
    try:
        yield scan
    finally:
        relay_log.setLevel(level)
    collect(scan, request.node, tmp_path)
    scan.check()


@pytest.fixture(scope="session", autouse=True)
def _no_secret_in_server_logs(tmp_path_factory: pytest.TempPathFactory) -> Iterator[None]:
    yield  # then the session sandbox's log and every other *.log of this session
    scan = _scan()
    scan.add_files(tmp_path_factory.getbasetemp().rglob("*.log"))
    scan.check()


@pytest.fixture
def redis_url(tmp_path: Path) -> Iterator[str]:
    """A throwaway redis-server on a free loopback port."""
    binary = shutil.which("redis-server")
    need(binary is not None, "redis-server is not installed (apt-get install redis-server)")
    assert binary is not None
    with redis_server(binary, tmp_path) as url:
        yield url
