"""Response streams: the exact event order of STREAMING.md, every event valid against the
spec, citations placed right after the delta that reaches them, and the SDK helpers."""

from __future__ import annotations

import re
from typing import Any

import pytest

from testing.sandbox import sandbox_call
from testing.servers import Server
from tests._spec import assert_valid
from tests.sandbox._seed import MODEL, file_search, seed
from tests.sandbox._seed_sse import stream

SCHEMAS = {
    "response.created": "ResponseCreatedEvent",
    "response.in_progress": "ResponseInProgressEvent",
    "response.output_item.added": "ResponseOutputItemAddedEvent",
    "response.file_search_call.in_progress": "ResponseFileSearchCallInProgressEvent",
    "response.file_search_call.searching": "ResponseFileSearchCallSearchingEvent",
    "response.file_search_call.completed": "ResponseFileSearchCallCompletedEvent",
    "response.output_item.done": "ResponseOutputItemDoneEvent",
    "response.content_part.added": "ResponseContentPartAddedEvent",
    "response.output_text.delta": "ResponseTextDeltaEvent",
    "response.output_text.annotation.added": "ResponseOutputTextAnnotationAddedEvent",
    "response.output_text.done": "ResponseTextDoneEvent",
    "response.content_part.done": "ResponseContentPartDoneEvent",
    "response.completed": "ResponseCompletedEvent",
    "response.incomplete": "ResponseIncompleteEvent",
}

FILE_SEARCH_ORDER = (
    r"response\.created response\.in_progress "
    r"response\.output_item\.added response\.file_search_call\.in_progress "
    r"response\.file_search_call\.searching response\.file_search_call\.completed "
    r"response\.output_item\.done "
)
MESSAGE_ORDER = (
    r"response\.output_item\.added response\.content_part\.added "
    r"(response\.output_text\.delta (response\.output_text\.annotation\.added )*)+"
    r"response\.output_text\.done response\.content_part\.done response\.output_item\.done "
    r"response\.(completed|incomplete)"
)
QUESTION = "What does a student pay, and when is the club open at weekends?"


def _validate(events: list[dict[str, Any]]) -> None:
    for event in events:
        assert_valid(event, "ResponseStreamEvent")
        assert_valid(event, SCHEMAS[event["type"]])
    assert [event["sequence_number"] for event in events] == list(range(len(events)))


def _check_citations(events: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Each annotation follows the delta that reaches its index; returns the annotations."""
    streamed = ""
    annotations: list[dict[str, Any]] = []
    previous = ""
    for event in events:
        if event["type"] == "response.output_text.delta":
            assert event["logprobs"] == []
            streamed += event["delta"]
        elif event["type"] == "response.output_text.annotation.added":
            assert previous in ("response.output_text.delta", event["type"])
            assert event["annotation_index"] == len(annotations)
            assert event["annotation"]["index"] == len(streamed)
            annotations.append(event["annotation"])
        previous = event["type"]
    done = next(e for e in events if e["type"] == "response.output_text.done")
    assert done["text"] == streamed
    return annotations


def test_event_order_fields_and_citations(sandbox: Server, base_url: str, client: Any) -> None:
    vector_store_id = seed(client)
    http, events = stream(
        base_url, {"model": MODEL, "input": QUESTION, "tools": file_search(vector_store_id)}
    )
    assert http.status_code == 200
    assert http.headers["content-type"].startswith("text/event-stream")
    assert "[DONE]" not in http.text
    _validate(events)
    types = " ".join(event["type"] for event in events)
    assert re.fullmatch(FILE_SEARCH_ORDER + MESSAGE_ORDER, types), types
    assert types.endswith("response.completed")

    created, in_progress, completed = events[0], events[1], events[-1]
    response_id = created["response"]["id"]
    assert in_progress["response"]["id"] == completed["response"]["id"] == response_id
    assert created["response"]["status"] == "in_progress"
    assert created["response"]["output"] == []
    assert created["response"].get("usage") is None
    assert created["response"]["tools"][0]["ranking_options"] == {
        "ranker": "auto",
        "score_threshold": 0.0,
    }

    fs_added, fs_done = events[2]["item"], events[6]["item"]
    assert fs_added == {
        "id": fs_added["id"],
        "type": "file_search_call",
        "status": "in_progress",
        "queries": [],
        "results": None,
    }
    assert fs_done["status"] == "completed"
    assert fs_done["queries"] == [QUESTION]
    assert fs_done["results"] is None
    for event in events[3:6]:
        assert (event["output_index"], event["item_id"]) == (0, fs_added["id"])

    message_added = events[7]
    assert message_added["output_index"] == 1
    assert message_added["item"]["content"] == []
    message_id = message_added["item"]["id"]
    for event in events[8:-2]:
        assert (event["item_id"], event["output_index"], event["content_index"]) == (
            message_id,
            1,
            0,
        )
    assert events[8]["part"] == {
        "type": "output_text",
        "text": "",
        "annotations": [],
        "logprobs": [],
    }

    annotations = _check_citations(events)
    assert {a["filename"] for a in annotations} == {"prices.md", "schedule.md"}
    part_done = events[-3]["part"]
    assert part_done["annotations"] == annotations
    message_done = events[-2]["item"]
    assert message_done["status"] == "completed"
    assert message_done["content"] == [part_done]
    final = completed["response"]
    assert final["status"] == "completed"
    assert final["completed_at"] is not None
    assert final["output"] == [fs_done, message_done]
    usage = final["usage"]
    assert usage["total_tokens"] == usage["input_tokens"] + usage["output_tokens"]
    assert usage["input_tokens_details"]["cached_tokens"] == 0
    assert usage["output_tokens_details"]["reasoning_tokens"] == 0
    stats = sandbox_call(sandbox, "GET", "/_sandbox/stats")
    assert stats["streams"] == {"open": 0, "completed": 1, "aborted": 0}


def test_include_fills_the_results(base_url: str, client: Any) -> None:
    vector_store_id = seed(client)
    _, events = stream(
        base_url,
        {
            "model": MODEL,
            "input": "Какой адрес клуба?",
            "tools": file_search(vector_store_id),
            "include": ["file_search_call.results"],
        },
    )
    _validate(events)
    results = events[6]["item"]["results"]
    assert results[0]["filename"] == "contacts_ru.md"
    assert set(results[0]) == {"file_id", "filename", "score", "text", "attributes"}
    assert events[-1]["response"]["output"][0]["results"] == results


def test_without_tools_the_message_is_output_zero(base_url: str) -> None:
    _, events = stream(base_url, {"model": MODEL, "input": "Привет!"})
    _validate(events)
    types = " ".join(event["type"] for event in events)
    assert re.fullmatch(r"response\.created response\.in_progress " + MESSAGE_ORDER, types)
    assert events[2]["output_index"] == 0
    assert _check_citations(events) == []


def test_max_output_tokens_ends_incomplete(base_url: str, client: Any) -> None:
    vector_store_id = seed(client)
    _, events = stream(
        base_url,
        {
            "model": MODEL,
            "input": QUESTION,
            "tools": file_search(vector_store_id),
            "max_output_tokens": 16,
        },
    )
    _validate(events)
    assert events[-1]["type"] == "response.incomplete"
    assert events[-1]["response"]["incomplete_details"] == {"reason": "max_output_tokens"}
    assert events[-2]["item"]["status"] == "incomplete"


def test_sdk_stream_helper_returns_text_and_citations(client: Any) -> None:
    vector_store_id = seed(client)
    seen: list[str] = []
    with client.responses.stream(
        model=MODEL, input=QUESTION, tools=file_search(vector_store_id)
    ) as response_stream:
        for event in response_stream:
            seen.append(event.type)
        final = response_stream.get_final_response()
    assert seen[0] == "response.created"
    assert seen[-1] == "response.completed"
    text = final.output_text
    citations = final.output[1].content[0].annotations
    assert [c.type for c in citations] == ["file_citation", "file_citation"]
    for citation in citations:
        assert citation.file_id.startswith("file-")
        assert text[: citation.index].endswith(".")
    plain = client.responses.create(model=MODEL, input=QUESTION, tools=file_search(vector_store_id))
    assert plain.output_text == text


def test_sdk_create_stream_yields_typed_events(client: Any) -> None:
    vector_store_id = seed(client)
    events = list(
        client.responses.create(
            model=MODEL, input=QUESTION, tools=file_search(vector_store_id), stream=True
        )
    )
    assert type(events[0]).__name__ == "ResponseCreatedEvent"
    assert type(events[-1]).__name__ == "ResponseCompletedEvent"
    deltas = "".join(e.delta for e in events if e.type == "response.output_text.delta")
    assert deltas == events[-1].response.output_text


@pytest.mark.anyio
async def test_async_stream_helper(aclient: Any, client: Any) -> None:
    vector_store_id = seed(client)
    async with aclient.responses.stream(
        model=MODEL, input="Сколько стоит полотенце?", tools=file_search(vector_store_id)
    ) as response_stream:
        types = [event.type async for event in response_stream]
        final = await response_stream.get_final_response()
    assert types[-1] == "response.completed"
    assert "бесплатно" in final.output_text
    [citation] = final.output[1].content[0].annotations
    assert citation.filename == "rules_ru.md"
    assert citation.index == len(final.output_text)


def test_conversation_items_are_appended_only_after_completion(
    sandbox: Server, client: Any
) -> None:
    sandbox_call(sandbox, "POST", "/_sandbox/faults", {"token_delay_ms": 150})
    conversation = client.conversations.create(
        items=[{"type": "message", "role": "user", "content": "Здравствуйте"}]
    )
    during: list[int] = []
    with client.responses.stream(
        model=MODEL, input="Кто вы?", conversation=conversation.id
    ) as response_stream:
        for event in response_stream:
            if event.type == "response.output_text.delta" and not during:
                # the next delta is at least 150 ms away, the end further still
                during.append(len(client.conversations.items.list(conversation.id).data))
        final = response_stream.get_final_response()
    assert final.conversation.id == conversation.id
    assert during == [1]
    items = client.conversations.items.list(conversation.id, order="asc").data
    assert [item.id for item in items[1:]] == [
        client.responses.input_items.list(final.id).data[0].id,
        final.output[0].id,
    ]
