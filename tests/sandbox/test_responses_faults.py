"""Response streams that go wrong: a dropped connection, a client that hangs up, a vector
store that disappears mid-way (the production ``error`` event), and ``token_delay_ms``."""

from __future__ import annotations

import time
from typing import Any

import httpx
import openai
import pytest

from testing.sandbox import set_faults, stream_counts, wait_for_streams
from testing.servers import Server
from tests._spec import assert_valid
from tests.sandbox._seed import MODEL, file_search, seed
from tests.sandbox._seed_sse import HEADERS, parse

QUESTION = "What does a student pay, and when is the club open at weekends?"


def test_drop_cuts_the_stream_without_a_terminal_event(sandbox: Server, client: Any) -> None:
    vector_store_id = seed(client)
    set_faults(sandbox, rate=1.0, kinds=["drop"], seed=1)
    seen: list[str] = []
    with pytest.raises(openai.APIConnectionError):  # noqa: PT012 - the events come first
        for event in client.responses.create(
            model=MODEL, input=QUESTION, tools=file_search(vector_store_id), stream=True
        ):
            seen.append(event.type)
    assert seen[0] == "response.created"
    assert seen.count("response.output_text.delta") == 3
    assert not {"response.completed", "response.failed", "error"} & set(seen)
    wait_for_streams(sandbox, {"open": 0, "completed": 0, "aborted": 1})

    with (
        pytest.raises(openai.APIConnectionError),
        client.responses.stream(
            model=MODEL, input=QUESTION, tools=file_search(vector_store_id)
        ) as response_stream,
    ):
        response_stream.get_final_response()
    wait_for_streams(sandbox, {"open": 0, "completed": 0, "aborted": 2})


def test_drop_on_a_plain_create_is_a_connection_error(sandbox: Server, client: Any) -> None:
    set_faults(sandbox, rate=1.0, kinds=["drop"], seed=1)
    with pytest.raises(openai.APIConnectionError):
        client.responses.create(model=MODEL, input="hello")


def test_client_hanging_up_is_counted_as_aborted(sandbox: Server, client: Any) -> None:
    vector_store_id = seed(client)
    set_faults(sandbox, token_delay_ms=300)
    with client.responses.create(
        model=MODEL, input=QUESTION, tools=file_search(vector_store_id), stream=True
    ) as events:
        for event in events:
            if event.type == "response.output_text.delta":
                assert stream_counts(sandbox) == {"open": 1, "completed": 0, "aborted": 0}
                break
    wait_for_streams(sandbox, {"open": 0, "completed": 0, "aborted": 1})


@pytest.mark.anyio
async def test_async_client_hanging_up_is_counted_as_aborted(
    sandbox: Server, client: Any, aclient: Any
) -> None:
    set_faults(sandbox, token_delay_ms=300)
    async with aclient.responses.stream(model=MODEL, input="Who are you?") as response_stream:
        async for event in response_stream:
            if event.type == "response.output_text.delta":
                break
    wait_for_streams(sandbox, {"open": 0, "completed": 0, "aborted": 1})


def test_token_delay_spaces_the_deltas(sandbox: Server, client: Any) -> None:
    set_faults(sandbox, token_delay_ms=100)
    started = time.monotonic()
    events = list(client.responses.create(model=MODEL, input="Who are you?", stream=True))
    elapsed = time.monotonic() - started
    deltas = [e for e in events if e.type == "response.output_text.delta"]
    assert len(deltas) >= 4
    assert elapsed >= 0.1 * (len(deltas) - 1) * 0.8
    assert stream_counts(sandbox) == {"open": 0, "completed": 1, "aborted": 0}


def test_vector_store_gone_mid_stream_fails_like_production(
    sandbox: Server, base_url: str, client: Any
) -> None:
    vector_store_id = seed(client)
    set_faults(sandbox, token_delay_ms=1000)
    deleted = False
    body = {
        "model": MODEL,
        "input": QUESTION,
        "tools": file_search(vector_store_id),
        "stream": True,
    }
    raw = ""
    with (
        httpx.Client(timeout=10) as http,
        http.stream("POST", f"{base_url}/responses", json=body, headers=HEADERS) as response,
    ):
        for chunk in response.iter_text():
            raw += chunk
            if not deleted and "response.file_search_call.searching" in raw:
                client.vector_stores.delete(vector_store_id)
                deleted = True
    events = [data for _, data in parse(raw)]
    assert [e["type"] for e in events][-3:] == [
        "response.file_search_call.searching",
        "error",
        "response.failed",
    ]
    error, failed = events[-2], events[-1]
    # the live API nests the fields under "error" (the spec's flat ResponseErrorEvent differs)
    assert error == {
        "type": "error",
        "sequence_number": len(events) - 2,
        "error": {
            "type": "server_error",
            "code": "vector_store_timeout",
            "message": error["error"]["message"],
            "param": None,
        },
    }
    assert vector_store_id in error["error"]["message"]
    assert_valid(failed, "ResponseFailedEvent")
    assert failed["response"]["status"] == "failed"
    assert failed["response"]["error"]["code"] == "vector_store_timeout"
    assert client.responses.retrieve(failed["response"]["id"]).status == "failed"
    assert stream_counts(sandbox) == {"open": 0, "completed": 1, "aborted": 0}


def test_sdk_raises_api_error_on_the_production_error_event(sandbox: Server, client: Any) -> None:
    vector_store_id = seed(client)
    set_faults(sandbox, token_delay_ms=1000)
    seen: list[str] = []
    with pytest.raises(openai.APIError) as caught:  # noqa: PT012 - the events come first
        for event in client.responses.create(
            model=MODEL, input=QUESTION, tools=file_search(vector_store_id), stream=True
        ):
            seen.append(event.type)
            if event.type == "response.file_search_call.searching":
                client.vector_stores.delete(vector_store_id)
    assert seen[-1] == "response.file_search_call.searching"
    assert caught.value.code == "vector_store_timeout"


def test_stream_error_fault_sends_the_production_error(sandbox: Server, base_url: str) -> None:
    set_faults(sandbox, rate=1.0, kinds=["stream_error"], seed=1)
    body = {"model": MODEL, "input": "Who are you?", "stream": True}
    with httpx.Client(timeout=10) as http:
        raw = http.post(f"{base_url}/responses", json=body, headers=HEADERS).text
    events = [data for _, data in parse(raw)]
    types = [event["type"] for event in events]
    assert types.count("response.output_text.delta") == 3
    assert types[-2:] == ["error", "response.failed"]
    assert events[-2]["error"]["code"] == "server_error"
    assert_valid(events[-1], "ResponseFailedEvent")
    assert events[-1]["response"]["error"]["code"] == "server_error"
    assert [event["sequence_number"] for event in events] == list(range(len(events)))


def test_stream_error_fault_outside_a_stream_is_a_500(sandbox: Server, client: Any) -> None:
    set_faults(sandbox, rate=1.0, kinds=["stream_error"], seed=1)
    with pytest.raises(openai.InternalServerError):
        client.responses.create(model=MODEL, input="hello")
    with pytest.raises(openai.InternalServerError):
        client.models.list()


def test_an_abandoned_stream_leaves_a_cancelled_response(sandbox: Server, client: Any) -> None:
    set_faults(sandbox, token_delay_ms=300)
    with client.responses.create(model=MODEL, input="Who are you?", stream=True) as events:
        response_id = next(iter(events)).response.id
        for event in events:
            if event.type == "response.output_text.delta":
                break
    wait_for_streams(sandbox, {"open": 0, "completed": 0, "aborted": 1})
    set_faults(sandbox)
    assert client.responses.retrieve(response_id).status == "cancelled"
