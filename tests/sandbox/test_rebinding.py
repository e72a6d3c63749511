"""Issue 23, finding 9: the sandbox's ``/v1`` routes are as closed to web pages as its
control routes. A DNS-rebinding page reaches the loopback sandbox under its own host
name and could read the files of the KB or spend the sandbox as an API; every route
answers only a loopback ``Host`` (and ``Origin``, when one is sent)."""

from __future__ import annotations

import pytest

from testing.servers import Server
from tests._spec import assert_valid
from tests.conftest import API_KEY
from tests.sandbox.test_control_security import _send

BEARER = {"Authorization": f"Bearer {API_KEY}"}


@pytest.mark.parametrize(
    ("method", "path", "body"),
    [
        ("GET", "/v1/files", None),
        ("GET", "/v1/vector_stores", None),
        ("GET", "/v1/models", None),
        ("POST", "/v1/vector_stores", '{"name": "rebound"}'),
        ("POST", "/v1/responses", '{"model": "gpt-5.4-mini", "input": "hi"}'),
    ],
)
def test_api_routes_refuse_a_rebound_host(
    sandbox: Server, method: str, path: str, body: str | None
) -> None:
    headers = {**BEARER, "Host": f"rebound.example:{sandbox.port}"}
    if body is not None:
        headers["Content-Type"] = "application/json"
    status, answer = _send(sandbox, method, path, body, headers)
    assert status == 403
    assert_valid(answer, "ErrorResponse")
    assert "loopback" in answer["error"]["message"]


def test_api_routes_refuse_a_foreign_origin(sandbox: Server) -> None:
    headers = {**BEARER, "Host": f"127.0.0.1:{sandbox.port}", "Origin": "https://evil.example"}
    status, answer = _send(sandbox, "GET", "/v1/files", None, headers)
    assert status == 403
    assert_valid(answer, "ErrorResponse")


@pytest.mark.parametrize("host", ["127.0.0.1", "localhost", "[::1]"])
def test_api_routes_answer_loopback_clients(sandbox: Server, host: str) -> None:
    headers = {**BEARER, "Host": f"{host}:{sandbox.port}", "Origin": f"http://{host}:5173"}
    status, answer = _send(sandbox, "GET", "/v1/files", None, headers)
    assert status == 200
    assert answer["object"] == "list"
