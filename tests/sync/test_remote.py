"""The API seam: retries, backoff, pagination and error translation (scripted transport)."""

from __future__ import annotations

import email.utils
import json
import random
import time
from collections.abc import Callable
from pathlib import Path

import httpx2
import openai
import pytest

from kbcore.errors import KbError, RemoteError
from sync._remote import Remote
from sync._remote_errors import FileNotFound, QuotaExhausted
from sync._retry import RetryPolicy, server_hint

KEY = "sk-secret-do-not-show-0123456789"
Handler = Callable[[httpx2.Request], httpx2.Response]


def remote_with(handler: Handler, *, attempts: int = 4) -> tuple[Remote, list[float]]:
    client = openai.OpenAI(
        api_key=KEY,
        base_url="http://api.test/v1",
        max_retries=0,
        http_client=httpx2.Client(transport=httpx2.MockTransport(handler)),
    )
    slept: list[float] = []
    remote = Remote(client, policy=RetryPolicy(attempts=attempts), sleep=slept.append)
    return remote, slept


def model(request: httpx2.Request) -> httpx2.Response:
    return httpx2.Response(
        200, json={"id": "m", "object": "model", "created": 0, "owned_by": "openai"}
    )


def failing_then(codes: list[int | str], headers: dict[str, str] | None = None) -> Handler:
    """Answers with each of ``codes`` in turn ("reset" drops the connection), then succeeds."""
    queue = list(codes)

    def handle(request: httpx2.Request) -> httpx2.Response:
        if not queue:
            return model(request)
        code = queue.pop(0)
        if code == "reset":
            raise httpx2.RemoteProtocolError("peer closed connection", request=request)
        body = {"error": {"message": f"status {code}", "type": "server_error"}}
        return httpx2.Response(int(code), headers=headers or {}, json=body)

    return handle


def test_retries_429_honouring_retry_after_ms_and_counts_them() -> None:
    remote, slept = remote_with(failing_then([429, 429], {"retry-after-ms": "1500"}))
    remote.check_model("m")
    assert slept == [1.5, 1.5]
    assert (remote.requests, remote.retries) == (3, 2)


def test_retries_5xx_and_resets_with_backoff() -> None:
    remote, slept = remote_with(failing_then([500, "reset", 503]))
    remote.check_model("m")
    assert remote.retries == 3
    policy = RetryPolicy(attempts=4)
    for attempt, delay in enumerate(slept, start=1):
        ceiling = min(policy.cap, policy.base * 2 ** (attempt - 1))
        assert ceiling / 2 <= delay <= ceiling


def test_gives_up_after_the_attempts_with_one_sentence() -> None:
    remote, _ = remote_with(failing_then([500] * 10), attempts=3)
    with pytest.raises(RemoteError) as caught:
        remote.check_model("m")
    assert str(caught.value) == (
        "The API failed while looking up model 'm' after 3 attempts (500: status 500); "
        "run kbsync again later."
    )
    assert isinstance(caught.value.__cause__, openai.InternalServerError)


def test_client_errors_are_not_retried() -> None:
    remote, slept = remote_with(failing_then([400]))
    with pytest.raises(RemoteError, match=r"refused looking up model 'm' \(400: status 400\)"):
        remote.check_model("m")
    assert slept == []


def test_bad_key_message_never_shows_the_key() -> None:
    remote, _ = remote_with(failing_then([401]))
    with pytest.raises(RemoteError) as caught:
        remote.check_model("m")
    assert "check OPENAI_API_KEY" in str(caught.value)
    assert KEY not in str(caught.value)


def test_unknown_model_is_one_sentence() -> None:
    remote, _ = remote_with(failing_then([404]))
    with pytest.raises(RemoteError, match=r"^Model 'm' does not exist for this API key; fix"):
        remote.check_model("m")


def test_unreachable_api_names_the_variable() -> None:
    def refuse(request: httpx2.Request) -> httpx2.Response:
        raise httpx2.ConnectError("connection refused", request=request)

    remote, slept = remote_with(refuse, attempts=2)
    with pytest.raises(RemoteError, match="check OPENAI_BASE_URL and the network"):
        remote.check_model("m")
    assert len(slept) == 1


def test_list_files_follows_has_more_to_the_end() -> None:
    files = [
        {
            "id": f"file-{n:03}",
            "object": "vector_store.file",
            "created_at": n,
            "status": "completed",
            "usage_bytes": 1,
            "vector_store_id": "vs_1",
            "last_error": None,
            "attributes": {"kb_path": f"{n}.md", "kb_sha256": "0" * 64},
            "chunking_strategy": {
                "type": "static",
                "static": {"max_chunk_size_tokens": 800, "chunk_overlap_tokens": 400},
            },
        }
        for n in range(250)
    ]
    seen: list[str] = []

    def pages(request: httpx2.Request) -> httpx2.Response:
        seen.append(str(request.url))
        after = request.url.params.get("after")
        start = 0 if after is None else next(i for i, f in enumerate(files) if f["id"] == after) + 1
        limit = int(request.url.params["limit"])
        data = files[start : start + limit]
        body = {
            "object": "list",
            "data": data,
            "first_id": data[0]["id"],
            "last_id": data[-1]["id"],
            "has_more": start + limit < len(files),
        }
        return httpx2.Response(
            200, content=json.dumps(body).encode(), headers={"content-type": "application/json"}
        )

    remote, _ = remote_with(pages)
    listed = remote.list_files("vs_1")
    assert [f.id for f in listed] == [f["id"] for f in files]
    assert listed[0].chunking == (800, 400)
    assert listed[0].path == "0.md"
    assert len(seen) == 3


def test_retry_policy_prefers_the_server_hint_capped() -> None:
    policy = RetryPolicy(max_server_wait=10)
    assert policy.delay(1, {"retry-after": "3"}) == 3
    assert policy.delay(1, {"retry-after": "3", "retry-after-ms": "250"}) == 0.25
    assert policy.delay(1, {"retry-after": "3600"}) == 10
    rng = random.Random(1)
    assert 4 <= policy.delay(6, {}, rng=rng) <= 8  # capped at 8 s before jitter


def test_retry_after_as_an_http_date() -> None:
    later = email.utils.formatdate(time.time() + 30, usegmt=True)
    hint = server_hint({"retry-after": later})
    assert hint is not None
    assert 25 <= hint <= 31
    assert server_hint({"retry-after": "soon"}) is None


def test_from_env_refuses_a_missing_key(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("OPENAI_API_KEY")
    with pytest.raises(RemoteError, match=r"^OPENAI_API_KEY is not set"):
        Remote.from_env()


def test_from_env_reads_the_base_url(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OPENAI_BASE_URL", "http://127.0.0.1:9/v1")
    remote = Remote.from_env()
    assert remote.base_url == "http://127.0.0.1:9/v1"
    remote.close()


def test_x_should_retry_false_is_not_retried_even_on_a_5xx() -> None:
    remote, slept = remote_with(failing_then([500], {"x-should-retry": "false"}))
    with pytest.raises(RemoteError, match=r"\(500: status 500\)"):
        remote.check_model("m")
    assert slept == []
    assert remote.requests == 1


def test_x_should_retry_true_is_retried_even_on_a_4xx() -> None:
    remote, slept = remote_with(failing_then([400, 400], {"x-should-retry": "true"}))
    remote.check_model("m")
    assert len(slept) == 2
    assert (remote.requests, remote.retries) == (3, 2)


def test_exhausted_quota_is_one_sentence_and_never_retried() -> None:
    def quota(request: httpx2.Request) -> httpx2.Response:
        body = {
            "error": {
                "message": "You exceeded your current quota, please check your plan.",
                "type": "insufficient_quota",
                "code": "insufficient_quota",
                "param": None,
            }
        }
        return httpx2.Response(429, headers={"x-should-retry": "false"}, json=body)

    remote, slept = remote_with(quota)
    with pytest.raises(QuotaExhausted) as caught:
        remote.check_model("m")
    assert str(caught.value) == (
        "OpenAI refused: the API key's quota is exhausted (insufficient_quota); add credit or "
        "raise the limit at https://platform.openai.com/settings/organization/billing, then "
        "run kbsync again."
    )
    assert slept == []
    assert remote.requests == 1


def test_a_404_naming_a_file_says_which() -> None:
    def missing(request: httpx2.Request) -> httpx2.Response:
        body = {
            "error": {
                "message": "No file found with id 'file-young1'.",
                "type": "invalid_request_error",
                "param": "files[3]",
                "code": None,
            }
        }
        return httpx2.Response(404, json=body)

    remote, slept = remote_with(missing)
    with pytest.raises(FileNotFound) as caught:
        remote.attach("vs_1", [("file-young1", {})], None)
    assert caught.value.file_id == "file-young1"
    assert slept == []


@pytest.mark.parametrize(
    ("name", "mime"),
    [
        ("main~vs_1.ts", "application/typescript"),  # mimetypes says video/mp2t
        ("tool~vs_1.go", "text/x-golang"),  # mimetypes has nothing
        ("guide~vs_1.md", "text/markdown"),
        ("report~vs_1.PDF", "application/pdf"),
    ],
)
def test_uploads_carry_the_documented_mime_type(tmp_path: Path, name: str, mime: str) -> None:
    sent: list[bytes] = []

    def accept(request: httpx2.Request) -> httpx2.Response:
        sent.append(request.read())
        body = {
            "id": "file-1",
            "object": "file",
            "bytes": 5,
            "created_at": 0,
            "filename": name,
            "purpose": "assistants",
            "status": "processed",
        }
        return httpx2.Response(200, json=body)

    source = tmp_path / "doc"
    source.write_bytes(b"hello")
    remote, _ = remote_with(accept)
    assert remote.upload(source, name) == "file-1"
    (body,) = sent
    assert f'filename="{name}"\r\nContent-Type: {mime}\r\n'.encode() in body


def test_a_document_swapped_for_a_link_before_its_upload_is_not_read(
    tmp_path: Path,
) -> None:
    """Issue 12 item 1: the upload opens with O_NOFOLLOW; a link swapped in after the
    KB was loaded is refused with one sentence, and nothing is sent."""
    secret = tmp_path / "environ"
    secret.write_bytes(b"OPENAI_API_KEY=leak\n")
    document = tmp_path / "page.md"
    document.symlink_to(secret)
    sent: list[httpx2.Request] = []

    def handle(request: httpx2.Request) -> httpx2.Response:
        sent.append(request)
        return httpx2.Response(500)

    remote, _ = remote_with(handle)
    with pytest.raises(KbError, match=r"page\.md: cannot be read for upload \(is now a symbolic"):
        remote.upload(document, "page~vs_1.md")
    assert sent == []
