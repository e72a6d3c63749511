"""The model table: which ids exist, which of them reason, how large their context is.

The default table lists common current Responses-API models (``gpt-5.4-mini`` is
kbsync's default), none of them reasoning, each with a 16,000-token context window, so
that tests see small, fast answers. ``POST /_sandbox/models`` replaces it (for a test
of reasoning models or of a long conversation); ``POST /_sandbox/reset`` restores it.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from sandbox._errors import bad_request

DEFAULT_CONTEXT_TOKENS = 16_000
# the "created" of a model that the default table does not know (2026-03-17)
_CREATED = 1773705600

# id -> "created" (unix time of the release; fixed so that listings are deterministic)
_DEFAULT_IDS: dict[str, int] = {
    "gpt-5.4-mini": 1773705600,
    "gpt-5.4-mini-2026-03-17": 1773705600,
    "gpt-5.4-nano": 1773705600,
    "gpt-5.4-nano-2026-03-17": 1773705600,
    "gpt-5.4": 1772496000,
    "gpt-5-mini": 1754425928,
    "gpt-5-mini-2025-08-07": 1754425867,
    "gpt-5-nano": 1754426384,
    "gpt-5-nano-2025-08-07": 1754426303,
    "gpt-5": 1754425777,
    "gpt-5-2025-08-07": 1754425689,
    "gpt-4.1-mini": 1744318173,
    "gpt-4.1-mini-2025-04-14": 1744317547,
    "gpt-4.1-nano": 1744321707,
    "gpt-4.1-nano-2025-04-14": 1744321025,
    "gpt-4.1": 1744316542,
    "gpt-4.1-2025-04-14": 1744315746,
    "gpt-4o-mini": 1721172741,
    "gpt-4o-mini-2024-07-18": 1721172717,
    "gpt-4o": 1715367049,
    "gpt-4o-2024-11-20": 1739331543,
}
_ENTRY_KEYS = {"id", "reasoning", "context_tokens"}


@dataclass(frozen=True)
class Model:
    id: str
    reasoning: bool = False
    context_tokens: int = DEFAULT_CONTEXT_TOKENS
    created: int = _CREATED

    def public(self) -> dict[str, Any]:
        """The ``Model`` object of ``GET /v1/models``."""
        return {"id": self.id, "object": "model", "created": self.created, "owned_by": "system"}

    def table_entry(self) -> dict[str, Any]:
        """The entry as ``POST /_sandbox/models`` takes it."""
        return {"id": self.id, "reasoning": self.reasoning, "context_tokens": self.context_tokens}


@dataclass(frozen=True)
class ModelTable:
    models: tuple[Model, ...]

    def get(self, model_id: str) -> Model | None:
        for model in self.models:
            if model.id == model_id:
                return model
        return None

    def __iter__(self) -> Iterator[Model]:
        return iter(self.models)


DEFAULT_TABLE = ModelTable(tuple(Model(i, created=c) for i, c in _DEFAULT_IDS.items()))


def _entry(value: Any, n: int) -> Model:
    where = f"models[{n}]"
    if not isinstance(value, dict):
        raise bad_request(f"'{where}' must be an object with an 'id'.", param=where)
    unknown = sorted(set(value) - _ENTRY_KEYS)
    if unknown:
        raise bad_request(
            f"Unknown key '{unknown[0]}' in '{where}'; use id, reasoning, context_tokens.",
            param=f"{where}.{unknown[0]}",
        )
    model_id = value.get("id")
    if not isinstance(model_id, str) or not model_id.strip():
        raise bad_request(f"'{where}.id' must be a non-empty string.", param=f"{where}.id")
    reasoning = value.get("reasoning", False)
    if not isinstance(reasoning, bool):
        raise bad_request(
            f"'{where}.reasoning' must be true or false, not {reasoning!r}.",
            param=f"{where}.reasoning",
        )
    context = value.get("context_tokens", DEFAULT_CONTEXT_TOKENS)
    if isinstance(context, bool) or not isinstance(context, int) or context < 1:
        raise bad_request(
            f"'{where}.context_tokens' must be a positive integer, not {context!r}.",
            param=f"{where}.context_tokens",
        )
    return Model(model_id, reasoning, context, _DEFAULT_IDS.get(model_id, _CREATED))


def parse_table(body: dict[str, Any]) -> ModelTable:
    """The table of a ``POST /_sandbox/models`` body; 400 naming the first bad entry."""
    unknown = sorted(set(body) - {"models"})
    if unknown:
        raise bad_request(
            f"Unknown key '{unknown[0]}'; send {{\"models\": [...]}}.", param=unknown[0]
        )
    entries = body.get("models")
    if not isinstance(entries, list):
        raise bad_request(
            "'models' must be a list of {id, reasoning, context_tokens}.", param="models"
        )
    models = tuple(_entry(value, n) for n, value in enumerate(entries))
    seen: set[str] = set()
    for n, model in enumerate(models):
        if model.id in seen:
            raise bad_request(f"Model '{model.id}' is listed twice.", param=f"models[{n}].id")
        seen.add(model.id)
    return ModelTable(models)
