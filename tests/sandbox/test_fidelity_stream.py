"""What newer models put in a response stream, through the official SDK: a refusal (its
own events and content part), a commentary-phase preamble, and a context window that the
file_search results overflow mid-stream (a nested ``error`` event after
``response.created``). Each with what a naive client makes of it."""

from __future__ import annotations

from typing import Any

import openai
import pytest

from testing.sandbox import only_model, set_faults
from testing.servers import Server
from tests._spec import assert_valid
from tests.sandbox._seed import MODEL, file_search, seed
from tests.sandbox._seed_sse import stream

QUESTION = "How much is a monthly membership?"


def test_a_refusal_streams_refusal_events_not_text(
    sandbox: Server, client: Any, base_url: str
) -> None:
    vector_store_id = seed(client)
    set_faults(sandbox, rate=1.0, kinds=["refusal"], routes=["POST /v1/responses"])
    http, events = stream(
        base_url, {"model": MODEL, "input": QUESTION, "tools": file_search(vector_store_id)}
    )
    assert http.status_code == 200
    for event in events:
        assert_valid(event, "ResponseStreamEvent")
    kinds = [e["type"] for e in events]
    assert "response.refusal.delta" in kinds
    assert "response.output_text.delta" not in kinds  # a client reading only these: silence
    refused = "".join(e["delta"] for e in events if e["type"] == "response.refusal.delta")
    (done,) = [e for e in events if e["type"] == "response.refusal.done"]
    assert done["refusal"] == refused == "I'm sorry, but I can't help with that request."
    final = events[-1]
    assert final["type"] == "response.completed"
    assert_valid(final["response"], "Response")
    message = final["response"]["output"][-1]
    assert message["content"] == [{"type": "refusal", "refusal": refused}]
    # the SDK's own view agrees: no output_text at all
    answer = client.responses.create(model=MODEL, input=QUESTION)
    assert answer.output_text == ""
    assert answer.output[-1].content[0].type == "refusal"


def test_commentary_comes_before_the_answer_in_its_own_phase(
    sandbox: Server, client: Any, base_url: str
) -> None:
    vector_store_id = seed(client)
    set_faults(sandbox, rate=1.0, kinds=["commentary"], routes=["POST /v1/responses"])
    http, events = stream(
        base_url, {"model": MODEL, "input": QUESTION, "tools": file_search(vector_store_id)}
    )
    assert http.status_code == 200
    for event in events:
        assert_valid(event, "ResponseStreamEvent")
    added = [e["item"] for e in events if e["type"] == "response.output_item.added"]
    assert [(i["type"], i.get("phase")) for i in added] == [
        ("message", "commentary"),
        ("file_search_call", None),
        ("message", "final_answer"),
    ]
    final = events[-1]["response"]
    assert_valid(final, "Response")
    # a client that shows every output_text shows the preamble as if it were the answer
    answer = client.responses.create(
        model=MODEL, input=QUESTION, tools=file_search(vector_store_id)
    )
    assert answer.output_text.startswith("Let me look that up in the documents first.")
    assert "5000" in answer.output[-1].content[0].text


def test_results_overflowing_the_context_fail_mid_stream(
    sandbox: Server, client: Any, base_url: str
) -> None:
    vector_store_id = seed(client)
    only_model(sandbox, "tiny", context_tokens=40)
    body = {"model": "tiny", "input": QUESTION, "tools": file_search(vector_store_id)}
    http, events = stream(base_url, body)
    assert http.status_code == 200  # the request itself fitted
    kinds = [e["type"] for e in events]
    assert kinds[0] == "response.created"
    error = next(e for e in events if e["type"] == "error")
    assert error["error"]["code"] == "context_length_exceeded"
    assert error["error"]["type"] == "invalid_request_error"
    assert kinds[-1] == "response.failed"
    assert events[-1]["response"]["error"]["code"] == "context_length_exceeded"
    # the SDK raises it from inside the stream, not from the create call
    created = client.responses.create(**body, stream=True)
    with pytest.raises(openai.APIError) as caught:
        for _ in created:
            pass
    assert "context window" in caught.value.message
    # without the tool's results the same request is answered
    assert client.responses.create(model="tiny", input=QUESTION).status == "completed"
