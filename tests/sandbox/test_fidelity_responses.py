"""Where the live API bites on the Responses side (docs/development.md, "Sandbox"):
a locked conversation, the model table, reasoning models and the context window, each
through the official SDK with its bodies checked against the spec."""

from __future__ import annotations

import urllib.error
from typing import Any

import openai
import pytest

from testing.sandbox import sandbox_call, set_faults, wait_for_streams
from testing.servers import Server
from tests._spec import assert_valid
from tests.sandbox._seed import MODEL, file_search, seed
from tests.sandbox._seed_sse import stream
from tests.sandbox.test_responses_stream import SCHEMAS

REASONER = "gpt-test-reasoner"
TABLE = [
    {"id": MODEL, "reasoning": False, "context_tokens": 16000},
    {"id": REASONER, "reasoning": True, "context_tokens": 16000},
    {"id": "gpt-test-small", "reasoning": False, "context_tokens": 60},
]


def _models(sandbox: Server, models: list[dict[str, Any]]) -> Any:
    return sandbox_call(sandbox, "POST", "/_sandbox/models", {"models": models})


def _raw(error: openai.APIStatusError) -> dict[str, Any]:
    body = {"error": error.body}
    assert_valid(body, "ErrorResponse")
    return body


@pytest.mark.anyio
async def test_conversation_locked_while_a_response_runs(
    sandbox: Server, aclosing_client: Any
) -> None:
    set_faults(sandbox, token_delay_ms=150)
    conversation = await aclosing_client.conversations.create()
    first = await aclosing_client.responses.create(
        model=MODEL, input="hello", conversation=conversation.id, stream=True
    )
    events = aiter(first)
    assert (await anext(events)).type == "response.created"
    with pytest.raises(openai.BadRequestError) as caught:
        await aclosing_client.responses.create(
            model=MODEL, input="again", conversation=conversation.id
        )
    error = caught.value
    assert (error.code, error.param) == ("conversation_locked", "conversation")
    assert "Another process is currently operating on this conversation" in error.message
    _raw(error)
    # another conversation is not affected
    other = await aclosing_client.conversations.create()
    set_faults(sandbox)
    assert (
        await aclosing_client.responses.create(model=MODEL, input="hi", conversation=other.id)
    ).id
    kinds = [event.type async for event in events]
    assert kinds[-1] == "response.completed"
    # once the first is done, the conversation takes the next response
    third = await aclosing_client.responses.create(
        model=MODEL, input="again", conversation=conversation.id
    )
    assert third.status == "completed"


@pytest.mark.anyio
async def test_conversation_unlocked_when_the_client_goes_away(
    sandbox: Server, aclosing_client: Any
) -> None:
    set_faults(sandbox, token_delay_ms=300)
    conversation = await aclosing_client.conversations.create()
    first = await aclosing_client.responses.create(
        model=MODEL, input="hello", conversation=conversation.id, stream=True
    )
    assert (await anext(aiter(first))).type == "response.created"
    await first.close()
    wait_for_streams(sandbox, {"open": 0, "completed": 0, "aborted": 1})  # the lock is gone
    set_faults(sandbox)
    again = await aclosing_client.responses.create(
        model=MODEL, input="hi", conversation=conversation.id
    )
    assert again.status == "completed"


def test_model_table_replaced_listed_and_reset(sandbox: Server, client: Any) -> None:
    default = [model.id for model in client.models.list()]
    assert MODEL in default
    shown = _models(sandbox, TABLE)
    # an entry's unnamed keys take the defaults of its kind (a reasoning model: gpt-5's)
    assert shown == {"models": [{**_DEFAULTS[entry["reasoning"]], **entry} for entry in TABLE]}
    raw = client.models.with_raw_response.list().http_response.json()
    assert_valid(raw, "ListModelsResponse")
    assert [model["id"] for model in raw["data"]] == [entry["id"] for entry in TABLE]
    assert_valid(client.models.with_raw_response.retrieve(REASONER).http_response.json(), "Model")
    with pytest.raises(openai.NotFoundError) as caught:
        client.models.retrieve("gpt-4o")
    assert caught.value.code == "model_not_found"
    with pytest.raises(openai.NotFoundError) as caught:
        client.responses.create(model="gpt-4o", input="hi")
    assert (caught.value.code, caught.value.param) == ("model_not_found", "model")
    _raw(caught.value)
    with pytest.raises(urllib.error.HTTPError) as refused:
        _models(sandbox, [{"id": "x", "reasoning": "yes"}])
    assert refused.value.code == 400
    sandbox_call(sandbox, "POST", "/_sandbox/reset", {})
    assert [model.id for model in client.models.list()] == default


_DEFAULTS = {
    True: {"efforts": ["minimal", "low", "medium", "high"], "sampling": "never"},
    False: {"efforts": [], "sampling": "always"},
}


def test_reasoning_model_refuses_temperature_and_top_p(sandbox: Server, client: Any) -> None:
    _models(sandbox, TABLE)
    for name, value in (("temperature", 0.2), ("top_p", 0.5)):
        with pytest.raises(openai.BadRequestError) as caught:
            client.responses.create(model=REASONER, input="hi", **{name: value})
        error = caught.value
        assert (error.code, error.param) == ("unsupported_parameter", name)
        assert (
            error.body["message"]
            == f"Unsupported parameter: '{name}' is not supported with this model."
        )
        _raw(error)
    assert client.responses.create(model=REASONER, input="hi", temperature=1).status == "completed"
    assert client.responses.create(model=MODEL, input="hi", temperature=0.2).status == "completed"


def test_reasoning_tokens_count_toward_max_output_tokens(
    sandbox: Server, base_url: str, client: Any
) -> None:
    vector_store_id = seed(client)
    _models(sandbox, TABLE)
    question = "How much is a monthly membership?"
    ample = client.responses.create(
        model=REASONER,
        input=question,
        tools=file_search(vector_store_id),
        reasoning={"effort": "low"},
        max_output_tokens=2000,
    )
    assert ample.status == "completed"
    assert ample.reasoning.effort == "low"
    assert [item.type for item in ample.output] == ["reasoning", "file_search_call", "message"]
    details = ample.usage.output_tokens_details
    assert details.reasoning_tokens == 64
    assert ample.usage.output_tokens > details.reasoning_tokens
    assert ample.output_text
    raw = client.responses.with_raw_response.retrieve(ample.id).http_response.json()
    assert_valid(raw, "Response")

    # a small budget: the reasoning spends it all, the answer is empty
    http, events = stream(
        base_url,
        {
            "model": REASONER,
            "input": question,
            "tools": file_search(vector_store_id),
            "max_output_tokens": 16,
        },
    )
    assert http.status_code == 200
    for event in events:
        assert_valid(event, "ResponseStreamEvent")
        assert_valid(event, SCHEMAS[event["type"]])
    assert [event["type"] for event in events] == [
        "response.created",
        "response.in_progress",
        "response.output_item.added",
        "response.output_item.done",
        "response.incomplete",
    ]
    final = events[-1]["response"]
    assert final["status"] == "incomplete"
    assert final["incomplete_details"] == {"reason": "max_output_tokens"}
    assert final["usage"]["output_tokens_details"]["reasoning_tokens"] == 16
    assert final["usage"]["output_tokens"] == 16
    # the same through the SDK, typed
    with client.responses.create(
        model=REASONER, input=question, max_output_tokens=16, stream=True
    ) as sdk_stream:
        typed = list(sdk_stream)
    assert typed[-1].type == "response.incomplete"
    assert typed[-1].response.incomplete_details.reason == "max_output_tokens"
    assert typed[-1].response.output_text == ""


def test_context_window_refuses_or_truncates(sandbox: Server, client: Any) -> None:
    _models(sandbox, TABLE)
    small = "gpt-test-small"
    items = [{"role": "user", "content": f"turn {n} " + "word " * 18} for n in range(4)]
    conversation = client.conversations.create(items=items)
    with pytest.raises(openai.BadRequestError) as caught:
        client.responses.create(model=small, input="and now?", conversation=conversation.id)
    assert (caught.value.code, caught.value.param) == ("context_length_exceeded", "input")
    _raw(caught.value)
    with pytest.raises(openai.BadRequestError):
        client.responses.create(
            model=small, input="and now?", conversation=conversation.id, truncation="disabled"
        )
    kept = client.responses.create(
        model=small, input="and now?", conversation=conversation.id, truncation="auto"
    )
    assert kept.status == "completed"
    assert kept.truncation == "auto"
    assert kept.usage.input_tokens <= 60
    # the dropped items stay in the conversation: truncation only limits what is read
    assert len(client.conversations.items.list(conversation.id, limit=100).data) == 6
    # the default window is 16,000 tokens
    with pytest.raises(openai.BadRequestError) as caught:
        client.responses.create(model=MODEL, input="word " * 16_001)
    assert caught.value.code == "context_length_exceeded"
    assert client.responses.create(model=MODEL, input="word " * 15_000).status == "completed"
