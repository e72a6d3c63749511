"""The Responses request for an assistant spec, built once per spec, store and variant.

Everything but the input and the conversation is the same for every answer of one spec,
store and variant, so the body is encoded once (``answer_body``) and each request only
splices in ``input`` and ``conversation``: the SDK's own parameter transformation, which
walks the typed parameters on every call, sat directly on the time to the first delta
(bench/RESULTS.md). ``kbsync check`` and ``kbsync eval --answers`` send the same body
through ``answer.ask``.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import msgspec

from kbcore.kb import AssistantSpec

encode_json = msgspec.json.Encoder().encode

SEARCH_RESULTS = "file_search_call.results"
OFFER_CONTACT_FORM = "offer_contact_form"
REQUEST_HANDOFF = "request_handoff"

_TEXT = {"type": ["string", "null"]}

# Strict function tools: every property required, nulls for "not said", nothing extra.
CONTACT_FORM_TOOL: dict[str, Any] = {
    "type": "function",
    "name": OFFER_CONTACT_FORM,
    "description": (
        "Show the visitor a form to leave their contact so that the business calls or "
        "writes back. Call it when the visitor wants a call back, to sign up or book, "
        "or gives a phone number or e-mail. Prefill what the visitor already said."
    ),
    "strict": True,
    "parameters": {
        "type": "object",
        "properties": {
            "prefill": {
                "type": "object",
                "properties": {"name": _TEXT, "phone": _TEXT, "email": _TEXT, "comment": _TEXT},
                "required": ["name", "phone", "email", "comment"],
                "additionalProperties": False,
            }
        },
        "required": ["prefill"],
        "additionalProperties": False,
    },
}

HANDOFF_TOOL: dict[str, Any] = {
    "type": "function",
    "name": REQUEST_HANDOFF,
    "description": (
        "Hand the conversation to a person. Call it when the visitor asks for a human, "
        "an operator or a manager, or when you cannot help."
    ),
    "strict": True,
    "parameters": {
        "type": "object",
        "properties": {"reason": {"type": "string"}},
        "required": ["reason"],
        "additionalProperties": False,
    },
}


def spec_params(spec: AssistantSpec, variant: str | None = None) -> dict[str, Any]:
    """The spec's own Responses parameters (no tools): what ``answer.ask.probe`` checks."""
    params: dict[str, Any] = {
        "model": spec.model,
        "instructions": spec.instructions_for(variant),
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


def function_tools(spec: AssistantSpec) -> list[dict[str, Any]]:
    """The function tools this spec offers: a contact form with ``leads``, a person with
    ``handoff``."""
    tools = []
    if spec.leads is not None:
        tools.append(CONTACT_FORM_TOOL)
    if spec.handoff is not None:
        tools.append(HANDOFF_TOOL)
    return tools


@dataclass(frozen=True)
class ToolOutput:
    """The answer to a function call the model made in the previous turn."""

    call_id: str
    output: str  # e.g. '{"status": "saved", "lead": "ld_…"}'

    def item(self) -> dict[str, str]:
        return {"type": "function_call_output", "call_id": self.call_id, "output": self.output}


def input_items(message: str, outputs: Sequence[ToolOutput] = ()) -> str | list[dict[str, Any]]:
    """The turn's ``input``: the visitor's text, after the outputs of any pending calls
    (a conversation with an unanswered call refuses new input)."""
    if not outputs:
        return message
    return [
        *(output.item() for output in outputs),
        {"type": "message", "role": "user", "content": message},
    ]


@dataclass(frozen=True)
class AnswerBody:
    """A streamed answer's JSON body with ``input`` and ``conversation`` left to fill."""

    _head: bytes  # the encoded constant object without its closing brace

    def encode(self, input: str | list[dict[str, Any]], conversation_id: str | None) -> bytes:
        parts = [self._head, b',"input":', encode_json(input)]
        if conversation_id is not None:
            parts += [b',"conversation":', encode_json(conversation_id)]
        parts.append(b"}")
        return b"".join(parts)


_CACHE: OrderedDict[tuple[object, ...], AnswerBody] = OrderedDict()
_CACHE_LOCK = threading.Lock()
_CACHE_SIZE = 32


def answer_body(
    spec: AssistantSpec, vector_store_id: str, variant: str | None = None
) -> AnswerBody:
    """The streamed file_search request for ``spec`` on ``vector_store_id`` (cached)."""
    # The digest leaves out leads and hand-off (they change nothing at OpenAI's store).
    key = (spec.digest, vector_store_id, variant, spec.leads is None, spec.handoff is None)
    with _CACHE_LOCK:
        if (known := _CACHE.get(key)) is not None:
            _CACHE.move_to_end(key)
            return known
    tool: dict[str, Any] = {"type": "file_search", "vector_store_ids": [vector_store_id]}
    if spec.max_num_results is not None:
        tool["max_num_results"] = spec.max_num_results
    body = {
        **spec_params(spec, variant),
        "tools": [tool, *function_tools(spec)],
        "include": [SEARCH_RESULTS],
        "stream": True,
    }
    built = AnswerBody(encode_json(body)[:-1])
    with _CACHE_LOCK:
        _CACHE[key] = built
        while len(_CACHE) > _CACHE_SIZE:
            _CACHE.popitem(last=False)
    return built
