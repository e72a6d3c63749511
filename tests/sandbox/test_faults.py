"""Every fault kind, as the official SDK sees it."""

from __future__ import annotations

import time
from typing import Any

import openai
import pytest

from testing.sandbox import API_KEY, sandbox_call, set_faults
from testing.servers import Server
from tests._spec import assert_valid
from tests.sandbox.conftest import Upload


def _client(base_url: str, *, retries: int = 0, timeout: float = 10) -> openai.OpenAI:
    return openai.OpenAI(api_key=API_KEY, base_url=base_url, max_retries=retries, timeout=timeout)


def test_429_after_sdk_retries(sandbox: Server, base_url: str) -> None:
    set_faults(sandbox, rate=1.0, kinds=["429"], seed=1, retry_after_ms=100)
    with pytest.raises(openai.RateLimitError) as caught:
        _client(base_url, retries=1).files.list()
    error = caught.value
    assert error.status_code == 429
    assert error.code == "rate_limit_exceeded"
    assert_valid({"error": error.body}, "ErrorResponse")
    headers = error.response.headers
    assert headers["retry-after"] == "1"
    assert headers["retry-after-ms"] == "100"
    assert headers["x-ratelimit-remaining-requests"] == "0"
    for name in (
        "limit-requests",
        "reset-requests",
        "limit-tokens",
        "remaining-tokens",
        "reset-tokens",
    ):
        assert f"x-ratelimit-{name}" in headers
    stats = sandbox_call(sandbox, "GET", "/_sandbox/stats")
    assert stats["requests"]["GET /v1/files"] == 2  # the first try and one retry


@pytest.mark.parametrize("status", [500, 503])
def test_server_errors(sandbox: Server, base_url: str, status: int) -> None:
    set_faults(sandbox, rate=1.0, kinds=[str(status)], seed=1)
    with pytest.raises(openai.InternalServerError) as caught:
        _client(base_url).vector_stores.list()
    assert caught.value.status_code == status
    assert caught.value.type == "server_error"


@pytest.mark.parametrize("kind", ["reset", "drop"])
def test_reset_is_a_connection_error(sandbox: Server, base_url: str, kind: str) -> None:
    set_faults(sandbox, rate=1.0, kinds=[kind], seed=1)
    with pytest.raises(openai.APIConnectionError) as caught:
        _client(base_url).files.list()
    assert not isinstance(caught.value, openai.APITimeoutError)
    # the server survives it
    set_faults(sandbox)
    assert _client(base_url).files.list().data == []


def test_timeout_hangs_past_the_client_timeout(sandbox: Server, base_url: str) -> None:
    set_faults(sandbox, rate=1.0, kinds=["timeout"], seed=1)
    with pytest.raises(openai.APITimeoutError):
        _client(base_url, timeout=0.5).files.list()
    set_faults(sandbox)
    assert _client(base_url).files.list().data == []


def test_stuck_processing_never_completes(sandbox: Server, client: Any, upload: Upload) -> None:
    file = upload("a.md", "text")
    vs = client.vector_stores.create(name="s")
    set_faults(sandbox, rate=1.0, kinds=["stuck"], seed=1)
    client.vector_stores.files.create(vector_store_id=vs.id, file_id=file.id)
    time.sleep(0.5)  # "never" has no signal: ample time for a file this small to complete
    obj = client.vector_stores.files.retrieve(file.id, vector_store_id=vs.id)
    assert obj.status == "in_progress"
    assert client.vector_stores.retrieve(vs.id).status == "in_progress"


def test_faults_are_deterministic_for_a_seed(sandbox: Server, base_url: str) -> None:
    def outcomes() -> list[str]:
        set_faults(sandbox, rate=0.5, kinds=["429", "500"], seed=42)
        client = _client(base_url)
        seen = []
        for _ in range(16):
            try:
                client.files.list()
                seen.append("ok")
            except openai.APIStatusError as error:
                seen.append(str(error.status_code))
        return seen

    first = outcomes()
    assert first == outcomes()
    assert {"ok", "429", "500"} <= set(first)


def test_sdk_retries_get_through_a_flaky_sandbox(sandbox: Server, base_url: str) -> None:
    set_faults(sandbox, rate=0.3, kinds=["500", "503", "429"], seed=3, retry_after_ms=10)
    client = _client(base_url, retries=6)
    for n in range(5):
        client.files.create(file=(f"f{n}.md", b"x"), purpose="assistants")
    set_faults(sandbox)
    assert len(client.files.list().data) == 5


def test_latency_and_control_routes_are_exempt(sandbox: Server, base_url: str) -> None:
    config = set_faults(sandbox, rate=1.0, kinds=["500"], seed=1, latency_ms=300, token_delay_ms=5)
    assert config["latency_ms"] == 300
    assert config["token_delay_ms"] == 5
    started = time.monotonic()
    assert sandbox_call(sandbox, "GET", "/_sandbox/stats")["total"] == 0  # no fault, no delay
    assert time.monotonic() - started < 0.3
    started = time.monotonic()
    with pytest.raises(openai.InternalServerError):
        _client(base_url).files.list()
    assert time.monotonic() - started >= 0.3


def test_bad_fault_config_is_400(sandbox: Server) -> None:
    import urllib.error

    with pytest.raises(urllib.error.HTTPError) as caught:
        set_faults(sandbox, rate=2)
    assert caught.value.code == 400
    with pytest.raises(urllib.error.HTTPError):
        set_faults(sandbox, kinds=["explode"])
