"""Conversation and response items: normalising input, showing, reading their text.

Items are kept in full (a ``file_search_call`` keeps its ``results``); ``present`` hides
what the caller did not ``include``, as the real API does.
"""

from __future__ import annotations

import copy
from typing import Any

from litestar import Request

from sandbox._errors import bad_request
from sandbox._state import JSON, new_id

INCLUDE_RESULTS = "file_search_call.results"
_INPUT_PART = {"user": "input_text", "system": "input_text", "developer": "input_text"}


def output_text_part(text: str, annotations: list[JSON] | None = None) -> JSON:
    return {"type": "output_text", "text": text, "annotations": annotations or [], "logprobs": []}


def to_items(value: Any) -> list[JSON]:
    """``input`` (a string or a list of input items) as stored items with ids and status."""
    if isinstance(value, str):
        value = [{"role": "user", "content": value}]
    if not isinstance(value, list):
        raise bad_request("Invalid type for 'input': expected a string or an array.", param="input")
    return [_to_item(item) for item in value]


def _to_item(item: Any) -> JSON:
    if not isinstance(item, dict):
        raise bad_request("Invalid input item: expected an object.", param="input")
    kind = item.get("type", "message")
    if kind != "message":
        stored = copy.deepcopy(item)
        if not stored.get("id"):
            stored["id"] = new_id(_prefix(kind))
        if kind in ("function_call", "function_call_output") and not stored.get("status"):
            stored["status"] = "completed"  # as listed back: FunctionToolCall(Output)Resource
        return stored
    role = item.get("role", "user")
    content = item.get("content", [])
    if isinstance(content, str):
        content = (
            [output_text_part(content)]
            if role == "assistant"
            else [{"type": _INPUT_PART.get(role, "input_text"), "text": content}]
        )
    else:
        content = [_part(part, role) for part in content]
    return {
        "id": item.get("id") or new_id("msg"),
        "type": "message",
        "role": role,
        "status": item.get("status", "completed"),
        "content": content,
    }


def _part(part: JSON, role: str) -> JSON:
    if role == "assistant" and part.get("type") == "output_text":
        return {"annotations": [], "logprobs": [], **part}
    return dict(part)


def _prefix(kind: str) -> str:
    return {"file_search_call": "fs", "function_call": "fc", "reasoning": "rs"}.get(kind, "item")


def item_text(item: JSON) -> str:
    if item.get("type") == "message":
        return "\n".join(str(part.get("text", "")) for part in item.get("content", []))
    if item.get("type") == "file_search_call":
        return "\n".join(item.get("queries") or [])
    if item.get("type") == "function_call":
        return str(item.get("arguments") or "")
    if item.get("type") == "function_call_output" and isinstance(item.get("output"), str):
        return str(item["output"])
    return ""


def last_user_text(items: list[JSON]) -> str:
    for item in reversed(items):
        if item.get("type") == "message" and item.get("role") == "user":
            return item_text(item)
    return ""


def includes(request: Request[Any, Any, Any]) -> set[str]:
    """``include`` / ``include[]`` query values (the SDK sends the bracketed form)."""
    params = request.query_params
    return {str(v) for key in ("include", "include[]") for v in params.getall(key, [])}


def present(item: JSON, include: set[str] | list[str] | None) -> JSON:
    shown = {key: value for key, value in item.items() if not key.startswith("_")}
    if shown.get("type") == "file_search_call" and INCLUDE_RESULTS not in (include or ()):
        shown["results"] = None
    return shown
