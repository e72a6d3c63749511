"""What a model refuses or limits in a Responses request, by its entry in the model table.

- (``max_output_tokens`` below 16 is the spec's minimum, refused by ``_schema``.)
- ``reasoning.effort``: a model that does not reason refuses it ("Unsupported parameter:
  'reasoning.effort' is not supported with this model.", ``unsupported_parameter``); a
  reasoning model refuses a value it does not take ("Unsupported value: 'minimal' is not
  supported with the 'gpt-5.1' model. Supported values are: ...", ``unsupported_value``).
- ``temperature``/``top_p`` other than 1, by the entry's ``sampling``: ``always``
  accepted; ``effort_none`` only while the effort (asked, or the model's default) is
  ``none`` (gpt-5.1 and later); ``never`` (gpt-5 and its mini and nano). Refused as
  upstream does: "Unsupported parameter: 'temperature' is not supported with this model."
- A reasoning model spends tokens before it answers, by its effort (``none`` when it
  takes it, else ``medium``, when the request names none); they count toward
  ``max_output_tokens``. The amounts are the sandbox's own (deterministic, and small
  enough that tests stay fast), not OpenAI's.
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

REASONING_TOKENS: dict[str, int] = {
    "none": 0,
    "minimal": 16,
    "low": 64,
    "medium": 256,
    "high": 1024,
    "xhigh": 2048,
}
_SAMPLING = ("temperature", "top_p")
CONTEXT_MESSAGE = (
    "Your input exceeds the context window of this model. Please adjust your input and try again."
)


def _asked_effort(body: JSON) -> Any:
    return (body.get("reasoning") or {}).get("effort")


def check_parameters(model: Model, body: JSON) -> None:
    """400 for the first parameter ``model`` refuses, in upstream's words."""
    asked = _asked_effort(body)
    if asked is not None and not model.reasoning:
        raise ApiError(
            400,
            "Unsupported parameter: 'reasoning.effort' is not supported with this model.",
            param="reasoning.effort",
            code="unsupported_parameter",
        )
    if asked is not None and model.efforts and asked not in model.efforts:
        quoted = [f"'{value}'" for value in model.efforts]
        supported = ", ".join(quoted[:-1]) + f", and {quoted[-1]}" if len(quoted) > 1 else quoted[0]
        raise ApiError(
            400,
            f"Unsupported value: '{asked}' is not supported with the '{model.id}' model. "
            f"Supported values are: {supported}.",
            param="reasoning.effort",
            code="unsupported_value",
        )
    sampling_ok = model.sampling == "always" or (
        model.sampling == "effort_none" and effort(model, body) == "none"
    )
    if sampling_ok:
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
    asked = _asked_effort(body)
    if asked is not None:
        return str(asked)
    if not model.reasoning:
        return None
    return "none" if "none" in model.efforts else "medium"


def reasoning_tokens(model: Model, body: JSON) -> int:
    """The tokens the model reasons for before answering (0 for a model that does not)."""
    if not model.reasoning:
        return 0
    return REASONING_TOKENS.get(effort(model, body) or "none", 0)


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
            CONTEXT_MESSAGE,
            param="input",
            code="context_length_exceeded",
        )
    return kept
