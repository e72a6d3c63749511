"""The sandbox as a Litestar app: ``create_app(store)``; ``server.serve`` runs it."""

from __future__ import annotations

import logging
from typing import Any

from litestar import Litestar, Request, Response
from litestar.datastructures import State
from litestar.exceptions import HTTPException, ValidationException

from sandbox import (
    _batches,
    _control,
    _conversations,
    _files,
    _models,
    _responses,
    _vector_stores,
    _vs_files,
)
from sandbox._control import Control
from sandbox._errors import ApiError
from sandbox._middleware import sandbox_middleware, stamp_headers
from sandbox._persist import load, save_now
from sandbox._processing import resume
from sandbox._state import Store
from sandbox.crm import ROUTES as CRM_ROUTES
from sandbox.crm import CrmState
from sandbox.telegram import ROUTES as TELEGRAM_ROUTES
from sandbox.telegram import World as TelegramWorld

MAX_BODY_BYTES = 600 * 1024 * 1024
_log = logging.getLogger("sandbox")


def _api_error(_: Request[Any, Any, Any], error: ApiError) -> Response[Any]:
    return Response(error.body(), status_code=error.status, headers=error.headers)


def _http_error(request: Request[Any, Any, Any], error: HTTPException) -> Response[Any]:
    status = error.status_code
    if status == 404:
        message = f"Invalid URL ({request.method} {request.url.path})"
    elif status == 405:
        message = f"Method {request.method} is not allowed on {request.url.path}."
    else:
        message = str(error.detail)
    if isinstance(error, ValidationException) and error.extra:
        message = f"{message}: {error.extra}"
    kind = "server_error" if status >= 500 else "invalid_request_error"
    body = ApiError(status, message, type=kind).body()
    return Response(body, status_code=status, headers=error.headers)


def _crash(request: Request[Any, Any, Any], error: Exception) -> Response[Any]:
    _log.exception("unhandled error on %s %s", request.method, request.url.path, exc_info=error)
    body = ApiError(500, "The sandbox failed: " + repr(error), type="server_error").body()
    return Response(body, status_code=500)


def create_app(store: Store | None = None) -> Litestar:
    """The app over ``store`` (a fresh one if not given; loaded from its ``data_dir``)."""
    store = store if store is not None else Store()
    load(store)
    telegram = TelegramWorld()

    def startup() -> None:
        resume(store)

    async def shutdown() -> None:
        await telegram.updates.close()
        store.runtime.close()
        save_now(store)

    return Litestar(
        route_handlers=[
            *_files.ROUTES,
            *_vector_stores.ROUTES,
            *_vs_files.ROUTES,
            *_batches.ROUTES,
            *_responses.ROUTES,
            *_conversations.ROUTES,
            *_models.ROUTES,
            *_control.ROUTES,
            *CRM_ROUTES,
            *TELEGRAM_ROUTES,
        ],
        middleware=[sandbox_middleware],
        before_send=[stamp_headers],
        exception_handlers={
            ApiError: _api_error,
            HTTPException: _http_error,
            Exception: _crash,
        },
        state=State(
            {"store": store, "control": Control(), "crm": CrmState(), "telegram": telegram}
        ),
        on_startup=[startup],
        on_shutdown=[shutdown],
        request_max_body_size=MAX_BODY_BYTES,
        openapi_config=None,
    )
