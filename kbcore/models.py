"""The model table: what each Responses-API model accepts, and when it shuts down.

One row per model id kbsync knows. ``kbsync validate`` refuses offline what a model
would refuse live (``problems``), ``kbsync check`` warns when a model's shutdown is near
(``shutdown_warning``), and the sandbox serves the same rows (its own copy, which a test
holds equal to this one: the sandbox imports nothing of the product).

What the rows encode (sources in docs/models.md):

- ``efforts``: the ``reasoning.effort`` values the model takes. gpt-5.1 and later take
  ``none`` (their default) and refuse ``minimal``; gpt-5, gpt-5-mini and gpt-5-nano take
  ``minimal`` to ``high`` and default to ``medium``; a model that does not reason
  (gpt-4.1, gpt-4o) refuses any ``reasoning.effort``.
- ``sampling``: when ``temperature``/``top_p`` other than 1 are accepted: ``always``
  (models that do not reason), ``effort_none`` (gpt-5.1 and later, only while the
  effort is ``none``), ``never`` (gpt-5, gpt-5-mini, gpt-5-nano).
- ``shutdown_date``: the day the API stops serving the id; a row whose date has passed
  stays here so that ``validate`` can say so, but the sandbox leaves it out.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any, Literal

Sampling = Literal["always", "effort_none", "never"]

MIN_OUTPUT_TOKENS = 16  # the Responses API refuses a smaller max_output_tokens
SHUTDOWN_WARNING_DAYS = 60
DEFAULT_EFFORT_OLD = "medium"  # models before gpt-5.1
NO_EFFORT = "none"

_NEW = ("none", "low", "medium", "high", "xhigh")  # gpt-5.2 and later
_FIVE_ONE = ("none", "low", "medium", "high")
_FIVE = ("minimal", "low", "medium", "high")


@dataclass(frozen=True)
class ModelInfo:
    id: str
    reasoning: bool
    efforts: tuple[str, ...]  # empty: refuses reasoning.effort
    sampling: Sampling
    context_tokens: int
    shutdown_date: dt.date | None = None
    replacement: str | None = None  # what to move to when it shuts down

    @property
    def default_effort(self) -> str | None:
        """The effort the model reasons with when the request names none."""
        if not self.reasoning:
            return None
        return NO_EFFORT if NO_EFFORT in self.efforts else DEFAULT_EFFORT_OLD

    def sampling_ok(self, effort: str | None) -> bool:
        """Whether ``temperature``/``top_p`` other than 1 are accepted at ``effort``
        (``None``: the request names no effort, so the model's default applies)."""
        if self.sampling == "always":
            return True
        if self.sampling == "never":
            return False
        return (effort or self.default_effort) == NO_EFFORT

    def retired(self, today: dt.date) -> bool:
        return self.shutdown_date is not None and self.shutdown_date <= today

    def entry(self) -> dict[str, Any]:
        """The row as the sandbox's ``POST /_sandbox/models`` takes it."""
        row: dict[str, Any] = {
            "id": self.id,
            "reasoning": self.reasoning,
            "context_tokens": self.context_tokens,
            "efforts": list(self.efforts),
            "sampling": self.sampling,
        }
        if self.shutdown_date is not None:
            row["shutdown_date"] = self.shutdown_date.isoformat()
        return row


def _family(
    ids: tuple[str, ...],
    efforts: tuple[str, ...],
    sampling: Sampling,
    context: int,
    shutdown: str | None = None,
    replacement: str | None = None,
) -> list[ModelInfo]:
    date = dt.date.fromisoformat(shutdown) if shutdown else None
    return [ModelInfo(i, bool(efforts), efforts, sampling, context, date, replacement) for i in ids]


MODELS: tuple[ModelInfo, ...] = (
    *_family(("gpt-5.4", "gpt-5.4-2026-03-05"), _NEW, "effort_none", 1_050_000),
    *_family(("gpt-5.4-mini", "gpt-5.4-mini-2026-03-17"), _NEW, "effort_none", 400_000),
    *_family(("gpt-5.4-nano", "gpt-5.4-nano-2026-03-17"), _NEW, "effort_none", 400_000),
    *_family(("gpt-5.2", "gpt-5.2-2025-12-11"), _NEW, "effort_none", 400_000),
    *_family(("gpt-5.1", "gpt-5.1-2025-11-13"), _FIVE_ONE, "effort_none", 400_000),
    *_family(("gpt-5", "gpt-5-2025-08-07"), _FIVE, "never", 400_000, "2026-12-11", "gpt-5.4"),
    *_family(
        ("gpt-5-mini", "gpt-5-mini-2025-08-07"),
        _FIVE,
        "never",
        400_000,
        "2026-12-11",
        "gpt-5.4-mini",
    ),
    *_family(
        ("gpt-5-nano", "gpt-5-nano-2025-08-07"),
        _FIVE,
        "never",
        400_000,
        "2026-12-11",
        "gpt-5.4-nano",
    ),
    *_family(("gpt-4.1", "gpt-4.1-2025-04-14"), (), "always", 1_047_576),
    *_family(("gpt-4.1-mini", "gpt-4.1-mini-2025-04-14"), (), "always", 1_047_576),
    *_family(
        ("gpt-4.1-nano", "gpt-4.1-nano-2025-04-14"),
        (),
        "always",
        1_047_576,
        "2026-10-23",
        "gpt-5.4-nano",
    ),
    *_family(("gpt-4o", "gpt-4o-2024-11-20"), (), "always", 128_000),
    *_family(("gpt-4o-mini", "gpt-4o-mini-2024-07-18"), (), "always", 128_000),
)
_BY_ID = {model.id: model for model in MODELS}


def model_info(model_id: str) -> ModelInfo | None:
    """The row for ``model_id``; ``None`` for an id kbsync does not know."""
    return _BY_ID.get(model_id)


def current(today: dt.date | None = None) -> tuple[ModelInfo, ...]:
    """The rows still served on ``today`` (default: today, UTC)."""
    day = today or dt.datetime.now(dt.UTC).date()
    return tuple(model for model in MODELS if not model.retired(day))


@dataclass(frozen=True)
class Request:
    """The Responses parameters of a spec that a model may refuse."""

    model: str
    effort: str | None = None
    temperature: float | None = None
    top_p: float | None = None
    max_output_tokens: int | None = None


@dataclass(frozen=True)
class Refusal:
    key: str  # the settings key at fault: model, reasoning.effort, temperature, ...
    message: str


def refusals(request: Request, today: dt.date | None = None) -> list[Refusal]:
    """What the API would refuse in ``request``, one sentence each (empty: nothing, or
    a model kbsync does not know; see ``unknown_model``)."""
    found: list[Refusal] = []
    if request.max_output_tokens is not None and request.max_output_tokens < MIN_OUTPUT_TOKENS:
        found.append(
            Refusal(
                "max_output_tokens",
                f"max_output_tokens must be at least {MIN_OUTPUT_TOKENS} (the API refuses"
                f" {request.max_output_tokens}); raise it.",
            )
        )
    model = model_info(request.model)
    if model is None:
        return found
    day = today or dt.datetime.now(dt.UTC).date()
    if model.retired(day):
        instead = f"; use {model.replacement}" if model.replacement else ""
        found.append(
            Refusal(
                "model",
                f"model {model.id} was shut down on {model.shutdown_date}{instead}.",
            )
        )
    effort = request.effort
    if effort is not None and not model.efforts:
        found.append(
            Refusal(
                "reasoning.effort",
                f"model {model.id} does not reason, so it refuses reasoning.effort;"
                " remove it or choose a reasoning model.",
            )
        )
    elif effort is not None and effort not in model.efforts:
        found.append(
            Refusal(
                "reasoning.effort",
                f"model {model.id} refuses reasoning.effort {effort}; use one of:"
                f" {', '.join(model.efforts)}.",
            )
        )
    for name, value in (("temperature", request.temperature), ("top_p", request.top_p)):
        if value is None or value == 1 or model.sampling_ok(effort):
            continue
        if model.sampling == "never":
            why = f"model {model.id} refuses {name} (it reasons and takes only the default, 1)"
        else:
            why = (
                f"model {model.id} accepts {name} only with reasoning.effort none, not"
                f" {effort or model.default_effort}"
            )
        found.append(Refusal(name, f"{why}; remove {name} or change the model."))
    return found


def unknown_model(model_id: str) -> str | None:
    """A warning for a model id the table does not know (the API may still serve it)."""
    if model_id in _BY_ID:
        return None
    return (
        f"model {model_id} is not in kbsync's model table, so its parameters are not"
        " checked offline; kbsync check tries them live."
    )


def shutdown_warning(
    model_id: str, today: dt.date | None = None, *, announced: str | None = None
) -> str | None:
    """A warning when ``model_id`` shuts down within ``SHUTDOWN_WARNING_DAYS``, by the
    table, else by the date the API ``announced`` (``GET /v1/models/{id}``)."""
    model = model_info(model_id)
    date = model.shutdown_date if model is not None else None
    if date is None and announced:
        try:
            date = dt.date.fromisoformat(announced)
        except ValueError:
            return None
    if date is None:
        return None
    day = today or dt.datetime.now(dt.UTC).date()
    left = (date - day).days
    if left > SHUTDOWN_WARNING_DAYS:
        return None
    instead = f"; move to {model.replacement}" if model and model.replacement else ""
    when = "today" if left == 0 else f"in {left} days" if left > 0 else "already"
    return f"model {model_id} shuts down on {date} ({when}){instead} in kb/assistant.yaml."
