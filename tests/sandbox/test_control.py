"""The control surface, auth, OpenAI-shaped errors everywhere, and the response headers."""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from typing import Any

import openai
import pytest

from testing.sandbox import API_KEY, sandbox_call
from testing.servers import Server
from tests._spec import assert_valid
from tests.sandbox.conftest import Upload


def _http(
    server: Server, method: str, path: str, body: Any = None, key: str | None = API_KEY
) -> tuple[int, Any, Any]:
    headers = {"Content-Type": "application/json"}
    if key is not None:
        headers["Authorization"] = f"Bearer {key}"
    data = (
        None if body is None else (body if isinstance(body, bytes) else json.dumps(body).encode())
    )
    request = urllib.request.Request(server.url + path, data=data, method=method, headers=headers)
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, response.headers, json.loads(response.read())
    except urllib.error.HTTPError as error:
        return error.code, error.headers, json.loads(error.read())


def test_stats_and_requests_shapes(sandbox: Server, client: Any, upload: Upload) -> None:
    file = upload("a.md", "SECRET-BYTES-NOT-LOGGED")
    vs = client.vector_stores.create(name="s", metadata={"k": "v"})
    client.vector_stores.files.create(vector_store_id=vs.id, file_id=file.id)
    client.vector_stores.files.list(vs.id)
    client.vector_stores.files.retrieve(file.id, vector_store_id=vs.id)

    stats = sandbox_call(sandbox, "GET", "/_sandbox/stats")
    assert stats["total"] == 5
    assert stats["requests"] == {
        "POST /v1/files": 1,
        "POST /v1/vector_stores": 1,
        "POST /v1/vector_stores/{vector_store_id}/files": 1,
        "GET /v1/vector_stores/{vector_store_id}/files": 1,
        "GET /v1/vector_stores/{vector_store_id}/files/{file_id}": 1,
    }
    assert set(stats["streams"]) == {"open", "completed", "aborted"}

    log = sandbox_call(sandbox, "GET", "/_sandbox/requests?limit=3")["requests"]
    assert [(r["method"], r["path"]) for r in log] == [
        ("POST", f"/v1/vector_stores/{vs.id}/files"),
        ("GET", f"/v1/vector_stores/{vs.id}/files"),
        ("GET", f"/v1/vector_stores/{vs.id}/files/{file.id}"),
    ]
    assert log[0]["body"] == {"file_id": file.id}
    every = sandbox_call(sandbox, "GET", "/_sandbox/requests")["requests"]
    assert every[0]["method"] == "POST"
    assert every[0]["path"] == "/v1/files"
    assert every[0]["body"]["purpose"] == "assistants"
    assert every[0]["body"]["filename"] == "a.md"
    assert "SECRET-BYTES" not in json.dumps(every)
    assert every[1]["body"] == {"name": "s", "metadata": {"k": "v"}}


def test_reset_forgets_everything(sandbox: Server, client: Any, upload: Upload) -> None:
    upload("a.md", "x")
    sandbox_call(sandbox, "POST", "/_sandbox/faults", {"rate": 0.5, "kinds": ["500"], "seed": 1})
    assert sandbox_call(sandbox, "POST", "/_sandbox/reset", {}) == {"ok": True}
    assert sandbox_call(sandbox, "GET", "/_sandbox/stats")["total"] == 0
    assert sandbox_call(sandbox, "GET", "/_sandbox/requests")["requests"] == []
    assert sandbox_call(sandbox, "GET", "/_sandbox/faults")["rate"] == 0
    assert client.files.list().data == []


def test_401_without_bearer(sandbox: Server, base_url: str) -> None:
    status, _, body = _http(sandbox, "GET", "/v1/files", key=None)
    assert status == 401
    assert_valid(body, "ErrorResponse")
    client = openai.OpenAI(api_key=API_KEY, base_url=base_url, max_retries=0)
    with pytest.raises(openai.AuthenticationError) as caught:
        client.files.list(extra_headers={"Authorization": "Basic dXNlcjpwYXNz"})
    assert caught.value.status_code == 401


def test_openai_headers_on_every_response(sandbox: Server, client: Any) -> None:
    raw = client.files.with_raw_response.list()
    for headers in (
        raw.headers,
        _http(sandbox, "GET", "/v1/nope")[1],
        _http(sandbox, "GET", "/_sandbox/stats")[1],
    ):
        assert headers["x-request-id"].startswith("req_")
        assert headers["openai-version"]
        assert int(headers["openai-processing-ms"]) >= 0


@pytest.mark.parametrize(
    ("method", "path", "body", "status"),
    [
        ("GET", "/v1/no/such/route", None, 404),
        ("PUT", "/v1/files", None, 405),
        ("GET", "/v1/files/file-missing", None, 404),
        ("POST", "/v1/vector_stores", b"{not json", 400),
        ("POST", "/v1/vector_stores", [1, 2], 400),
        ("GET", "/v1/vector_stores?limit=abc", None, 400),
        ("GET", "/v1/vector_stores?order=sideways", None, 400),
    ],
)
def test_errors_have_the_openai_shape(
    sandbox: Server, method: str, path: str, body: Any, status: int
) -> None:
    got, _, reply = _http(sandbox, method, path, body)
    assert got == status
    assert_valid(reply, "ErrorResponse")


def test_validation_400_names_the_param(client: Any, upload: Upload) -> None:
    with pytest.raises(openai.BadRequestError) as caught:
        client.vector_stores.create(name="s", extra_body={"colour": "red"})
    assert caught.value.param == "colour"
    assert caught.value.code == "unknown_parameter"
    with pytest.raises(openai.BadRequestError) as caught:
        client.vector_stores.create(name="s", expires_after={"anchor": "last_active_at", "days": 0})
    assert caught.value.param == "expires_after.days"
    vs = client.vector_stores.create(name="s")
    file = upload("a.md", "x")
    with pytest.raises(openai.BadRequestError) as caught:
        client.vector_stores.files.create(
            vector_store_id=vs.id, file_id=file.id, attributes={f"k{n}": n for n in range(17)}
        )
    assert caught.value.param == "attributes"
    with pytest.raises(openai.BadRequestError) as caught:
        client.vector_stores.files.list(vs.id, filter="done")  # type: ignore[arg-type]
    assert caught.value.param == "filter"


def test_validate_body_for_the_other_half() -> None:
    from sandbox._errors import ApiError
    from sandbox._schema import validate_body

    validate_body("CreateConversationBody", {"metadata": {"a": "b"}})
    with pytest.raises(ApiError) as caught:
        validate_body("CreateResponse", {"model": "gpt-5.4-mini", "input": "hi", "temprature": 1})
    assert caught.value.status == 400
    assert caught.value.param == "temprature"
