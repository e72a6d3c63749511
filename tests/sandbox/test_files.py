"""Files API through the official SDK (sync and async), every reply checked against the spec."""

from __future__ import annotations

import asyncio
from typing import Any

import openai
import pytest

from tests._spec import assert_valid
from tests.sandbox.conftest import Upload, raw_json, wait_processed


def test_create_retrieve_content_delete(client: Any) -> None:
    raw = client.files.with_raw_response.create(
        file=("notes.md", b"# Notes\nhello"), purpose="assistants"
    )
    body = raw_json(raw)
    assert_valid(body, "OpenAIFile")
    assert body["object"] == "file"
    assert body["bytes"] == len(b"# Notes\nhello")
    assert body["filename"] == "notes.md"
    assert body["purpose"] == "assistants"
    assert body["status"] == "processed"
    assert body["id"].startswith("file-")

    got = client.files.with_raw_response.retrieve(body["id"])
    assert raw_json(got) == body
    assert client.files.content(body["id"]).content == b"# Notes\nhello"

    deleted = client.files.with_raw_response.delete(body["id"])
    assert_valid(raw_json(deleted), "DeleteFileResponse")
    assert raw_json(deleted) == {"id": body["id"], "object": "file", "deleted": True}
    with pytest.raises(openai.NotFoundError) as caught:
        client.files.retrieve(body["id"])
    assert caught.value.status_code == 404
    assert_valid(caught.value.body and {"error": caught.value.body}, "ErrorResponse")


def test_expires_after(client: Any) -> None:
    file = client.files.create(
        file=("a.txt", b"x"),
        purpose="assistants",
        expires_after={"anchor": "created_at", "seconds": 3600},
    )
    assert file.expires_at == file.created_at + 3600
    with pytest.raises(openai.BadRequestError) as caught:
        client.files.create(
            file=("a.txt", b"x"),
            purpose="assistants",
            expires_after={"anchor": "created_at", "seconds": 10},
        )
    assert caught.value.param == "expires_after.seconds"


def test_bad_purpose_and_missing_file(client: Any) -> None:
    with pytest.raises(openai.BadRequestError) as caught:
        client.files.create(file=("a.txt", b"x"), purpose="nonsense")
    assert caught.value.param == "purpose"


def test_list_order_limit_after_purpose(client: Any, upload: Upload) -> None:
    ids = [upload(f"f{n}.txt", f"file {n}").id for n in range(5)]
    other = upload("data.jsonl", "{}", purpose="batch").id

    raw = client.files.with_raw_response.list(limit=2, order="asc", purpose="assistants")
    body = raw_json(raw)
    assert_valid(body, "ListFilesResponse")
    assert [f["id"] for f in body["data"]] == ids[:2]
    assert body["has_more"] is True
    assert body["first_id"] == ids[0]
    assert body["last_id"] == ids[1]

    everything = [f.id for f in client.files.list(limit=2, order="asc", purpose="assistants")]
    assert everything == ids
    newest_first = [f.id for f in client.files.list()]
    assert newest_first == [other, *reversed(ids)]
    after = client.files.list(after=ids[2], order="asc")
    assert [f.id for f in after.data] == [ids[3], ids[4], other]
    assert after.has_more is False


def test_empty_list_is_valid(client: Any) -> None:
    body = raw_json(client.files.with_raw_response.list())
    assert_valid(body, "ListFilesResponse")
    assert body["data"] == []
    assert body["has_more"] is False


def test_delete_removes_from_every_vector_store_but_leaves_the_counts(
    client: Any, upload: Upload
) -> None:
    file = upload("a.md", "shared document")
    stores = [client.vector_stores.create(name=f"s{n}", file_ids=[file.id]) for n in range(2)]
    for store in stores:
        wait_processed(client, store.id, file.id)
    client.files.delete(file.id)
    for store in stores:
        assert list(client.vector_stores.files.list(store.id)) == []
        # the live API does not recount a store when a File still attached is deleted
        counts = client.vector_stores.retrieve(store.id).file_counts
        assert (counts.completed, counts.total) == (1, 1)
        assert not client.vector_stores.search(store.id, query="shared document").data
    # detaching first (what kbsync does) keeps the counts true
    other = upload("b.md", "another document")
    store = client.vector_stores.create(name="s2", file_ids=[other.id])
    wait_processed(client, store.id, other.id)
    client.vector_stores.files.delete(other.id, vector_store_id=store.id)
    client.files.delete(other.id)
    assert client.vector_stores.retrieve(store.id).file_counts.total == 0


def test_async_client_files(aclient: Any) -> None:
    async def scenario() -> None:
        created = await aclient.files.with_raw_response.create(
            file=("a.md", b"async"), purpose="user_data"
        )
        body = raw_json(created)
        assert_valid(body, "OpenAIFile")
        assert body["purpose"] == "user_data"
        got = await aclient.files.retrieve(body["id"])
        assert got.id == body["id"]
        listed = [f.id async for f in aclient.files.list()]
        assert listed == [body["id"]]
        assert (await aclient.files.content(body["id"])).content == b"async"
        deleted = await aclient.files.delete(body["id"])
        assert deleted.deleted is True
        with pytest.raises(openai.NotFoundError):
            await aclient.files.retrieve(body["id"])

    asyncio.run(scenario())
