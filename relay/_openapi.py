"""The relay's own OpenAPI 3.1 document: exactly the app's routes.

The paths and methods come from the app's route handlers (named once, by the handlers);
what each answers is written out here rather than generated: Litestar's generator adds
its own schema routes and cannot describe the SSE events, the main part of this
contract. A route without an entry below is documented by its summary alone.
"""

from __future__ import annotations

import functools
import re
from typing import Any

from litestar import Litestar
from litestar.routes import HTTPRoute

from kbcore import __version__

_ERROR = {"$ref": "#/components/schemas/Error"}


def _json(schema: dict[str, Any], description: str) -> dict[str, Any]:
    return {"description": description, "content": {"application/json": {"schema": schema}}}


def _error(description: str, retry_after: bool = False) -> dict[str, Any]:
    response = _json(_ERROR, description)
    if retry_after:
        response["headers"] = {
            "Retry-After": {"schema": {"type": "integer", "minimum": 1}, "description": "seconds"}
        }
    return response


def _get(summary: str, responses: dict[str, Any]) -> dict[str, Any]:
    return {"get": {"summary": summary, "responses": responses}}


_SSE_DESCRIPTION = """Server-Sent Events, each `event:` name with one JSON `data:` line, in order:
`conversation` {"conversation": token} first; `delta` {"text"} many; `source`
{"file_id", "filename", "path", "title", "url"} once per cited document; then `done`
{"response_id", "usage": {"input_tokens", "output_tokens"}, "incomplete"} or `error`
{"code", "message"} and the end. Comment lines `: keep-alive` while the answer is quiet."""

_PARAMETER = re.compile(r"\{(\w+):[^}]+\}")


def document(app: Litestar) -> dict[str, Any]:
    """The document for ``app``'s routes (OPTIONS and HEAD are Litestar's, not ours)."""
    operations = tuple(
        sorted(
            (_PARAMETER.sub(r"{\1}", route.path), method.lower(), handler.summary or "")
            for route in app.routes
            if isinstance(route, HTTPRoute)
            for handler in route.route_handlers
            for method in handler.http_methods
            if method not in ("OPTIONS", "HEAD")
        )
    )
    return _document(operations)


@functools.cache
def _document(operations: tuple[tuple[str, str, str], ...]) -> dict[str, Any]:
    paths: dict[str, dict[str, Any]] = {}
    for path, method, summary in operations:
        written = _OPERATIONS.get((method, path))
        operation = written or {"summary": summary, "responses": {"200": {"description": "OK"}}}
        paths.setdefault(path, {})[method] = operation
    return {**_HEAD, "paths": paths, "components": _COMPONENTS}


_TEXT = {"type": "string"}

_HEAD = {
    "openapi": "3.1.0",
    "info": {
        "title": "kbsync relay",
        "version": __version__,
        "description": "Streams the knowledge-base assistant's answers to the widget.",
    },
}

_PATHS: dict[str, dict[str, Any]] = {
    "/api/chat": {
        "post": {
            "summary": "Ask the assistant; the answer streams as text/event-stream",
            "requestBody": {
                "required": True,
                "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Chat"}}},
            },
            "responses": {
                "200": {
                    "description": _SSE_DESCRIPTION,
                    "content": {"text/event-stream": {"schema": _TEXT}},
                },
                "400": _error(
                    "Bad JSON, empty or too long message, invalid or unknown conversation"
                ),
                "403": _error("Origin not allowed"),
                "413": _error("Body too large"),
                "415": _error("Not application/json"),
                "429": _error("Rate limited (here or upstream)", retry_after=True),
                "502": _error("Upstream failed before the first byte"),
                "503": _error(
                    "Not ready, at capacity, or the vector store is gone", retry_after=True
                ),
                "504": _error("Upstream timed out before the first byte"),
            },
        }
    },
    "/api/ping": _get(
        "Liveness with the server time",
        {
            "200": _json(
                {
                    "type": "object",
                    "properties": {
                        "ok": {"type": "boolean"},
                        "t": {"type": "string", "format": "date-time"},
                    },
                    "required": ["ok", "t"],
                },
                "Alive",
            )
        },
    ),
    "/healthz": _get("The process is alive", {"200": _json({"type": "object"}, "Alive")}),
    "/readyz": _get(
        "KB spec loaded and vector store resolved",
        {
            "200": _json({"type": "object"}, "Ready"),
            "503": _json({"type": "object"}, "Not ready"),
        },
    ),
    "/metrics": _get(
        "Prometheus text exposition",
        {
            "200": {
                "description": "Metrics",
                "content": {"text/plain": {"schema": _TEXT}},
            }
        },
    ),
    "/widget.js": _get(
        "The embeddable widget (ETag, cache headers)",
        {
            "200": {
                "description": "The script",
                "content": {"text/javascript": {"schema": _TEXT}},
            },
            "304": {"description": "Not modified (If-None-Match)"},
            "404": _error("Widget not installed"),
        },
    ),
    "/": _get(
        "Demo page hosting the widget (RELAY_DEMO=1)",
        {
            "200": {
                "description": "HTML",
                "content": {"text/html": {"schema": _TEXT}},
            },
            "404": _error("Demo page off"),
        },
    ),
    "/schema/openapi.json": _get(
        "This document", {"200": _json({"type": "object"}, "OpenAPI 3.1 document")}
    ),
}

_OPERATIONS: dict[tuple[str, str], dict[str, Any]] = {
    (method, path): operation for path, item in _PATHS.items() for method, operation in item.items()
}

_COMPONENTS: dict[str, Any] = {
    "schemas": {
        "Chat": {
            "type": "object",
            "properties": {
                "message": {"type": "string", "minLength": 1},
                "conversation": {
                    "type": ["string", "null"],
                    "description": "The token from the conversation event",
                },
            },
            "required": ["message"],
        },
        "Error": {
            "type": "object",
            "properties": {
                "error": {
                    "type": "object",
                    "properties": {
                        "code": {"type": "string"},
                        "message": {"type": "string"},
                    },
                    "required": ["code", "message"],
                }
            },
            "required": ["error"],
        },
    }
}
