"""The small GET routes: ping, health, readiness, metrics, the widget, the demo page, the schema."""

from __future__ import annotations

import logging
import re
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from litestar import Request, Response, get
from litestar.params import FromPath

from relay import _assets, _log
from relay._assets import WIDGET_DIR
from relay._errors import refuse
from relay._metrics import CONTENT_TYPE
from relay._openapi import document
from relay._runtime import runtime_of
from relay._widget_settings import widget_settings

_JAVASCRIPT = "text/javascript"  # Litestar appends "; charset=utf-8" to text/* types
_PINNED = re.compile(r"[0-9a-f]{16}\.js")
_READINESS = "relay_readiness"  # app.state key: the last readiness reasons logged


def _not_found(what: str) -> Response[Any]:
    return refuse(404, "not_found", what)


@get("/api/ping", summary="Liveness with the server time, and the KB's settings for the widget")
async def ping(request: Request[Any, Any, Any]) -> dict[str, Any]:
    now = datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")
    body: dict[str, Any] = {"ok": True, "t": now}
    spec = runtime_of(request).spec.spec
    if spec is not None:
        body["widget"] = widget_settings(spec)
    return body


@get("/healthz", summary="The process is alive")
async def healthz() -> dict[str, Any]:
    return {"ok": True}


@get("/readyz", summary="KB spec loaded and vector store resolved (503 otherwise)")
async def readyz(request: Request[Any, Any, Any]) -> Response[Any]:
    """``{"ready": bool}`` only: why not is the operator's business, so it goes to the log
    (once per change, not once per probe)."""
    runtime = runtime_of(request)
    reasons = runtime.readiness()
    if reasons != request.app.state.get(_READINESS):
        request.app.state[_READINESS] = reasons
        level = logging.INFO if runtime.ready else logging.WARNING
        _log.event(level, "readiness", **reasons)
    status = 200 if runtime.ready else 503
    return Response({"ready": runtime.ready}, status_code=status, media_type="application/json")


@get("/metrics", summary="Prometheus text", media_type=CONTENT_TYPE)
async def metrics(request: Request[Any, Any, Any]) -> Response[str]:
    text = runtime_of(request).metrics.render()
    if (desk := request.app.state.get("relay_leads")) is not None:
        text += "\n".join(desk.metric_lines()) + "\n"
    return Response(text, media_type=CONTENT_TYPE)


def _serve(
    request: Request[Any, Any, Any],
    body: bytes,
    etag: str,
    media_type: str,
    headers: Mapping[str, str],
) -> Response[Any]:
    all_headers = {"ETag": etag, **headers}
    if_none_match = request.headers.get("if-none-match", "")
    if etag in [t.strip().removeprefix("W/") for t in if_none_match.split(",")]:
        return Response(b"", status_code=304, headers=all_headers)
    return Response(body, media_type=media_type, headers=all_headers)


@get("/widget.js", summary="The embeddable widget (ETag, short cache)")
async def widget(request: Request[Any, Any, Any]) -> Response[Any]:
    asset = _assets.widget(WIDGET_DIR)
    if asset is None:
        return _not_found("widget.js is not installed.")
    cache = {"Cache-Control": "public, max-age=300"}
    return _serve(request, asset.body, asset.etag, _JAVASCRIPT, cache)


@get(
    "/widget/{name:str}",
    summary="The widget at its content-addressed URL /widget/<sha>.js (immutable, any origin)",
)
async def widget_pinned(request: Request[Any, Any, Any], name: FromPath[str]) -> Response[Any]:
    asset = _assets.widget(WIDGET_DIR)
    if asset is None or not _PINNED.fullmatch(name) or name != f"{asset.sha}.js":
        # Another sha is another version: this relay serves only the one it has.
        return _not_found(f"No widget /widget/{name} here; see /widget.js for the current one.")
    headers = {
        "Cache-Control": "public, max-age=31536000, immutable",
        # Pages embed it with crossorigin="anonymous" so the browser checks its integrity.
        "Access-Control-Allow-Origin": "*",
    }
    return _serve(request, asset.body, asset.etag, _JAVASCRIPT, headers)


@get("/", summary="Demo page hosting the widget (RELAY_DEMO=1 only)")
async def demo(request: Request[Any, Any, Any]) -> Response[Any]:
    if not runtime_of(request).config.demo:
        return _not_found("The demo page is off; set RELAY_DEMO=1 to serve it.")
    page = _assets.demo_page(WIDGET_DIR)
    if page is None:
        return _not_found("demo.html is not installed.")
    headers = {"Cache-Control": "no-cache", "Content-Security-Policy": page.csp}
    return _serve(request, page.body, page.etag, "text/html", headers)


@get("/schema/openapi.json", summary="This OpenAPI document", media_type="application/json")
async def openapi(request: Request[Any, Any, Any]) -> dict[str, Any]:
    return document(request.app)
