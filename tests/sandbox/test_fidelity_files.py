"""Where the live API bites on the Files / Vector Stores side (docs/development.md,
"Sandbox"): eventual consistency, an exhausted quota, the per-file token limit and
partial batches, each through the official SDK with its bodies checked against the spec."""

from __future__ import annotations

from typing import Any

import openai
import pytest

from testing.sandbox import API_KEY, sandbox_call, set_faults
from testing.servers import Server
from testing.waiting import wait_for
from tests._spec import assert_valid
from tests.sandbox.conftest import Upload, raw_json, wait_processed


def visible(client: Any, file_id: str) -> bool:
    """Whether the File is old enough to be found (``consistency_ms``)."""
    try:
        return bool(client.files.retrieve(file_id).id == file_id)
    except openai.NotFoundError:
        return False


def test_consistency_young_file_is_404_to_attach_batch_and_retrieve(
    sandbox: Server, client: Any, upload: Upload
) -> None:
    old = upload("old.md", "settled long ago")
    vs = client.vector_stores.create(name="s")
    set_faults(sandbox, consistency_ms=1500)
    wait_for(lambda: visible(client, old.id), what="'old' to be older than 1.5 s")
    young = upload("young.md", "uploaded a moment ago")
    expected = f"No file found with id '{young.id}'."

    with pytest.raises(openai.NotFoundError) as caught:
        client.files.retrieve(young.id)
    assert caught.value.body["message"] == expected
    assert_valid({"error": caught.value.body}, "ErrorResponse")
    with pytest.raises(openai.NotFoundError) as caught:
        client.vector_stores.files.create(vector_store_id=vs.id, file_id=young.id)
    assert caught.value.body["message"] == expected
    # a batch is refused whole, naming its first missing file; nothing is attached
    with pytest.raises(openai.NotFoundError) as caught:
        client.vector_stores.file_batches.create(vector_store_id=vs.id, file_ids=[old.id, young.id])
    assert (caught.value.body["message"], caught.value.param) == (expected, "file_ids[1]")
    with pytest.raises(openai.NotFoundError):
        client.vector_stores.create(name="t", file_ids=[young.id])
    assert client.vector_stores.files.list(vs.id).data == []
    # the file is listed all along (it exists; only its consistency lags)
    assert young.id in [f.id for f in client.files.list()]

    wait_for(lambda: visible(client, young.id), what="'young' to be older than 1.5 s")
    attached = client.vector_stores.files.create_and_poll(
        vector_store_id=vs.id, file_id=young.id, poll_interval_ms=20
    )
    assert attached.status == "completed"


def test_quota_every_call_is_429_insufficient_quota_without_retry(
    sandbox: Server, base_url: str
) -> None:
    set_faults(sandbox, quota=True, retry_after_ms=10)
    client = openai.OpenAI(api_key=API_KEY, base_url=base_url, max_retries=3, timeout=10)
    with pytest.raises(openai.RateLimitError) as caught:
        client.files.list()
    error = caught.value
    assert (error.status_code, error.code, error.type) == (
        429,
        "insufficient_quota",
        "insufficient_quota",
    )
    assert "quota" in error.message
    assert_valid({"error": error.body}, "ErrorResponse")
    headers = error.response.headers
    assert headers["x-should-retry"] == "false"
    assert "retry-after" not in headers
    assert "retry-after-ms" not in headers
    with pytest.raises(openai.RateLimitError):
        client.responses.create(model="gpt-5.4-mini", input="hi")
    with pytest.raises(openai.RateLimitError):
        client.vector_stores.create(name="s")
    # the SDK honours x-should-retry: false, so each call was sent exactly once
    counts = sandbox_call(sandbox, "GET", "/_sandbox/stats")["requests"]
    assert counts == {"GET /v1/files": 1, "POST /v1/responses": 1, "POST /v1/vector_stores": 1}
    set_faults(sandbox)
    assert client.files.list().data == []


@pytest.mark.anyio
async def test_quota_through_the_async_client(sandbox: Server, aclosing_client: Any) -> None:
    set_faults(sandbox, quota=True)
    with pytest.raises(openai.RateLimitError) as caught:
        await aclosing_client.models.list()
    assert caught.value.code == "insufficient_quota"


def test_file_over_max_file_tokens_fails_invalid_file(
    sandbox: Server, client: Any, upload: Upload
) -> None:
    set_faults(sandbox, max_file_tokens=50)
    big = upload("big.md", "word " * 51)
    small = upload("small.md", "word " * 50)
    vs = client.vector_stores.create(name="s")
    failed = client.vector_stores.files.create_and_poll(
        vector_store_id=vs.id, file_id=big.id, poll_interval_ms=20
    )
    assert failed.status == "failed"
    assert failed.last_error.code == "invalid_file"
    assert "51" in failed.last_error.message
    assert "50 tokens per file" in failed.last_error.message
    raw = raw_json(
        client.vector_stores.files.with_raw_response.retrieve(big.id, vector_store_id=vs.id)
    )
    assert_valid(raw, "VectorStoreFileObject")
    done = client.vector_stores.files.create_and_poll(
        vector_store_id=vs.id, file_id=small.id, poll_interval_ms=20
    )
    assert done.status == "completed"
    # the default limit is 2,000,000 tokens
    assert sandbox_call(sandbox, "POST", "/_sandbox/reset", {}) == {"ok": True}
    assert sandbox_call(sandbox, "GET", "/_sandbox/faults")["max_file_tokens"] == 2_000_000


def test_partial_batch_completes_with_failed_count(
    sandbox: Server, client: Any, upload: Upload
) -> None:
    set_faults(sandbox, max_file_tokens=20)
    ids = [
        upload("fine.md", "a short document").id,
        upload("long.md", "many words " * 30).id,
        upload("broken.json", "{not json").id,
    ]
    vs = client.vector_stores.create(name="s")
    batch = client.vector_stores.file_batches.create_and_poll(
        vector_store_id=vs.id, file_ids=ids, poll_interval_ms=20
    )
    assert batch.status == "completed"
    counts = batch.file_counts
    assert (counts.completed, counts.failed, counts.in_progress, counts.total) == (1, 2, 0, 3)
    raw = raw_json(
        client.vector_stores.file_batches.with_raw_response.retrieve(
            batch.id, vector_store_id=vs.id
        )
    )
    assert_valid(raw, "VectorStoreFileBatchObject")
    failed = client.vector_stores.file_batches.list_files(
        batch.id, vector_store_id=vs.id, filter="failed"
    )
    assert sorted(f.id for f in failed) == sorted(ids[1:])
    assert {f.last_error.code for f in failed} == {"invalid_file"}
    assert wait_processed(client, vs.id, ids[0]).status == "completed"
