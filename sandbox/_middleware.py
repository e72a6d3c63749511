"""The gate: every request from a local tool only (loopback ``Host`` and ``Origin``; control
requests ``/_sandbox/*`` also JSON only); on ``/v1``, it
counts and logs each request, checks the bearer key, applies latency, an exhausted quota
and faults. Plus the ``before_send`` hook stamping OpenAI's response headers.

It runs after routing (Litestar route middleware), so stats carry route templates.
"""

from __future__ import annotations

import asyncio
import json
import math
import re
import secrets
import time
from typing import Any, cast

from litestar.types import ASGIApp, Message, Receive, Scope, Send

from sandbox._control import Control
from sandbox._control_gate import check_control_request, check_loopback
from sandbox._errors import ApiError
from sandbox._faults import Fault, Faults, RequestFaults, deal

OPENAI_VERSION = "2020-10-01"
_MAX_LOGGED_BODY = 1 << 20
_HANG_S = 300.0
_PARAM_TYPE = re.compile(r":\w+}")


class ResetConnection(Exception):
    """Raised after the response has started so that the server drops the connection."""


async def _send_error(send: Send, error: ApiError) -> None:
    body = json.dumps(error.body()).encode()
    headers = [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())]
    headers += [(k.lower().encode(), v.encode()) for k, v in error.headers.items()]
    await send({"type": "http.response.start", "status": error.status, "headers": headers})
    await send({"type": "http.response.body", "body": body, "more_body": False})


def _rate_limited(retry_after_ms: int) -> ApiError:
    return ApiError(
        429,
        "Rate limit reached for requests (sandbox fault). Please try again later.",
        type="requests",
        code="rate_limit_exceeded",
        headers={
            "retry-after": str(max(1, math.ceil(retry_after_ms / 1000))),
            "retry-after-ms": str(retry_after_ms),
            "x-ratelimit-limit-requests": "500",
            "x-ratelimit-remaining-requests": "0",
            "x-ratelimit-reset-requests": f"{retry_after_ms}ms",
            "x-ratelimit-limit-tokens": "200000",
            "x-ratelimit-remaining-tokens": "0",
            "x-ratelimit-reset-tokens": f"{retry_after_ms}ms",
        },
    )


def _quota_exhausted() -> ApiError:
    """Upstream's answer once the account's credit is spent: a 429 that no wait will fix,
    so no ``retry-after``, and ``x-should-retry: false`` tells the SDK not to retry."""
    return ApiError(
        429,
        "You exceeded your current quota, please check your plan and billing details. For "
        "more information on this error, read the docs: "
        "https://platform.openai.com/docs/guides/error-codes/api-errors.",
        type="insufficient_quota",
        code="insufficient_quota",
        headers={"x-should-retry": "false"},
    )


def _server_error(status: int) -> ApiError:
    message = (
        "The server had an error while processing your request (sandbox fault)."
        if status == 500
        else "The engine is currently overloaded, please try again later (sandbox fault)."
    )
    return ApiError(status, message, type="server_error", code="server_error")


def _route_limited(limit: str) -> ApiError:
    """A route's own limit (uploads per key, attaches per store): a bare 429, with no
    ``retry-after`` and no ``x-ratelimit-*`` header to say when the window frees up."""
    return ApiError(
        429,
        f"Rate limit reached for {limit}, Requested 1.",
        type="requests",
        code="rate_limit_exceeded",
    )


async def _drop_reply(app: ASGIApp, scope: Scope, receive: Receive, send: Send) -> None:
    """Carry the request out whole, then cut the connection before the reply's body: the
    client cannot tell whether (or what) the server made."""
    start: Message | None = None

    async def held(message: Message) -> None:
        nonlocal start
        if message["type"] == "http.response.start" and start is None:
            start = message

    await app(scope, receive, held)
    await send(start or {"type": "http.response.start", "status": 200, "headers": []})
    raise ResetConnection("sandbox fault: reply dropped")


def _bearer(scope: dict[str, Any]) -> str:
    for name, value in scope["headers"]:
        if name == b"authorization":
            return str(value.decode("latin-1").partition(" ")[2].strip())
    return ""


def _unauthorized() -> ApiError:
    return ApiError(
        401,
        "You didn't provide an API key. You need to provide your API key in an Authorization "
        "header using Bearer auth (i.e. Authorization: Bearer YOUR_KEY).",
    )


def _header(scope: dict[str, Any], name: bytes) -> str | None:
    for key, value in scope["headers"]:
        if key == name:
            return str(value.decode("latin-1"))
    return None


def _has_bearer(scope: dict[str, Any]) -> bool:
    for name, value in scope["headers"]:
        if name == b"authorization":
            scheme, _, token = value.decode("latin-1").partition(" ")
            return scheme.lower() == "bearer" and bool(token.strip())
    return False


async def _hang(receive: Receive) -> None:
    """Wait for the client to give up (disconnect), at most ``_HANG_S``."""
    deadline = time.monotonic() + _HANG_S
    while (remaining := deadline - time.monotonic()) > 0:
        try:
            message = await asyncio.wait_for(receive(), remaining)
        except TimeoutError:
            return
        if message["type"] == "http.disconnect":
            return


def _logged_body(chunks: list[bytes]) -> Any:
    raw = b"".join(chunks)
    if not raw:
        return None
    try:
        return json.loads(raw)
    except ValueError:
        return None


async def _misbehave(fault: Fault | None, faults: Faults, receive: Receive, send: Send) -> bool:
    """Answer in place of the app for the faults the gate handles itself; ``False`` lets
    the request through (no fault, or one the handler acts on: drop, stuck, ...)."""
    if fault is Fault.RATE_LIMIT:
        await _send_error(send, _rate_limited(faults.retry_after_ms))
    elif fault is Fault.SERVER_ERROR or fault is Fault.OVERLOADED:
        await _send_error(send, _server_error(int(fault.value)))
    elif fault is Fault.TIMEOUT:
        await _hang(receive)
    elif fault is Fault.RESET:
        await send({"type": "http.response.start", "status": 200, "headers": []})
        raise ResetConnection("sandbox fault: connection reset")
    else:
        return False
    return True


def sandbox_middleware(app: ASGIApp) -> ASGIApp:
    async def middleware(asgi_scope: Scope, receive: Receive, send: Send) -> None:
        scope = cast("dict[str, Any]", asgi_scope)
        if scope["type"] != "http":
            await app(asgi_scope, receive, send)
            return
        state: dict[str, Any] = scope.setdefault("state", {})
        state["sandbox_t0"] = time.perf_counter()
        if scope["path"].startswith("/_sandbox/"):
            refusal = check_control_request(
                scope["method"],
                _header(scope, b"host"),
                _header(scope, b"origin"),
                _header(scope, b"content-type"),
            )
            if refusal is not None:
                await _send_error(send, refusal)
                return
        else:  # every other route too: a rebound page must not read the KB through /v1
            refusal = check_loopback(_header(scope, b"host"), _header(scope, b"origin"))
            if refusal is not None:
                await _send_error(send, refusal)
                return
        if not scope["path"].startswith("/v1/"):
            await app(asgi_scope, receive, send)
            return
        control: Control = scope["app"].state.control
        method = scope["method"]
        template = _PARAM_TYPE.sub("}", str(scope.get("path_template", scope["path"])))
        control.total += 1
        control.counts[f"{method} {template}"] += 1
        entry: dict[str, Any] = {"method": method, "path": scope["path"], "body": None}
        if scope.get("query_string"):
            entry["query"] = scope["query_string"].decode("latin-1")
        control.log.append(entry)
        chunks: list[bytes] = []
        size = 0

        async def logging_receive() -> Any:
            nonlocal size
            message = await receive()
            if message["type"] == "http.request" and size < _MAX_LOGGED_BODY:
                body = message.get("body", b"")
                chunks.append(body)
                size += len(body)
            return message

        faults = control.faults
        try:
            if not _has_bearer(scope):
                await _send_error(send, _unauthorized())
                return
            if faults.latency_ms:
                await asyncio.sleep(faults.latency_ms / 1000)
            if faults.quota:
                await _send_error(send, _quota_exhausted())
                return
            route = f"{method} {template}"
            store_id = (scope.get("path_params") or {}).get("vector_store_id")
            over = control.over_limit(route, _bearer(scope), store_id)
            if over is not None:
                await _send_error(send, _route_limited(over))
                return
            fault = control.pick(route)
            if fault is not None and not (method == "POST" and template == "/v1/responses"):
                fault = fault.outside_streams()
            deal(state, RequestFaults(fault, faults))
            if fault is Fault.DROP_REPLY:
                await _drop_reply(app, asgi_scope, logging_receive, send)
            elif not await _misbehave(fault, faults, receive, send):
                await app(asgi_scope, logging_receive, send)
        finally:
            logged = state.get("sandbox_log_body")
            entry["body"] = logged if logged is not None else _logged_body(chunks)

    return middleware


async def stamp_headers(message: Message, scope: Scope) -> None:
    """``before_send``: every response carries OpenAI's request id, version and timing."""
    if message["type"] != "http.response.start":
        return
    state: dict[str, Any] = cast("dict[str, Any]", scope).get("state", {})
    started = state.get("sandbox_t0")
    elapsed_us = 0 if started is None else int((time.perf_counter() - started) * 1_000_000)
    headers = list(message.get("headers", []))
    headers += [
        (b"x-request-id", f"req_{secrets.token_hex(16)}".encode()),
        (b"openai-version", OPENAI_VERSION.encode()),
        (b"openai-processing-ms", str(elapsed_us // 1000).encode()),
        # the same, finer: the benchmark reads it (not an OpenAI header)
        (b"x-sandbox-processing-us", str(elapsed_us).encode()),
    ]
    message["headers"] = headers
