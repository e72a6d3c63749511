"""Cursor pagination: every item exactly once, in both orders, as the SDK walks pages."""

from __future__ import annotations

from typing import Any

import pytest

from tests._spec import assert_valid
from tests.sandbox.conftest import Upload, raw_json

N = 250


@pytest.fixture
def store_with_files(client: Any, upload: Upload) -> tuple[str, list[str]]:
    ids = [upload(f"doc{n:03}.md", f"document {n}").id for n in range(N)]
    vs = client.vector_stores.create(name="big")
    client.vector_stores.file_batches.create_and_poll(
        vector_store_id=vs.id, file_ids=ids, poll_interval_ms=20
    )
    return vs.id, ids


@pytest.mark.parametrize("order", ["asc", "desc"])
def test_vector_store_files_each_exactly_once(
    client: Any, store_with_files: tuple[str, list[str]], order: str
) -> None:
    vs_id, ids = store_with_files
    expected = ids if order == "asc" else ids[::-1]
    pages = client.vector_stores.files.list(vs_id, limit=100, order=order)
    seen = []
    sizes = []
    for page in pages.iter_pages():
        assert_valid(
            page.model_dump(mode="json", exclude_unset=True), "ListVectorStoreFilesResponse"
        )
        sizes.append(len(page.data))
        seen.extend(f.id for f in page.data)
    assert sizes == [100, 100, 50]
    assert seen == expected

    first = raw_json(
        client.vector_stores.files.with_raw_response.list(vs_id, limit=100, order=order)
    )
    assert first["has_more"] is True
    assert first["first_id"] == expected[0]
    assert first["last_id"] == expected[99]
    last = raw_json(
        client.vector_stores.files.with_raw_response.list(
            vs_id, limit=100, order=order, after=expected[199]
        )
    )
    assert last["has_more"] is False
    assert [f["id"] for f in last["data"]] == expected[200:]
    before = raw_json(
        client.vector_stores.files.with_raw_response.list(
            vs_id, limit=100, order=order, before=expected[120]
        )
    )
    assert [f["id"] for f in before["data"]] == expected[:100]

    # files.list over the same 250 uploads
    assert [f.id for f in client.files.list(limit=100, order=order)] == expected


def test_deleting_during_pagination_skips_nothing_else(
    client: Any, store_with_files: tuple[str, list[str]]
) -> None:
    vs_id, ids = store_with_files
    first = client.vector_stores.files.list(vs_id, limit=100, order="asc")
    client.vector_stores.files.delete(ids[99], vector_store_id=vs_id)  # the cursor itself
    client.vector_stores.files.delete(ids[150], vector_store_id=vs_id)
    rest = client.vector_stores.files.list(vs_id, limit=100, order="asc", after=first.data[-1].id)
    assert [f.id for f in rest.data] == [i for i in ids[100:200] if i != ids[150]] + [ids[200]]

    completed = [
        f.id for f in client.vector_stores.files.list(vs_id, limit=100, filter="completed")
    ]
    assert len(completed) == N - 2
    assert list(client.vector_stores.files.list(vs_id, limit=100, filter="failed")) == []


def test_ordered_index_cursors_survive_removal_and_compaction() -> None:
    import random

    from sandbox._pagination import OrderedIndex

    rng = random.Random(1)
    for _ in range(100):
        ids = [f"id{n}" for n in range(rng.randint(1, 200))]
        index = OrderedIndex(ids)
        live = list(ids)
        for victim in rng.sample(ids, rng.randint(0, len(ids))):
            index.remove(victim)
            live.remove(victim)
        position = {object_id: n for n, object_id in enumerate(ids)}
        for cursor in ids:
            at = position[cursor]
            newer = [i for i in live if position[i] > at]
            older = [i for i in live if position[i] < at]
            assert list(index.walk(descending=False, after=cursor, before=None)) == newer
            assert list(index.walk(descending=True, after=cursor, before=None)) == older[::-1]
            assert list(index.walk(descending=False, after=None, before=cursor)) == older
            assert list(index.walk(descending=True, after=None, before=cursor)) == newer[::-1]
