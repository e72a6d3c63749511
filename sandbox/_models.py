"""Models: list and retrieve the model table (``_model_table.py``); delete is refused.

Base models cannot be deleted (only fine-tunes can), so ``DELETE`` answers 403 for a
listed model and 404 ``model_not_found`` for any other id, as for a retrieve.
"""

from __future__ import annotations

from typing import Any

from litestar import delete, get

from sandbox._control import control_of
from sandbox._errors import ApiError
from sandbox._http import AnyRequest
from sandbox._model_table import Model
from sandbox._state import JSON


def model_not_found(model_id: str, *, param: str | None = None) -> ApiError:
    message = f"The model '{model_id}' does not exist or you do not have access to it."
    return ApiError(404, message, param=param, code="model_not_found")


def model_of(request: AnyRequest, model_id: str, *, param: str | None = None) -> Model:
    """The table's entry for ``model_id``; 404 ``model_not_found`` when it has none."""
    model = control_of(request).models.get(model_id)
    if model is None:
        raise model_not_found(model_id, param=param)
    return model


@get("/v1/models", sync_to_thread=False)
def list_models(request: AnyRequest) -> JSON:
    return {"object": "list", "data": [model.public() for model in control_of(request).models]}


@get("/v1/models/{model_id:str}", sync_to_thread=False)
def retrieve_model(request: AnyRequest, model_id: str) -> JSON:
    return model_of(request, model_id).public()


@delete("/v1/models/{model_id:str}", status_code=200, sync_to_thread=False)
def delete_model(request: AnyRequest, model_id: str) -> JSON:
    model_of(request, model_id)
    message = (
        f"You are not allowed to delete the model '{model_id}': only fine-tuned models that "
        "your organization owns can be deleted."
    )
    raise ApiError(403, message, param="model")


ROUTES: list[Any] = [list_models, retrieve_model, delete_model]
