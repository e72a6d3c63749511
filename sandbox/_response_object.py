"""The ``Response`` object: built from a create request, shown without private keys."""

from __future__ import annotations

import copy
from typing import Any

from sandbox._items import present
from sandbox._state import JSON, new_id, now

DEFAULT_MAX_NUM_RESULTS = 20


def tool_echo(tool: JSON) -> JSON:
    """A tool as the API echoes it: ``file_search`` gets its defaults filled in."""
    if tool.get("type") != "file_search":
        return copy.deepcopy(tool)
    ranking = {"ranker": "auto", "score_threshold": 0.0, **(tool.get("ranking_options") or {})}
    return {
        "type": "file_search",
        "vector_store_ids": list(tool.get("vector_store_ids", [])),
        "max_num_results": tool.get("max_num_results", DEFAULT_MAX_NUM_RESULTS),
        "ranking_options": ranking,
        "filters": tool.get("filters"),
    }


def new_response(body: JSON, *, conversation_id: str | None, effort: str | None = None) -> JSON:
    """An ``in_progress`` Response echoing the request (``_include`` is kept privately).

    ``usage`` is left out until the end: the live API sends ``null`` there, but the spec's
    ``ResponseUsage`` is not nullable, and the SDK reads a missing key as ``None`` too."""
    temperature = body.get("temperature")
    top_p = body.get("top_p")
    return {
        "id": new_id("resp"),
        "object": "response",
        "created_at": now(),
        "status": "in_progress",
        "background": False,
        "completed_at": None,
        "conversation": {"id": conversation_id} if conversation_id else None,
        "error": None,
        "incomplete_details": None,
        "instructions": body.get("instructions"),
        "max_output_tokens": body.get("max_output_tokens"),
        "max_tool_calls": body.get("max_tool_calls"),
        "model": body["model"],
        "output": [],
        "parallel_tool_calls": body.get("parallel_tool_calls", True) is not False,
        "previous_response_id": body.get("previous_response_id"),
        "prompt_cache_key": body.get("prompt_cache_key"),
        "reasoning": {"effort": effort, "summary": None},
        "safety_identifier": body.get("safety_identifier"),
        "service_tier": "default",
        "store": body.get("store", True) is not False,
        "temperature": 1.0 if temperature is None else temperature,
        "text": {"format": {"type": "text"}, "verbosity": "medium"},
        "tool_choice": body.get("tool_choice") or "auto",
        "tools": [tool_echo(tool) for tool in body.get("tools") or []],
        "top_logprobs": body.get("top_logprobs") or 0,
        "top_p": 1.0 if top_p is None else top_p,
        "truncation": body.get("truncation") or "disabled",
        "metadata": dict(body.get("metadata") or {}),
        "_include": list(body.get("include") or []),
    }


def usage(input_tokens: int, output_tokens: int, reasoning_tokens: int = 0) -> JSON:
    return {
        "input_tokens": input_tokens,
        "input_tokens_details": {"cached_tokens": 0, "cache_write_tokens": 0},
        "output_tokens": output_tokens,
        "output_tokens_details": {"reasoning_tokens": reasoning_tokens},
        "total_tokens": input_tokens + output_tokens,
    }


def show(response: JSON, include: set[str] | None = None) -> JSON:
    """The public view: no private keys; ``file_search_call.results`` only when included."""
    wanted = set(response.get("_include", [])) | (include or set())
    shown: dict[str, Any] = {k: v for k, v in response.items() if not k.startswith("_")}
    shown["output"] = [present(item, wanted) for item in response.get("output", [])]
    return copy.deepcopy(shown)
