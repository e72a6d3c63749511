"""Relay fixtures: a seeded sandbox KB, a tmp kb/ folder, the relay in-process or as a server."""

from __future__ import annotations

import dataclasses
import time
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager
from pathlib import Path
from typing import Any

import pytest
from litestar.testing import TestClient

from relay._config import Config
from relay._counters import Clock
from relay.app import create_app
from testing.club import Seeded
from testing.sandbox import API_KEY
from testing.servers import Server, free_port, relay_server
from testing.waiting import wait_for
from tests.relay._helpers import seed, write_kb

SECRET = "relay-test-secret-0123456789abcdef"

MakeRelay = Callable[..., AbstractContextManager[TestClient[Any]]]
RunRelay = Callable[..., AbstractContextManager[Server]]


@pytest.fixture(autouse=True)
def _state_in_tmp(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Each test's relay keeps its ``state`` (turns, spent tokens) in its own folder."""
    monkeypatch.setenv("STATE_DB", str(tmp_path / "state.db"))


@pytest.fixture
def kb(tmp_path: Path) -> Path:
    return write_kb(tmp_path / "kb")


@pytest.fixture
def seeded(client: Any) -> Seeded:
    return seed(client)


@pytest.fixture
def relay_config(base_url: str, kb: Path, seeded: Seeded) -> Config:
    return Config(
        openai_api_key=API_KEY,
        openai_base_url=base_url,
        kb_dir=kb,
        relay_secret=SECRET,
        rate_limit=None,
        upstream_timeout=10.0,
    )


@pytest.fixture
def make_relay(relay_config: Config) -> MakeRelay:
    """``with make_relay(**config_overrides) as http:`` an in-process relay, ready
    (``clock=``: what times its limits and tokens)."""

    @contextmanager
    def make(
        *, wait_ready: bool = True, clock: Clock = time.time, **overrides: Any
    ) -> Iterator[TestClient[Any]]:
        config = dataclasses.replace(relay_config, **overrides)
        with TestClient(create_app(config, clock=clock), timeout=30) as http:
            if wait_ready:
                wait_for(lambda: http.get("/readyz").status_code == 200, what="relay ready")
            yield http

    return make


@pytest.fixture
def relay(make_relay: MakeRelay) -> Iterator[TestClient[Any]]:
    with make_relay() as http:
        yield http


@pytest.fixture
def run_relay(base_url: str, kb: Path, seeded: Seeded, tmp_path: Path) -> RunRelay:
    """``with run_relay(*cli_args, **env) as server:`` ``python -m relay`` on a free port, ready."""

    @contextmanager
    def run(*extra_args: str, **env: str) -> Iterator[Server]:
        port = free_port()
        full_env = {
            "OPENAI_API_KEY": API_KEY,
            "OPENAI_BASE_URL": base_url,
            "KB_DIR": str(kb),
            "RELAY_SECRET": SECRET,
            "RATE_LIMIT": "off",
            "ALLOWED_ORIGINS": "",
            "REDIS_URL": "",
            **env,
        }
        log = tmp_path / f"relay-{port}.log"
        with relay_server(
            log,
            full_env,
            port=port,
            cwd=tmp_path,
            extra_args=extra_args,
            ready_only=True,
            timeout=30,
        ) as server:
            yield server

    return run
