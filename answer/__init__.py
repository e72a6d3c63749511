"""The answer engine: one turn of a conversation through the Responses API, channel-free.

A channel (the web relay, the Telegram bot) gives it a ``Turn`` and renders the events it
yields; it never builds a Responses request itself.

>>> engine = Engine(Upstream(ClientSettings.from_env(), timeout=60))
>>> turn = await engine.start(Turn(spec, "vs_123", None, "Do you have a pool?"))
>>> async for event in turn.events(): ...   # TextDelta, Searched, Cited, ToolCalled, Completed
"""

from __future__ import annotations

from answer._engine import Engine, OpenTurn, Turn
from answer._errors import (
    AnswerError,
    ConversationBusy,
    ConversationGone,
    ParameterRefused,
    UpstreamError,
    UpstreamQuota,
    UpstreamRateLimited,
    UpstreamRejected,
    UpstreamTimeout,
    UpstreamUnavailable,
    VectorStoreGone,
)
from answer._events import AnswerEvent, Cited, Completed, Searched, TextDelta, ToolCalled
from answer._request import (
    OFFER_CONTACT_FORM,
    REQUEST_HANDOFF,
    ToolOutput,
    function_tools,
    spec_params,
)
from answer._sources import AnswerSources, DocumentCache, DocumentInfo, Source
from answer._upstream import Answer, SseDecoder, Upstream

__all__ = [
    "OFFER_CONTACT_FORM",
    "REQUEST_HANDOFF",
    "Answer",
    "AnswerError",
    "AnswerEvent",
    "AnswerSources",
    "Cited",
    "Completed",
    "ConversationBusy",
    "ConversationGone",
    "DocumentCache",
    "DocumentInfo",
    "Engine",
    "OpenTurn",
    "ParameterRefused",
    "Searched",
    "Source",
    "SseDecoder",
    "TextDelta",
    "ToolCalled",
    "ToolOutput",
    "Turn",
    "Upstream",
    "UpstreamError",
    "UpstreamQuota",
    "UpstreamRateLimited",
    "UpstreamRejected",
    "UpstreamTimeout",
    "UpstreamUnavailable",
    "VectorStoreGone",
    "function_tools",
    "spec_params",
]
