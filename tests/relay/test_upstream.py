"""The seam's own SSE decoding and event translation (no server)."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Any

import pytest

from kbcore.wire import KB_PATH
from relay._errors import ConversationBusy, UpstreamError, UpstreamQuota
from relay._upstream import Cited, Completed, Searched, TextDelta, _sse_data, _translate


async def _lines(*lines: str) -> AsyncIterator[str]:
    for line in lines:
        yield line


def decode(*lines: str) -> list[dict[str, Any]]:
    async def collect() -> list[dict[str, Any]]:
        return [data async for data in _sse_data(_lines(*lines))]

    return asyncio.run(collect())


def test_sse_data() -> None:
    assert decode(
        ": keep-alive",
        "",
        "event: response.output_text.delta",
        'data: {"type": "a",',
        'data: "delta": "x"}',
        "",
        "id: 3",
        'data:{"type": "b"}',
        "",
        'data: {"type": "c"}',
    ) == [{"type": "a", "delta": "x"}, {"type": "b"}, {"type": "c"}]
    assert decode('data: {"type": "a"}', "", "data: [DONE]", "", 'data: {"type": "b"}', "") == [
        {"type": "a"}
    ]


def test_translate() -> None:
    assert _translate({"type": "response.output_text.delta", "delta": "hi"}) == [TextDelta("hi")]
    assert _translate({"type": "response.output_text.delta", "delta": ""}) == []
    citation = {"type": "file_citation", "file_id": "file-1", "filename": "a.md", "index": 3}
    assert _translate(
        {"type": "response.output_text.annotation.added", "annotation": citation}
    ) == [Cited("file-1", "a.md")]
    url = {"type": "url_citation", "url": "https://example.org"}
    assert _translate({"type": "response.output_text.annotation.added", "annotation": url}) == []
    item = {
        "type": "file_search_call",
        "results": [
            {
                "file_id": "file-1",
                "filename": "a.md",
                "score": 0.75,
                "attributes": {KB_PATH: "x/a.md"},
            },
            {"file_id": "file-2", "filename": "b.md", "attributes": None, "score": 1},
        ],
    }
    assert _translate({"type": "response.output_item.done", "item": item}) == [
        Searched("file-1", {KB_PATH: "x/a.md"}, 0.75),
        Searched("file-2", None, 1.0),
    ]
    done = {"id": "resp_1", "usage": {"input_tokens": 5, "output_tokens": 7}}
    assert _translate({"type": "response.completed", "response": done}) == [
        Completed("resp_1", 5, 7)
    ]
    assert _translate({"type": "response.incomplete", "response": {"id": "r", "usage": None}}) == [
        Completed("r", 0, 0, "max_output_tokens")
    ]
    filtered = {"id": "r", "usage": None, "incomplete_details": {"reason": "content_filter"}}
    assert _translate({"type": "response.incomplete", "response": filtered}) == [
        Completed("r", 0, 0, "content_filter")
    ]
    assert _translate({"type": "response.in_progress", "response": {}}) == []


@pytest.mark.parametrize(
    "event",
    [
        {"type": "error", "code": "server_error", "message": "boom", "param": None},
        {"type": "error", "error": {"type": "server_error", "code": "server_error"}},
        {"type": "response.failed", "response": {"error": {"code": "server_error"}}},
    ],
)
def test_upstream_error_events(event: dict[str, Any]) -> None:
    with pytest.raises(UpstreamError, match=r"failed upstream \(server_error\)"):
        _translate(event)


@pytest.mark.parametrize(
    ("event", "error"),
    [
        ({"type": "error", "code": "conversation_locked", "message": "x"}, ConversationBusy),
        ({"type": "error", "error": {"code": "insufficient_quota"}}, UpstreamQuota),
        (
            {"type": "response.failed", "response": {"error": {"code": "insufficient_quota"}}},
            UpstreamQuota,
        ),
    ],
)
def test_stream_errors_with_their_own_code(
    event: dict[str, Any], error: type[UpstreamError]
) -> None:
    with pytest.raises(error) as raised:
        _translate(event)
    assert raised.value.code in {"conversation_busy", "upstream_quota"}
    assert "retry" not in str(raised.value).lower() or raised.value.code == "conversation_busy"
