"""One OpenAI client configuration: both seams (sync, answer) send the same identity."""

from __future__ import annotations

import asyncio
import contextlib
import http.server
import threading
from collections.abc import Iterator
from typing import Any

import pytest

from answer import Upstream
from kbcore.errors import KbsyncError
from kbcore.openai_client import MISSING_KEY, ClientConfigError, ClientSettings, redact_url
from relay._config import Config
from sync._remote import Remote

HEADERS = ("authorization", "openai-organization", "openai-project")


@pytest.fixture
def capture() -> Iterator[tuple[str, list[dict[str, str]]]]:
    """A loopback server that records each request's identity headers and answers 404."""
    seen: list[dict[str, str]] = []

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            seen.append({name: self.headers.get(name, "") for name in HEADERS})
            body = b'{"error": {"message": "no", "type": "invalid_request_error"}}'
            self.send_response(404)
            self.send_header("content-type", "application/json")
            self.send_header("content-length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *_: Any) -> None:
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}/v1", seen
    server.shutdown()
    server.server_close()


def test_sync_and_answer_send_the_same_project_and_organization(
    capture: tuple[str, list[dict[str, str]]], monkeypatch: pytest.MonkeyPatch
) -> None:
    base_url, seen = capture
    monkeypatch.setenv("OPENAI_BASE_URL", base_url)
    monkeypatch.setenv("OPENAI_PROJECT_ID", "proj_kb")
    monkeypatch.setenv("OPENAI_ORG_ID", "org_club")

    remote = Remote.from_env()
    with contextlib.suppress(KbsyncError):
        remote.check_model("gpt-5.4-mini")
    remote.close()

    async def relay_lookup() -> None:
        upstream = Upstream(Config.from_env().client_settings, timeout=5)
        with contextlib.suppress(KbsyncError):
            await upstream.find_vector_store("club", "vs_1")
        await upstream.aclose()

    asyncio.run(relay_lookup())
    by_sync, by_relay = seen
    assert by_sync == by_relay
    assert by_sync["openai-project"] == "proj_kb"
    assert by_sync["openai-organization"] == "org_club"


def test_the_old_project_variable_is_named_not_ignored() -> None:
    with pytest.raises(ClientConfigError, match="rename the variable to OPENAI_PROJECT_ID"):
        ClientSettings.from_env({"OPENAI_API_KEY": "sk-x", "OPENAI_PROJECT": "proj_kb"})


def test_a_missing_key_is_one_sentence() -> None:
    settings = ClientSettings.from_env({})
    with pytest.raises(ClientConfigError) as raised:
        settings.client_kwargs(timeout=5)
    assert str(raised.value) == MISSING_KEY
    assert settings.client_kwargs(timeout=5, placeholder_key=True)["api_key"] == (
        "missing-OPENAI_API_KEY"
    )


def test_credentials_in_a_base_url_are_redacted() -> None:
    assert redact_url("https://user:pw@proxy.example/v1") == "https://***@proxy.example/v1"
    assert redact_url("https://proxy.example/v1") == "https://proxy.example/v1"
    shown = ClientSettings(base_url="http://a:b@127.0.0.1:8787/v1").shown_base_url
    assert shown == "http://***@127.0.0.1:8787/v1"
