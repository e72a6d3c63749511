"""The model table: which ids exist, what each accepts, how large its context is.

The default table is kbsync's own model table (the same rows, held equal by a test:
the sandbox imports nothing of the product): current Responses-API models with the
``reasoning.effort`` values each takes, when it accepts ``temperature``/``top_p``
(``sampling``: ``always``, ``effort_none`` for gpt-5.1 and later, ``never`` for gpt-5 and
its mini and nano), its context window and ``shutdown_date``; an id whose shutdown date
has passed is absent, as upstream. ``POST /_sandbox/models`` replaces it (for a test of a
small context window, say); ``POST /_sandbox/reset`` restores it.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from sandbox._errors import bad_request

DEFAULT_CONTEXT_TOKENS = 16_000  # for an entry posted without context_tokens
# the "created" of a model that the default table does not know (2026-03-17)
_CREATED = 1773705600
SAMPLING = ("always", "effort_none", "never")
EFFORTS = ("none", "minimal", "low", "medium", "high", "xhigh")

_NEW = ("none", "low", "medium", "high", "xhigh")  # gpt-5.2 and later
_FIVE_ONE = ("none", "low", "medium", "high")
_FIVE = ("minimal", "low", "medium", "high")

# id -> (efforts, sampling, context tokens, shutdown date, "created"). The same rows as
# kbsync's own model table (a test holds them equal); the sandbox imports nothing of it.
_ROWS: dict[str, tuple[tuple[str, ...], str, int, str | None, int]] = {
    "gpt-5.4": (_NEW, "effort_none", 1_050_000, None, 1772496000),
    "gpt-5.4-2026-03-05": (_NEW, "effort_none", 1_050_000, None, 1772496000),
    "gpt-5.4-mini": (_NEW, "effort_none", 400_000, None, 1773705600),
    "gpt-5.4-mini-2026-03-17": (_NEW, "effort_none", 400_000, None, 1773705600),
    "gpt-5.4-nano": (_NEW, "effort_none", 400_000, None, 1773705600),
    "gpt-5.4-nano-2026-03-17": (_NEW, "effort_none", 400_000, None, 1773705600),
    "gpt-5.2": (_NEW, "effort_none", 400_000, None, 1765411200),
    "gpt-5.2-2025-12-11": (_NEW, "effort_none", 400_000, None, 1765411200),
    "gpt-5.1": (_FIVE_ONE, "effort_none", 400_000, None, 1762992000),
    "gpt-5.1-2025-11-13": (_FIVE_ONE, "effort_none", 400_000, None, 1762992000),
    "gpt-5": (_FIVE, "never", 400_000, "2026-12-11", 1754425777),
    "gpt-5-2025-08-07": (_FIVE, "never", 400_000, "2026-12-11", 1754425689),
    "gpt-5-mini": (_FIVE, "never", 400_000, "2026-12-11", 1754425928),
    "gpt-5-mini-2025-08-07": (_FIVE, "never", 400_000, "2026-12-11", 1754425867),
    "gpt-5-nano": (_FIVE, "never", 400_000, "2026-12-11", 1754426384),
    "gpt-5-nano-2025-08-07": (_FIVE, "never", 400_000, "2026-12-11", 1754426303),
    "gpt-4.1": ((), "always", 1_047_576, None, 1744316542),
    "gpt-4.1-2025-04-14": ((), "always", 1_047_576, None, 1744315746),
    "gpt-4.1-mini": ((), "always", 1_047_576, None, 1744318173),
    "gpt-4.1-mini-2025-04-14": ((), "always", 1_047_576, None, 1744317547),
    "gpt-4.1-nano": ((), "always", 1_047_576, "2026-10-23", 1744321707),
    "gpt-4.1-nano-2025-04-14": ((), "always", 1_047_576, "2026-10-23", 1744321025),
    "gpt-4o": ((), "always", 128_000, None, 1715367049),
    "gpt-4o-2024-11-20": ((), "always", 128_000, None, 1739331543),
    "gpt-4o-mini": ((), "always", 128_000, None, 1721172741),
    "gpt-4o-mini-2024-07-18": ((), "always", 128_000, None, 1721172717),
}
_ENTRY_KEYS = {"id", "reasoning", "context_tokens", "efforts", "sampling", "shutdown_date"}


@dataclass(frozen=True)
class Model:
    id: str
    reasoning: bool = False
    context_tokens: int = DEFAULT_CONTEXT_TOKENS
    created: int = _CREATED
    # the reasoning.effort values it takes (empty: it refuses reasoning.effort)
    efforts: tuple[str, ...] = ()
    # when temperature/top_p other than 1 are accepted: always, effort_none, never
    sampling: str = "always"
    shutdown_date: str | None = None

    def public(self) -> dict[str, Any]:
        """The ``Model`` object of ``GET /v1/models``."""
        return {
            "id": self.id,
            "object": "model",
            "created": self.created,
            "owned_by": "system",
            "shutdown_date": self.shutdown_date,
        }

    def table_entry(self) -> dict[str, Any]:
        """The entry as ``POST /_sandbox/models`` takes it."""
        entry: dict[str, Any] = {
            "id": self.id,
            "reasoning": self.reasoning,
            "context_tokens": self.context_tokens,
            "efforts": list(self.efforts),
            "sampling": self.sampling,
        }
        if self.shutdown_date is not None:
            entry["shutdown_date"] = self.shutdown_date
        return entry


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


def default_table(today: dt.date | None = None) -> ModelTable:
    """The models still served on ``today`` (default: today, UTC): a retired id is absent,
    as upstream, where it is ``404 model_not_found``."""
    day = (today or dt.datetime.now(dt.UTC).date()).isoformat()
    return ModelTable(
        tuple(
            Model(model_id, bool(efforts), context, created, efforts, sampling, shutdown)
            for model_id, (efforts, sampling, context, shutdown, created) in _ROWS.items()
            if shutdown is None or shutdown > day
        )
    )


def _entry(value: Any, n: int) -> Model:
    where = f"models[{n}]"
    if not isinstance(value, dict):
        raise bad_request(f"'{where}' must be an object with an 'id'.", param=where)
    unknown = sorted(set(value) - _ENTRY_KEYS)
    if unknown:
        raise bad_request(
            f"Unknown key '{unknown[0]}' in '{where}'; use id, reasoning, context_tokens,"
            " efforts, sampling, shutdown_date.",
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
    efforts = value.get("efforts", list(_FIVE) if reasoning else [])
    if not isinstance(efforts, list) or any(e not in EFFORTS for e in efforts):
        raise bad_request(
            f"'{where}.efforts' must be a list of {', '.join(EFFORTS)}.", param=f"{where}.efforts"
        )
    if efforts and not reasoning:
        raise bad_request(
            f"'{where}.efforts' must be empty for a model that does not reason.",
            param=f"{where}.efforts",
        )
    sampling = value.get("sampling", "never" if reasoning else "always")
    if sampling not in SAMPLING:
        raise bad_request(
            f"'{where}.sampling' must be one of {', '.join(SAMPLING)}, not {sampling!r}.",
            param=f"{where}.sampling",
        )
    shutdown = value.get("shutdown_date")
    if shutdown is not None:
        try:
            dt.date.fromisoformat(shutdown)
        except (TypeError, ValueError):
            raise bad_request(
                f"'{where}.shutdown_date' must be a date (YYYY-MM-DD), not {shutdown!r}.",
                param=f"{where}.shutdown_date",
            ) from None
    row = _ROWS.get(model_id)
    created = row[4] if row else _CREATED
    return Model(model_id, reasoning, context, created, tuple(efforts), sampling, shutdown)


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
            "'models' must be a list of {id, reasoning, context_tokens, efforts, sampling}.",
            param="models",
        )
    models = tuple(_entry(value, n) for n, value in enumerate(entries))
    seen: set[str] = set()
    for n, model in enumerate(models):
        if model.id in seen:
            raise bad_request(f"Model '{model.id}' is listed twice.", param=f"models[{n}].id")
        seen.add(model.id)
    return ModelTable(models)
