"""Vector-store file batches through the official SDK."""

from __future__ import annotations

import asyncio
from typing import Any

import openai
import pytest

from testing.sandbox import set_faults
from testing.servers import Server
from tests._spec import assert_valid
from tests.sandbox.conftest import Upload, raw_json


def test_batch_with_file_ids_and_shared_attributes(client: Any, upload: Upload) -> None:
    files = [upload(f"d{n}.md", f"document {n}") for n in range(4)]
    vs = client.vector_stores.create(name="s")
    raw = client.vector_stores.file_batches.with_raw_response.create(
        vector_store_id=vs.id, file_ids=[f.id for f in files], attributes={"lang": "en"}
    )
    body = raw_json(raw)
    assert_valid(body, "VectorStoreFileBatchObject")
    assert body["object"] == "vector_store.files_batch"
    assert body["status"] == "in_progress"
    assert body["file_counts"]["total"] == 4
    assert raw.headers["openai-poll-after-ms"]

    done = client.vector_stores.file_batches.poll(
        body["id"], vector_store_id=vs.id, poll_interval_ms=20
    )
    assert done.status == "completed"
    assert done.file_counts.completed == 4
    got = raw_json(
        client.vector_stores.file_batches.with_raw_response.retrieve(
            body["id"], vector_store_id=vs.id
        )
    )
    assert_valid(got, "VectorStoreFileBatchObject")
    for obj in client.vector_stores.files.list(vs.id):
        assert obj.attributes == {"lang": "en"}

    page = raw_json(
        client.vector_stores.file_batches.with_raw_response.list_files(
            body["id"], vector_store_id=vs.id, limit=3, order="asc"
        )
    )
    assert_valid(page, "ListVectorStoreFilesResponse")
    assert [f["id"] for f in page["data"]] == [f.id for f in files[:3]]
    assert page["has_more"] is True
    every = client.vector_stores.file_batches.list_files(body["id"], vector_store_id=vs.id, limit=3)
    assert [f.id for f in every] == [f.id for f in reversed(files)]


def test_batch_with_per_file_attributes(client: Any, upload: Upload) -> None:
    a, b = upload("a.md", "alpha"), upload("b.md", "beta")
    vs = client.vector_stores.create(name="s")
    batch = client.vector_stores.file_batches.create_and_poll(
        vector_store_id=vs.id,
        files=[
            {"file_id": a.id, "attributes": {"kb_path": "a.md"}},
            {
                "file_id": b.id,
                "attributes": {"kb_path": "b.md"},
                "chunking_strategy": {
                    "type": "static",
                    "static": {"max_chunk_size_tokens": 200, "chunk_overlap_tokens": 0},
                },
            },
        ],
        poll_interval_ms=20,
    )
    assert batch.file_counts.completed == 2
    got_a = client.vector_stores.files.retrieve(a.id, vector_store_id=vs.id)
    got_b = client.vector_stores.files.retrieve(b.id, vector_store_id=vs.id)
    assert got_a.attributes == {"kb_path": "a.md"}
    assert got_b.attributes == {"kb_path": "b.md"}
    assert got_b.chunking_strategy.static.max_chunk_size_tokens == 200


def test_batch_validation(client: Any, upload: Upload) -> None:
    a = upload("a.md", "alpha")
    png = upload("a.png", b"\x89PNG")
    vs = client.vector_stores.create(name="s")
    with pytest.raises(openai.BadRequestError) as caught:
        client.vector_stores.file_batches.create(
            vector_store_id=vs.id, file_ids=[f"file-{n}" for n in range(2001)]
        )
    assert caught.value.param == "file_ids"
    with pytest.raises(openai.BadRequestError):
        client.vector_stores.file_batches.create(
            vector_store_id=vs.id, file_ids=[a.id], files=[{"file_id": a.id}]
        )
    with pytest.raises(openai.BadRequestError) as caught:
        client.vector_stores.file_batches.create(vector_store_id=vs.id, file_ids=[a.id, png.id])
    assert caught.value.code == "unsupported_file"
    assert caught.value.param == "file_ids[1]"
    with pytest.raises(openai.NotFoundError):
        client.vector_stores.file_batches.create(vector_store_id=vs.id, file_ids=["file-nope"])
    assert list(client.vector_stores.files.list(vs.id)) == []  # all or nothing


def test_cancel_stuck_batch(client: Any, upload: Upload, sandbox: Server) -> None:
    files = [upload(f"d{n}.md", f"document {n}") for n in range(3)]
    vs = client.vector_stores.create(name="s")
    set_faults(sandbox, rate=1.0, kinds=["stuck"], seed=1)
    batch = client.vector_stores.file_batches.create(
        vector_store_id=vs.id, file_ids=[f.id for f in files]
    )
    set_faults(sandbox)
    cancelled = raw_json(
        client.vector_stores.file_batches.with_raw_response.cancel(batch.id, vector_store_id=vs.id)
    )
    assert_valid(cancelled, "VectorStoreFileBatchObject")
    assert cancelled["status"] == "cancelled"
    assert cancelled["file_counts"]["cancelled"] == 3
    assert cancelled["file_counts"]["in_progress"] == 0
    statuses = {f.status for f in client.vector_stores.files.list(vs.id)}
    assert statuses == {"cancelled"}
    assert [
        f.id
        for f in client.vector_stores.file_batches.list_files(
            batch.id, vector_store_id=vs.id, filter="cancelled"
        )
    ]


def test_async_batches(aclient: Any) -> None:
    async def scenario() -> None:
        files = [
            await aclient.files.create(file=(f"a{n}.md", b"text"), purpose="assistants")
            for n in range(2)
        ]
        vs = await aclient.vector_stores.create(name="s")
        batch = await aclient.vector_stores.file_batches.create_and_poll(
            vector_store_id=vs.id, file_ids=[f.id for f in files], poll_interval_ms=20
        )
        assert batch.file_counts.completed == 2
        got = await aclient.vector_stores.file_batches.retrieve(batch.id, vector_store_id=vs.id)
        assert got.status == "completed"
        listed = [
            f.id
            async for f in aclient.vector_stores.file_batches.list_files(
                batch.id, vector_store_id=vs.id
            )
        ]
        assert sorted(listed) == sorted(f.id for f in files)
        cancelled = await aclient.vector_stores.file_batches.cancel(batch.id, vector_store_id=vs.id)
        assert cancelled.status == "completed"  # nothing left to cancel

    asyncio.run(scenario())
