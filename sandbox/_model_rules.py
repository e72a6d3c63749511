"""What a model refuses or limits in a Responses request, by its entry in the model table.

- A reasoning model refuses ``temperature`` and ``top_p`` other than 1, as upstream does
  ("Unsupported parameter: 'temperature' is not supported with this model.").
- A reasoning model spends tokens before it answers, by ``reasoning.effort``; they count
  toward ``max_output_tokens``. The amounts are the sandbox's own (deterministic, and
  small enough that tests stay fast), not OpenAI's.
- Every model has a context window (``context_tokens``): the instructions plus the items
  the model reads. Over it, ``truncation: "disabled"`` (the default) is a 400
  ``context_length_exceeded``; ``"auto"`` drops the oldest items of the conversation (or
  of the ``previous_response_id`` chain) until the rest fits.
"""

from __future__ import annotations

from typing import Any

from sandbox._errors import ApiError
from sandbox._items import item_text
from sandbox._model_table import Model
from sandbox._state import JSON
from sandbox._tokens import count_tokens

DEFAULT_EFFORT = "medium"
REASONING_TOKENS: dict[str, int] = {
    "none": 0,
    "minimal": 16,
    "low": 64,
    "medium": 256,
    "high": 1024,
    "xhigh": 2048,
    "max": 4096,
}
_SAMPLING = ("temperature", "top_p")


def check_sampling(model: Model, body: JSON) -> None:
    if not model.reasoning:
        return
    for name in _SAMPLING:
        value = body.get(name)
        if value is not None and value != 1:
            raise ApiError(
                400,
                f"Unsupported parameter: '{name}' is not supported with this model.",
                param=name,
                code="unsupported_parameter",
            )


def effort(model: Model, body: JSON) -> str | None:
    """The reasoning effort the request asks for (a reasoning model's default if none)."""
    asked: Any = (body.get("reasoning") or {}).get("effort")
    if asked is None and model.reasoning:
        return DEFAULT_EFFORT
    return str(asked) if asked is not None else None


def reasoning_tokens(model: Model, body: JSON) -> int:
    """The tokens the model reasons for before answering (0 for a model that does not)."""
    if not model.reasoning:
        return 0
    return REASONING_TOKENS.get(effort(model, body) or DEFAULT_EFFORT, 0)


def _tokens(items: list[JSON]) -> int:
    return sum(count_tokens(item_text(item)) for item in items)


def fit_context(model: Model, body: JSON, context: list[JSON], new: list[JSON]) -> list[JSON]:
    """``context`` as the model will read it, oldest items dropped when ``truncation`` is
    ``"auto"``; raises 400 ``context_length_exceeded`` when it cannot fit."""
    fixed = count_tokens(body.get("instructions") or "") + _tokens(new)
    kept = list(context)
    total = fixed + _tokens(kept)
    if body.get("truncation") == "auto":
        while kept and total > model.context_tokens:
            total -= count_tokens(item_text(kept.pop(0)))
    if total > model.context_tokens:
        raise ApiError(
            400,
            "Your input exceeds the context window of this model. Please adjust your input "
            "and try again.",
            param="input",
            code="context_length_exceeded",
        )
    return kept
