"""The relay's own OpenAPI 3.1 document: exactly the routes of DESIGN.md.

Written out rather than generated: Litestar's generator adds its own schema routes
and cannot describe the SSE events, which are the main part of this contract.
"""

from __future__ import annotations

import functools
from typing import Any

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
{"file_id", "filename", "path"} once per cited document; then `done`
{"response_id", "usage": {"input_tokens", "output_tokens"}} or `error` {"code", "message"}
and the end. Comment lines `: keep-alive` while the answer is quiet."""


@functools.cache
def document() -> dict[str, Any]:
    text_schema = {"type": "string"}
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "kbsync relay",
            "version": __version__,
            "description": "Streams the knowledge-base assistant's answers to the widget.",
        },
        "paths": {
            "/api/chat": {
                "post": {
                    "summary": "Ask the assistant; the answer streams as text/event-stream",
                    "requestBody": {
                        "required": True,
                        "content": {
                            "application/json": {"schema": {"$ref": "#/components/schemas/Chat"}}
                        },
                    },
                    "responses": {
                        "200": {
                            "description": _SSE_DESCRIPTION,
                            "content": {"text/event-stream": {"schema": text_schema}},
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
                        "content": {"text/plain": {"schema": text_schema}},
                    }
                },
            ),
            "/widget.js": _get(
                "The embeddable widget (ETag, cache headers)",
                {
                    "200": {
                        "description": "The script",
                        "content": {"text/javascript": {"schema": text_schema}},
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
                        "content": {"text/html": {"schema": text_schema}},
                    },
                    "404": _error("Demo page off"),
                },
            ),
            "/schema/openapi.json": _get(
                "This document", {"200": _json({"type": "object"}, "OpenAPI 3.1 document")}
            ),
        },
        "components": {
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
        },
    }
