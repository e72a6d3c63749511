"""The seam's own SSE decoding and event translation (no server)."""

from __future__ import annotations

from typing import Any

import pytest

from answer._errors import ConversationBusy, UpstreamError, UpstreamQuota
from answer._upstream import Cited, Completed, Searched, SseDecoder, TextDelta, _translate
from kbcore.wire import KB_PATH


def decode(*lines: str, split: int = 7) -> list[dict[str, Any]]:
    """Decoded as the lines arrive in pieces of ``split`` bytes (events cut anywhere)."""
    body = "\n".join(lines).encode()
    decoder = SseDecoder()
    decoded: list[dict[str, Any]] = []
    for at in range(0, len(body), split):
        decoded += decoder.feed(body[at : at + split])
    return decoded + decoder.finish()


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


def test_sse_line_ends() -> None:
    body = (
        b'data: {"type": "a", "t": "x\xe2\x80\xa8y"}\r\n\r\n'
        b'data: {"type": "b"}\r\rdata: {"type": "c"}\n\n'
    )
    for split in range(1, len(body) + 1):
        decoder = SseDecoder()
        decoded = [
            d for at in range(0, len(body), split) for d in decoder.feed(body[at : at + split])
        ]
        assert decoded + decoder.finish() == [
            {"type": "a", "t": "x\u2028y"},
            {"type": "b"},
            {"type": "c"},
        ], split


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
    assert type(raised.value) is error
    assert (
        raised.value.code
        == {ConversationBusy: "conversation_busy", UpstreamQuota: "upstream_quota"}[error]
    )
    if error is UpstreamQuota:  # waiting cannot help an exhausted quota: never "retry"
        assert "retry" not in str(raised.value).lower()
