"""Relay instances share one rate limit, token budget and stream count per client
through a real redis-server."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from relay._config import RateLimit
from testing.club import QUESTION
from testing.sandbox import sandbox_call
from testing.servers import Server, free_port
from testing.waiting import wait_for
from tests.relay.conftest import MakeRelay, RunRelay
from tests.relay.test_security import open_streams

pytestmark = pytest.mark.redis


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


def test_budgets_and_streams_are_shared_through_redis(
    make_relay: MakeRelay, run_relay: RunRelay, redis_url: str, sandbox: Server
) -> None:
    budget = RateLimit(40, "hour")
    with (
        make_relay(token_budget=budget, redis_url=redis_url) as a,
        make_relay(token_budget=budget, redis_url=redis_url) as b,
    ):
        assert a.post("/api/chat", json={"message": QUESTION}).status_code == 200
        # b has answered nothing: only the shared count of a's tokens refuses it.
        refused = wait_for(
            lambda: (r := b.post("/api/chat", json={"message": QUESTION})).status_code == 429 and r,
            what="the budget spent through a to refuse b",
        )
        assert refused.json()["error"]["code"] == "budget_exhausted"
        assert int(refused.headers["retry-after"]) >= 1
    sandbox_call(
        sandbox,
        "POST",
        "/_sandbox/faults",
        {"rate": 0.0, "kinds": [], "seed": 1, "latency_ms": 0, "token_delay_ms": 150},
    )
    shared = {"REDIS_URL": redis_url, "MAX_STREAMS_PER_CLIENT": "1"}
    with run_relay(**shared) as one, run_relay(**shared) as two:
        with open_streams(one, 1) as failures:
            assert not failures, failures
            refused = httpx.post(two.url + "/api/chat", json={"message": QUESTION}, timeout=30)
            assert refused.status_code == 429, refused.text
            assert refused.json()["error"]["code"] == "too_many_streams"
        sandbox_call(sandbox, "POST", "/_sandbox/faults", {"rate": 0.0, "kinds": []})
        wait_for(
            lambda: (
                httpx.post(
                    two.url + "/api/chat", json={"message": QUESTION}, timeout=30
                ).status_code
                == 200
            ),
            what="the stream's slot to come back through Redis",
        )


def test_redis_down_refuses_rather_than_lets_everyone_in(make_relay: MakeRelay) -> None:
    dead = f"redis://127.0.0.1:{free_port()}/0"
    with make_relay(rate_limit=RateLimit(3, "minute"), redis_url=dead) as http:
        response = http.post("/api/chat", json={"message": QUESTION})
        assert response.status_code == 503
        assert response.json()["error"]["code"] == "not_ready"
        assert "limits store" in response.json()["error"]["message"]
