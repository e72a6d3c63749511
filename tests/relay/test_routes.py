"""The small routes, the OpenAPI document and the route audit."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Any

import pytest
from litestar import Litestar
from litestar.routes import HTTPRoute
from litestar.testing import TestClient

from relay._config import Config
from relay._routes import WIDGET_DIR
from relay.app import create_app
from tests.relay.conftest import MakeRelay

# docs/http-api.md: every route the relay has, and its method.
DOCUMENTED_ROUTES = {
    ("POST", "/api/chat"),
    ("POST", "/api/feedback"),
    ("POST", "/api/lead"),
    ("POST", "/api/handoff"),
    ("GET", "/api/handoff"),
    ("POST", "/telegram/webhook"),
    ("GET", "/api/ping"),
    ("GET", "/healthz"),
    ("GET", "/readyz"),
    ("GET", "/metrics"),
    ("GET", "/widget.js"),
    ("GET", "/widget/{name}"),  # /widget/<sha>.js (issue 12 item 9)
    ("GET", "/"),
    ("GET", "/schema/openapi.json"),
}


def offline_app(tmp_path: Path, **overrides: Any) -> Litestar:
    """An app whose startup is never run: no sandbox needed."""
    return create_app(Config(kb_dir=tmp_path / "kb", relay_secret="x", **overrides))


def app_routes(app: Litestar) -> set[tuple[str, str]]:
    found: set[tuple[str, str]] = set()
    for route in app.routes:
        assert isinstance(route, HTTPRoute), f"unexpected route kind: {route!r}"
        for method in route.methods:
            if method not in ("OPTIONS", "HEAD"):  # CORS preflight, answered by Litestar
                found.add((method, route.path.replace(":str}", "}")))
    return found


def test_route_audit(tmp_path: Path) -> None:
    app = offline_app(tmp_path, allowed_origins=("https://club.example",), demo=True)
    assert app_routes(app) == DOCUMENTED_ROUTES
    with_body = {(m, p) for m, p in app_routes(app) if m in ("POST", "PUT", "PATCH", "DELETE")}
    assert with_body == {
        ("POST", "/api/chat"),
        ("POST", "/api/feedback"),
        ("POST", "/api/lead"),
        ("POST", "/api/handoff"),
        ("POST", "/telegram/webhook"),
    }


def test_no_other_route_answers(tmp_path: Path) -> None:
    with TestClient(offline_app(tmp_path)) as http:
        for path in sorted({path for _, path in DOCUMENTED_ROUTES}):
            for other in ("POST", "PUT", "PATCH", "DELETE"):
                if (other, path) not in DOCUMENTED_ROUTES:
                    response = http.request(other, path, content=b"{}")
                    assert response.status_code == 405, (other, path)
                    assert response.json()["error"]["code"] == "method_not_allowed"
        for path in (
            "/schema",
            "/schema/swagger",
            "/schema/openapi.yaml",
            "/api",
            "/admin",
            "/api/admin/upload",
        ):
            response = http.get(path)
            assert response.status_code == 404, path
            assert response.json() == {"error": {"code": "not_found", "message": "No such route."}}


def test_openapi_lists_exactly_the_design_routes(tmp_path: Path) -> None:
    with TestClient(offline_app(tmp_path)) as http:
        document = http.get("/schema/openapi.json").json()
    assert document["openapi"].startswith("3.1")
    listed = {(m.upper(), p) for p, item in document["paths"].items() for m in item}
    assert listed == DOCUMENTED_ROUTES
    chat = document["paths"]["/api/chat"]["post"]
    assert "text/event-stream" in chat["responses"]["200"]["content"]
    assert set(chat["responses"]) >= {"400", "403", "413", "415", "429", "502", "503", "504"}


def test_ping_and_health(tmp_path: Path) -> None:
    with TestClient(offline_app(tmp_path)) as http:
        ping = http.get("/api/ping").json()
        assert ping["ok"] is True
        assert datetime.fromisoformat(ping["t"].replace("Z", "+00:00")).tzinfo is not None
        assert set(ping) == {"ok", "t"}
        assert http.get("/healthz").status_code == 200
        ready = http.get("/readyz")  # no kb/ at all
        assert ready.status_code == 503
        # {"ready": bool} only; the reason goes to the log (issue 12 item 9).
        assert ready.json() == {"ready": False}


def test_ready(relay: TestClient[Any]) -> None:
    body = relay.get("/readyz").json()
    assert body == {"ready": True}


def test_metrics_exposition(tmp_path: Path) -> None:
    with TestClient(offline_app(tmp_path)) as http:
        http.get("/api/ping")
        http.get("/nowhere")
        response = http.get("/metrics")
    assert response.headers["content-type"].startswith("text/plain; version=0.0.4")
    text = response.text
    for family in (
        "relay_http_requests_total",
        "relay_open_streams",
        "relay_time_to_first_token_seconds",
        "relay_upstream_errors_total",
        "relay_rate_limited_total",
    ):
        assert f"# TYPE {family} " in text
    assert 'relay_http_requests_total{method="GET",route="/api/ping",status="200"} 1' in text
    assert 'relay_http_requests_total{method="GET",route="other",status="404"} 1' in text
    assert 'relay_time_to_first_token_seconds_bucket{le="+Inf"} 0' in text


def test_widget_with_etag(tmp_path: Path) -> None:
    with TestClient(offline_app(tmp_path)) as http:
        first = http.get("/widget.js")
        assert first.status_code == 200
        assert first.headers["content-type"].startswith("text/javascript")
        assert first.headers["cache-control"] == "public, max-age=300"
        etag = first.headers["etag"]
        assert first.content == (WIDGET_DIR / "widget.js").read_bytes()
        again = http.get("/widget.js", headers={"If-None-Match": etag})
        assert again.status_code == 304
        assert again.content == b""
        assert again.headers["etag"] == etag
        assert http.get("/widget.js", headers={"If-None-Match": '"other"'}).status_code == 200


def test_demo_page_only_when_enabled(tmp_path: Path) -> None:
    with TestClient(offline_app(tmp_path)) as http:
        assert http.get("/").status_code == 404
    with TestClient(offline_app(tmp_path, demo=True)) as http:
        page = http.get("/")
        assert page.status_code == 200
        assert page.headers["content-type"].startswith("text/html")


def test_missing_assets_are_404(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import relay._routes

    monkeypatch.setattr(relay._routes, "WIDGET_DIR", tmp_path / "nowhere")
    with TestClient(offline_app(tmp_path, demo=True)) as http:
        for path in ("/widget.js", "/"):
            response = http.get(path)
            assert response.status_code == 404
            assert response.json()["error"]["code"] == "not_found"


def test_internal_errors_hide_the_traceback(
    make_relay: MakeRelay, monkeypatch: pytest.MonkeyPatch
) -> None:
    with make_relay() as http:
        runtime = http.app.state.relay

        async def boom(*_: Any) -> str:
            raise RuntimeError("secret internals sk-test-kbsync")

        monkeypatch.setattr(runtime.upstream, "create_conversation", boom)
        response = http.post("/api/chat", json={"message": "hello"})
        assert response.status_code == 500
        assert response.json() == {
            "error": {"code": "internal_error", "message": "The relay failed; try again."}
        }
        assert runtime.slots.open == 0
