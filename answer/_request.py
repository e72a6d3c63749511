"""The Responses request the relay sends for an assistant spec, built once per spec.

Everything but the visitor's message and the conversation is the same for every
answer of one spec and store, so the body is encoded once (``answer_body``) and each
request only splices in ``input`` and ``conversation``: the SDK's own parameter
transformation, which walks the typed parameters on every call, sat directly on the
time to the first delta (bench/RESULTS.md). ``kbsync check`` and ``kbsync eval
--answers`` send the same body through ``relay.ask``.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from typing import Any

import msgspec

from kbcore.kb import AssistantSpec

encode_json = msgspec.json.Encoder().encode

SEARCH_RESULTS = "file_search_call.results"


def spec_params(spec: AssistantSpec) -> dict[str, Any]:
    """The spec's own Responses parameters (no tools): what ``relay.ask.probe`` checks."""
    params: dict[str, Any] = {
        "model": spec.model,
        "instructions": spec.instructions,
        # A long conversation drops its oldest items instead of failing with a 400.
        "truncation": "auto",
    }
    if spec.temperature is not None:
        params["temperature"] = spec.temperature
    if spec.max_output_tokens is not None:
        params["max_output_tokens"] = spec.max_output_tokens
    if spec.reasoning_effort is not None:
        params["reasoning"] = {"effort": spec.reasoning_effort}
    return params


@dataclass(frozen=True)
class AnswerBody:
    """A streamed answer's JSON body with ``input`` and ``conversation`` left to fill."""

    _head: bytes  # the encoded constant object without its closing brace

    def encode(self, message: str, conversation_id: str | None) -> bytes:
        parts = [self._head, b',"input":', encode_json(message)]
        if conversation_id is not None:
            parts += [b',"conversation":', encode_json(conversation_id)]
        parts.append(b"}")
        return b"".join(parts)


@functools.lru_cache(maxsize=16)
def answer_body(spec: AssistantSpec, vector_store_id: str) -> AnswerBody:
    """The streamed file_search request for ``spec`` on ``vector_store_id`` (cached)."""
    tool: dict[str, Any] = {"type": "file_search", "vector_store_ids": [vector_store_id]}
    if spec.max_num_results is not None:
        tool["max_num_results"] = spec.max_num_results
    body = {
        **spec_params(spec),
        "tools": [tool],
        "include": [SEARCH_RESULTS],
        "stream": True,
    }
    return AnswerBody(encode_json(body)[:-1])
