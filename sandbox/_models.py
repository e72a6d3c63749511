"""Models: a fixed list of Responses-API models (``gpt-5.4-mini`` is kbsync's default).

Base models cannot be deleted (only fine-tunes can), so ``DELETE`` answers 403 for a
listed model and 404 ``model_not_found`` for any other id, as for a retrieve.
"""

from __future__ import annotations

from typing import Any

from litestar import delete, get

from sandbox._errors import ApiError
from sandbox._state import JSON

DEFAULT_MODEL = "gpt-5.4-mini"

# id -> "created" (unix time of the release; fixed so that listings are deterministic)
MODELS: dict[str, int] = {
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


def model_object(model_id: str) -> JSON:
    return {"id": model_id, "object": "model", "created": MODELS[model_id], "owned_by": "system"}


def model_not_found(model_id: str) -> ApiError:
    message = f"The model '{model_id}' does not exist or you do not have access to it."
    return ApiError(404, message, code="model_not_found")


@get("/v1/models", sync_to_thread=False)
def list_models() -> JSON:
    return {"object": "list", "data": [model_object(model_id) for model_id in MODELS]}


@get("/v1/models/{model_id:str}", sync_to_thread=False)
def retrieve_model(model_id: str) -> JSON:
    if model_id not in MODELS:
        raise model_not_found(model_id)
    return model_object(model_id)


@delete("/v1/models/{model_id:str}", status_code=200, sync_to_thread=False)
def delete_model(model_id: str) -> JSON:
    if model_id not in MODELS:
        raise model_not_found(model_id)
    message = (
        f"You are not allowed to delete the model '{model_id}': only fine-tuned models that "
        "your organization owns can be deleted."
    )
    raise ApiError(403, message, param="model")


ROUTES: list[Any] = [list_models, retrieve_model, delete_model]
