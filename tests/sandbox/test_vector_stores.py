"""Vector stores and vector-store files through the official SDK, checked against the spec."""

from __future__ import annotations

import asyncio
from typing import Any

import openai
import pytest

from tests._spec import assert_valid
from tests.sandbox.conftest import Upload, make_docx, make_pdf, raw_json, wait_processed

STATIC = {"type": "static", "static": {"max_chunk_size_tokens": 100, "chunk_overlap_tokens": 20}}


def test_vector_store_lifecycle(client: Any) -> None:
    raw = client.vector_stores.with_raw_response.create(
        name="kb:club",
        metadata={"kb_name": "club"},
        expires_after={"anchor": "last_active_at", "days": 7},
    )
    body = raw_json(raw)
    assert_valid(body, "VectorStoreObject")
    assert body["object"] == "vector_store"
    assert body["name"] == "kb:club"
    assert body["metadata"] == {"kb_name": "club"}
    assert body["status"] == "completed"
    assert body["usage_bytes"] == 0
    assert body["file_counts"] == {
        "in_progress": 0, "completed": 0, "failed": 0, "cancelled": 0, "total": 0
    }  # fmt: skip
    assert body["expires_after"] == {"anchor": "last_active_at", "days": 7}
    assert body["expires_at"] == body["last_active_at"] + 7 * 86400
    vs_id = body["id"]

    assert raw_json(client.vector_stores.with_raw_response.retrieve(vs_id)) == body

    updated = raw_json(
        client.vector_stores.with_raw_response.update(vs_id, metadata={"kb_name": "club", "x": "1"})
    )
    assert_valid(updated, "VectorStoreObject")
    assert updated["name"] == "kb:club"
    assert updated["metadata"] == {"kb_name": "club", "x": "1"}
    assert updated["expires_after"] == body["expires_after"]

    cleared = raw_json(
        client.vector_stores.with_raw_response.update(vs_id, expires_after=None, metadata=None)
    )
    assert_valid(cleared, "VectorStoreObject")
    assert "expires_after" not in cleared
    assert cleared["expires_at"] is None
    assert cleared["metadata"] == {}
    assert cleared["name"] == "kb:club"

    deleted = raw_json(client.vector_stores.with_raw_response.delete(vs_id))
    assert_valid(deleted, "DeleteVectorStoreResponse")
    assert deleted == {"id": vs_id, "object": "vector_store.deleted", "deleted": True}
    with pytest.raises(openai.NotFoundError):
        client.vector_stores.retrieve(vs_id)


def test_list_vector_stores_after_before(client: Any) -> None:
    ids = [client.vector_stores.create(name=f"s{n}").id for n in range(5)]
    body = raw_json(client.vector_stores.with_raw_response.list(limit=2))
    assert_valid(body, "ListVectorStoresResponse")
    assert [v["id"] for v in body["data"]] == [ids[4], ids[3]]
    assert body["has_more"] is True
    assert [v.id for v in client.vector_stores.list(limit=2)] == ids[::-1]
    assert [v.id for v in client.vector_stores.list(order="asc", after=ids[1])] == ids[2:]
    before = client.vector_stores.list(order="asc", before=ids[3])
    assert [v.id for v in before.data] == ids[:3]
    with pytest.raises(openai.BadRequestError) as caught:
        client.vector_stores.list(limit=101)
    assert caught.value.param == "limit"


def test_create_with_file_ids_processes_in_background(client: Any, upload: Upload) -> None:
    files = [upload(f"doc{n}.md", f"document number {n}") for n in range(3)]
    raw = client.vector_stores.with_raw_response.create(
        name="s", file_ids=[f.id for f in files], chunking_strategy=STATIC
    )
    body = raw_json(raw)
    assert_valid(body, "VectorStoreObject")
    assert body["status"] == "in_progress"
    assert body["file_counts"]["in_progress"] == 3
    for file in files:
        done = wait_processed(client, body["id"], file.id)
        assert done.status == "completed"
        assert done.chunking_strategy.static.max_chunk_size_tokens == 100
    store = client.vector_stores.retrieve(body["id"])
    assert store.status == "completed"
    assert store.file_counts.completed == 3
    assert store.usage_bytes == sum(f.bytes for f in files)


def test_vector_store_file_routes(client: Any, upload: Upload) -> None:
    file = upload("prices.md", "# Prices\nA visit costs 1500 rubles.")
    vs = client.vector_stores.create(name="s")
    raw = client.vector_stores.files.with_raw_response.create(
        vector_store_id=vs.id, file_id=file.id, attributes={"kb_path": "prices.md", "n": 3}
    )
    assert raw.headers["openai-poll-after-ms"] == "50"
    body = raw_json(raw)
    assert_valid(body, "VectorStoreFileObject")
    assert body["status"] == "in_progress"
    assert body["id"] == file.id
    assert body["vector_store_id"] == vs.id
    assert body["last_error"] is None
    assert body["chunking_strategy"] == {
        "type": "static", "static": {"max_chunk_size_tokens": 800, "chunk_overlap_tokens": 400}
    }  # fmt: skip

    done = client.vector_stores.files.poll(file.id, vector_store_id=vs.id, poll_interval_ms=20)
    assert done.status == "completed"
    assert done.usage_bytes > 0
    got = raw_json(
        client.vector_stores.files.with_raw_response.retrieve(file.id, vector_store_id=vs.id)
    )
    assert_valid(got, "VectorStoreFileObject")
    assert got["attributes"] == {"kb_path": "prices.md", "n": 3}

    updated = raw_json(
        client.vector_stores.files.with_raw_response.update(
            file.id, vector_store_id=vs.id, attributes={"lang": "en"}
        )
    )
    assert_valid(updated, "VectorStoreFileObject")
    assert updated["attributes"] == {"lang": "en"}  # the whole map is replaced

    content = raw_json(
        client.vector_stores.files.with_raw_response.content(file.id, vector_store_id=vs.id)
    )
    assert_valid(content, "VectorStoreFileContentResponse")
    assert content["data"] == [{"type": "text", "text": "# Prices\nA visit costs 1500 rubles."}]

    listed = raw_json(client.vector_stores.files.with_raw_response.list(vs.id))
    assert_valid(listed, "ListVectorStoreFilesResponse")
    assert [f["id"] for f in listed["data"]] == [file.id]

    deleted = raw_json(
        client.vector_stores.files.with_raw_response.delete(file.id, vector_store_id=vs.id)
    )
    assert_valid(deleted, "DeleteVectorStoreFileResponse")
    assert deleted == {"id": file.id, "object": "vector_store.file.deleted", "deleted": True}
    assert client.files.retrieve(file.id).id == file.id  # detached only
    with pytest.raises(openai.NotFoundError):
        client.vector_stores.files.retrieve(file.id, vector_store_id=vs.id)
    assert client.vector_stores.retrieve(vs.id).file_counts.total == 0


def test_list_filter_by_status(client: Any, upload: Upload) -> None:
    good = upload("good.md", "fine text")
    bad = upload("bad.pdf", b"this is not a pdf")
    vs = client.vector_stores.create(name="s")
    for file in (good, bad):
        client.vector_stores.files.create_and_poll(
            file_id=file.id, vector_store_id=vs.id, poll_interval_ms=20
        )
    assert [f.id for f in client.vector_stores.files.list(vs.id, filter="completed")] == [good.id]
    assert [f.id for f in client.vector_stores.files.list(vs.id, filter="failed")] == [bad.id]
    assert list(client.vector_stores.files.list(vs.id, filter="in_progress")) == []
    counts = client.vector_stores.retrieve(vs.id).file_counts
    assert (counts.completed, counts.failed, counts.total) == (1, 1, 2)


def test_unsupported_extension_refused_at_attach(client: Any, upload: Upload) -> None:
    file = upload("photo.png", b"\x89PNG....")
    vs = client.vector_stores.create(name="s")
    with pytest.raises(openai.BadRequestError) as caught:
        client.vector_stores.files.create(vector_store_id=vs.id, file_id=file.id)
    assert caught.value.code == "unsupported_file"
    assert_valid({"error": caught.value.body}, "ErrorResponse")
    with pytest.raises(openai.BadRequestError):
        client.vector_stores.create(name="t", file_ids=[file.id])


def test_invalid_pdf_fails_with_invalid_file(client: Any, upload: Upload) -> None:
    file = upload("broken.pdf", b"%PDF-1.4 garbage")
    vs = client.vector_stores.create(name="s")
    obj = client.vector_stores.files.create_and_poll(
        file_id=file.id, vector_store_id=vs.id, poll_interval_ms=20
    )
    assert obj.status == "failed"
    assert obj.last_error is not None
    assert obj.last_error.code == "invalid_file"
    body = raw_json(
        client.vector_stores.files.with_raw_response.retrieve(file.id, vector_store_id=vs.id)
    )
    assert_valid(body, "VectorStoreFileObject")


def test_pdf_docx_html_json_are_parsed(client: Any, upload: Upload) -> None:
    vs = client.vector_stores.create(name="s")
    docs = {
        "a.pdf": (make_pdf("Pool opens at seven"), "Pool opens at seven"),
        "b.docx": (make_docx(["Бассейн открыт", "с семи утра"]), "Бассейн открыт\nс семи утра"),
        "c.html": (
            b"<html><body><p>Gym &amp; pool</p><script>x()</script></body></html>",
            "Gym & pool",
        ),
        "d.json": (b'{"price": 1500}', '{"price": 1500}'),
        "e.py": (b"print('hi')\n", "print('hi')"),
    }
    for name, (data, expected) in docs.items():
        file = upload(name, data)
        obj = client.vector_stores.files.create_and_poll(
            file_id=file.id, vector_store_id=vs.id, poll_interval_ms=20
        )
        assert obj.status == "completed", (name, obj.last_error)
        page = client.vector_stores.files.content(file.id, vector_store_id=vs.id)
        assert expected in " ".join(part.text for part in page.data).strip(), name


def test_bad_json_file_fails(client: Any, upload: Upload) -> None:
    file = upload("broken.json", b"{not json")
    vs = client.vector_stores.create(name="s")
    obj = client.vector_stores.files.create_and_poll(
        file_id=file.id, vector_store_id=vs.id, poll_interval_ms=20
    )
    assert obj.status == "failed"
    assert obj.last_error.code == "invalid_file"


def test_unknown_ids_are_404(client: Any, upload: Upload) -> None:
    vs = client.vector_stores.create(name="s")
    with pytest.raises(openai.NotFoundError):
        client.vector_stores.files.create(vector_store_id=vs.id, file_id="file-missing")
    with pytest.raises(openai.NotFoundError):
        client.vector_stores.files.list("vs_missing")
    with pytest.raises(openai.NotFoundError):
        client.vector_stores.search("vs_missing", query="x")


def test_static_chunking_overlap_checked(client: Any, upload: Upload) -> None:
    file = upload("a.md", "text")
    vs = client.vector_stores.create(name="s")
    with pytest.raises(openai.BadRequestError) as caught:
        client.vector_stores.files.create(
            vector_store_id=vs.id,
            file_id=file.id,
            chunking_strategy={
                "type": "static",
                "static": {"max_chunk_size_tokens": 100, "chunk_overlap_tokens": 60},
            },
        )
    assert caught.value.param == "chunking_strategy.static.chunk_overlap_tokens"


def test_async_vector_store_routes(aclient: Any) -> None:
    async def scenario() -> None:
        file = await aclient.files.create(
            file=("a.md", b"async text about yoga"), purpose="assistants"
        )
        vs = raw_json(await aclient.vector_stores.with_raw_response.create(name="async"))
        assert_valid(vs, "VectorStoreObject")
        attached = await aclient.vector_stores.files.create_and_poll(
            file_id=file.id,
            vector_store_id=vs["id"],
            attributes={"lang": "en"},
            poll_interval_ms=20,
        )
        assert attached.status == "completed"
        listed = [f.id async for f in aclient.vector_stores.files.list(vs["id"])]
        assert listed == [file.id]
        got = await aclient.vector_stores.files.with_raw_response.retrieve(
            file.id, vector_store_id=vs["id"]
        )
        assert_valid(raw_json(got), "VectorStoreFileObject")
        content = await aclient.vector_stores.files.with_raw_response.content(
            file.id, vector_store_id=vs["id"]
        )
        assert_valid(raw_json(content), "VectorStoreFileContentResponse")
        assert raw_json(content)["data"][0]["text"] == "async text about yoga"
        store = await aclient.vector_stores.with_raw_response.retrieve(vs["id"])
        assert_valid(raw_json(store), "VectorStoreObject")
        assert raw_json(store)["file_counts"]["completed"] == 1
        hits = await aclient.vector_stores.with_raw_response.search(vs["id"], query="yoga")
        assert_valid(raw_json(hits), "VectorStoreSearchResultsPage")
        updated = await aclient.vector_stores.files.update(
            file.id, vector_store_id=vs["id"], attributes={"lang": "ru"}
        )
        assert updated.attributes == {"lang": "ru"}
        found = await aclient.vector_stores.search(vs["id"], query="yoga")
        assert [hit.file_id for hit in found.data] == [file.id]
        stores = [s.id async for s in aclient.vector_stores.list()]
        assert stores == [vs["id"]]
        renamed = await aclient.vector_stores.update(vs["id"], name="renamed")
        assert renamed.name == "renamed"
        await aclient.vector_stores.files.delete(file.id, vector_store_id=vs["id"])
        deleted = await aclient.vector_stores.delete(vs["id"])
        assert deleted.deleted is True

    asyncio.run(scenario())
