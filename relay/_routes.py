"""The small GET routes: ping, health, readiness, metrics, the widget, the demo page, the schema."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from litestar import Request, Response, get

from relay._metrics import CONTENT_TYPE
from relay._openapi import document
from relay._runtime import runtime_of

WIDGET_DIR = Path(__file__).resolve().parent / "widget"


def _not_found(what: str) -> Response[Any]:
    return Response(
        {"error": {"code": "not_found", "message": what}},
        status_code=404,
        media_type="application/json",
    )


@get("/api/ping", summary="Liveness with the server time")
async def ping() -> dict[str, Any]:
    now = datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")
    return {"ok": True, "t": now}


@get("/healthz", summary="The process is alive")
async def healthz() -> dict[str, Any]:
    return {"ok": True}


@get("/readyz", summary="KB spec loaded and vector store resolved (503 otherwise)")
async def readyz(request: Request[Any, Any, Any]) -> Response[Any]:
    runtime = runtime_of(request)
    status = 200 if runtime.ready else 503
    return Response(runtime.readiness(), status_code=status, media_type="application/json")


@get("/metrics", summary="Prometheus text", media_type=CONTENT_TYPE)
async def metrics(request: Request[Any, Any, Any]) -> Response[str]:
    text = runtime_of(request).metrics.render()
    return Response(text, media_type=CONTENT_TYPE)


@dataclass(frozen=True)
class _Asset:
    body: bytes
    etag: str
    mtime_ns: int


_assets: dict[Path, _Asset] = {}


def _asset(path: Path) -> _Asset | None:
    """The file's bytes and ETag, re-read only when it changes on disk."""
    try:
        mtime_ns = path.stat().st_mtime_ns
    except OSError:
        return None
    cached = _assets.get(path)
    if cached is None or cached.mtime_ns != mtime_ns:
        try:
            body = path.read_bytes()
        except OSError:
            return None
        etag = '"' + hashlib.sha256(body).hexdigest()[:32] + '"'
        cached = _assets[path] = _Asset(body, etag, mtime_ns)
    return cached


def _serve_asset(
    request: Request[Any, Any, Any], path: Path, media_type: str, cache: str
) -> Response[Any]:
    asset = _asset(path)
    if asset is None:
        return _not_found(f"{path.name} is not installed.")
    headers = {"ETag": asset.etag, "Cache-Control": cache}
    if_none_match = request.headers.get("if-none-match", "")
    if asset.etag in [t.strip().removeprefix("W/") for t in if_none_match.split(",")]:
        return Response(b"", status_code=304, headers=headers)
    return Response(asset.body, media_type=media_type, headers=headers)


@get("/widget.js", summary="The embeddable widget")
async def widget(request: Request[Any, Any, Any]) -> Response[Any]:
    return _serve_asset(
        request,
        WIDGET_DIR / "widget.js",
        "text/javascript; charset=utf-8",
        "public, max-age=300",
    )


@get("/", summary="Demo page hosting the widget (RELAY_DEMO=1 only)")
async def demo(request: Request[Any, Any, Any]) -> Response[Any]:
    if not runtime_of(request).config.demo:
        return _not_found("The demo page is off; set RELAY_DEMO=1 to serve it.")
    return _serve_asset(request, WIDGET_DIR / "demo.html", "text/html; charset=utf-8", "no-cache")


@get("/schema/openapi.json", summary="This OpenAPI document", media_type="application/json")
async def openapi(request: Request[Any, Any, Any]) -> dict[str, Any]:
    return document(request.app)
