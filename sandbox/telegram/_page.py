"""The page at ``/_sandbox/telegram/``: chat as a Telegram user, and as an operator in
the operators' forum group, in a browser. Plain HTML and JS under a strict
Content-Security-Policy (no inline script or style, nothing from elsewhere)."""

from __future__ import annotations

from functools import cache
from pathlib import Path
from typing import Any

from litestar import Response

PAGE_DIR = Path(__file__).with_name("page")
CSP = (
    "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; "
    "img-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'"
)
_TYPES = {
    "index.html": "text/html",
    "page.js": "text/javascript",
    "page.css": "text/css",
}


@cache
def _read(name: str) -> bytes:
    return (PAGE_DIR / name).read_bytes()


def page_asset(name: str) -> Response[Any]:
    media_type = _TYPES.get(name)
    if media_type is None:
        body = {"ok": False, "error_code": 404, "description": "Not Found"}
        return Response(body, status_code=404, media_type="application/json")
    headers = {
        "Content-Security-Policy": CSP,
        "Cache-Control": "no-cache",
        "X-Content-Type-Options": "nosniff",
        "Referrer-Policy": "no-referrer",
    }
    return Response(_read(name), media_type=media_type, headers=headers)
