"""The live API's bites around writes, through the official SDK: a reply lost after the
server acted (``drop_reply``), per-route limits answered with a bare 429, expired stores.
Each with what a naive client, the SDK on its own, runs into."""

from __future__ import annotations

import random
from typing import Any

import openai
import pytest

from testing.sandbox import sandbox_call, set_faults
from testing.servers import Server
from tests._spec import assert_valid
from tests.sandbox._seed import file_search, seed
from tests.sandbox.conftest import Upload

CREATE = "POST /v1/vector_stores"
DAY = 86400


def _first_only_seed(rate: float) -> int:
    """A seed whose first draw is under ``rate`` and whose next few are not."""
    for candidate in range(1000):
        rng = random.Random(candidate)
        draws = [rng.random() for _ in range(5)]
        if draws[0] < rate and all(d >= rate for d in draws[1:]):
            return candidate
    raise AssertionError("no such seed")


def test_a_lost_reply_makes_a_naive_retry_create_twice(sandbox: Server, base_url: str) -> None:
    seed_ = _first_only_seed(0.5)
    set_faults(sandbox, rate=0.5, kinds=["drop_reply"], routes=[CREATE], seed=seed_)
    naive = openai.OpenAI(api_key="sk-test", base_url=base_url, max_retries=2, timeout=10)
    made = naive.vector_stores.create(name="kb:demo", metadata={"kb_name": "demo"})
    stores = [s for s in naive.vector_stores.list() if (s.metadata or {}).get("kb_name")]
    # the first attempt was carried out, its reply cut; the SDK's retry made another
    assert len(stores) == 2
    assert made.id in {s.id for s in stores}


def test_faults_fall_only_on_the_named_routes(sandbox: Server, client: Any) -> None:
    applied = set_faults(sandbox, rate=1.0, kinds=["500"], routes=[CREATE])
    assert applied["routes"] == [CREATE]
    assert client.models.retrieve("gpt-5.4-mini").id == "gpt-5.4-mini"
    with pytest.raises(openai.InternalServerError):
        client.vector_stores.create(name="x")


def test_uploads_over_the_route_limit_are_a_bare_429(
    sandbox: Server, client: Any, upload: Upload
) -> None:
    applied = set_faults(sandbox, route_limits={"uploads": 3, "window_ms": 60_000})
    assert applied["route_limits"] == {"uploads": 3, "attaches": 300, "window_ms": 60_000}
    for n in range(3):
        upload(f"d{n}.md", f"document {n}")
    with pytest.raises(openai.RateLimitError) as caught:
        upload("d3.md", "one too many")
    headers = caught.value.response.headers
    assert not {h for h in headers if h.startswith(("retry-after", "x-ratelimit"))}
    assert caught.value.code == "rate_limit_exceeded"
    assert_valid({"error": caught.value.body}, "ErrorResponse")
    assert "Limit 3" in caught.value.message
    # a naive client, the SDK with its own retries (at most 8 s apart), gives up inside a
    # 60-second window
    naive = openai.OpenAI(api_key=client.api_key, base_url=str(client.base_url), max_retries=1)
    with pytest.raises(openai.RateLimitError):
        naive.files.create(file=("d4.md", b"again"), purpose="assistants")
    # other routes are not limited, and the limit is per key
    assert client.vector_stores.create(name="free").id
    other_key = openai.OpenAI(api_key="sk-other", base_url=str(client.base_url), max_retries=0)
    assert other_key.files.create(file=("d5.md", b"mine"), purpose="assistants").id


def test_attaches_are_limited_per_store(sandbox: Server, client: Any, upload: Upload) -> None:
    set_faults(sandbox, route_limits={"attaches": 2, "window_ms": 60_000})
    files = [upload(f"d{n}.md", f"document {n}").id for n in range(3)]
    first, second = (client.vector_stores.create(name=n) for n in ("a", "b"))
    client.vector_stores.files.create(first.id, file_id=files[0])
    client.vector_stores.file_batches.create(first.id, file_ids=[files[1]])
    with pytest.raises(openai.RateLimitError):
        client.vector_stores.files.create(first.id, file_id=files[2])
    assert client.vector_stores.files.create(second.id, file_id=files[2]).id == files[2]
    assert sandbox_call(sandbox, "GET", "/_sandbox/faults")["route_limits"]["attaches"] == 2


def test_route_limits_true_are_the_live_figures(sandbox: Server) -> None:
    applied = set_faults(sandbox, route_limits=True)
    assert applied["route_limits"] == {"uploads": 1000, "attaches": 300, "window_ms": 60_000}


def test_an_idle_store_expires_and_refuses_searches_and_answers(
    sandbox: Server, client: Any
) -> None:
    vector_store_id = seed(client)
    client.vector_stores.update(
        vector_store_id, expires_after={"anchor": "last_active_at", "days": 7}
    )
    set_faults(sandbox, idle_stores_s=6 * DAY)  # idle for 6 days
    assert client.vector_stores.retrieve(vector_store_id).status == "completed"
    set_faults(sandbox, idle_stores_s=2 * DAY)  # 8 days
    fresh = client.vector_stores.create(
        name="fresh", expires_after={"anchor": "last_active_at", "days": 1}
    )
    assert client.vector_stores.retrieve(fresh.id).status == "completed"
    raw = client.vector_stores.with_raw_response.retrieve(vector_store_id).http_response.json()
    assert_valid(raw, "VectorStoreObject")
    assert raw["status"] == "expired"
    with pytest.raises(openai.BadRequestError) as caught:
        client.vector_stores.search(vector_store_id, query="membership")
    assert caught.value.code == "vector_store_expired"
    with pytest.raises(openai.BadRequestError) as answered:
        client.responses.create(
            model="gpt-5.4-mini", input="membership?", tools=file_search(vector_store_id)
        )
    assert answered.value.param == "tools[0].vector_store_ids"
    assert_valid({"error": answered.value.body}, "ErrorResponse")
    # a refused search does not make it active again
    assert client.vector_stores.retrieve(vector_store_id).status == "expired"
