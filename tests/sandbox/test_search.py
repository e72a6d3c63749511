"""Search: BM25 ranking in Russian and English, attribute filters, ranking options."""

from __future__ import annotations

import asyncio
from typing import Any

import openai
import pytest

from sandbox._state import Store
from tests._spec import assert_valid
from tests.sandbox.conftest import Upload, raw_json

_EN = "Prices: a single visit costs 1500 rubles; the monthly membership costs 5000."
_HOURS = "Opening hours: the club is open from 7:00 to 23:00 on weekdays."
_RULES = "Правила: в бассейне обязательна резиновая шапочка. Полотенца выдаются бесплатно."
_RU = "Цены: разовое посещение стоит 1500 рублей, абонемент на месяц стоит 5000 рублей."
DOCS: dict[str, tuple[str, dict[str, Any]]] = {
    "prices.md": (_EN, {"lang": "en", "kind": "prices", "year": 2026, "public": True}),
    "schedule.md": (_HOURS, {"lang": "en", "kind": "schedule", "year": 2025, "public": True}),
    "rules_ru.md": (_RULES, {"lang": "ru", "kind": "rules", "year": 2024, "public": False}),
    "prices_ru.md": (_RU, {"lang": "ru", "kind": "prices", "year": 2026, "public": True}),
}


@pytest.fixture
def kb(client: Any, upload: Upload) -> tuple[str, dict[str, str]]:
    vs = client.vector_stores.create(name="kb")
    ids = {}
    files = []
    for name, (text, attributes) in DOCS.items():
        file = upload(name, text)
        ids[name] = file.id
        files.append({"file_id": file.id, "attributes": attributes})
    client.vector_stores.file_batches.create_and_poll(
        vector_store_id=vs.id, files=files, poll_interval_ms=20
    )
    return vs.id, ids


def _search(client: Any, vs_id: str, **kwargs: Any) -> dict[str, Any]:
    body: dict[str, Any] = raw_json(client.vector_stores.with_raw_response.search(vs_id, **kwargs))
    assert_valid(body, "VectorStoreSearchResultsPage")
    for hit in body["data"]:
        assert 0.0 <= hit["score"] <= 1.0
    return body


def _names(body: dict[str, Any]) -> list[str]:
    return [hit["filename"] for hit in body["data"]]


def test_ranking_english_and_russian(client: Any, kb: tuple[str, dict[str, str]]) -> None:
    vs_id, _ = kb
    body = _search(client, vs_id, query="When is the club open? opening hours")
    assert _names(body)[0] == "schedule.md"
    assert body["search_query"] == ["When is the club open? opening hours"]
    assert body["object"] == "vector_store.search_results.page"
    ru = _search(client, vs_id, query="Сколько стоит абонемент?")
    assert _names(ru)[0] == "prices_ru.md"
    # inflected forms still match: "шапочку" / "полотенце"
    assert _names(_search(client, vs_id, query="нужна ли шапочку и полотенце"))[0] == "rules_ru.md"
    hit = ru["data"][0]
    assert hit["attributes"]["kind"] == "prices"
    assert hit["content"][0]["type"] == "text"
    assert "абонемент" in hit["content"][0]["text"]
    scores = [h["score"] for h in ru["data"]]
    assert scores == sorted(scores, reverse=True)
    assert _search(client, vs_id, query="xylophone quantum")["data"] == []


def test_query_list_and_max_num_results(client: Any, kb: tuple[str, dict[str, str]]) -> None:
    vs_id, _ = kb
    body = _search(client, vs_id, query=["prices", "opening hours"], max_num_results=2)
    assert body["search_query"] == ["prices", "opening hours"]
    assert len(body["data"]) == 2
    with pytest.raises(openai.BadRequestError) as caught:
        client.vector_stores.search(vs_id, query="x", max_num_results=51)
    assert caught.value.param == "max_num_results"


@pytest.mark.parametrize(
    ("flt", "expected"),
    [
        ({"type": "eq", "key": "lang", "value": "ru"}, {"rules_ru.md", "prices_ru.md"}),
        ({"type": "ne", "key": "lang", "value": "ru"}, {"prices.md", "schedule.md"}),
        ({"type": "gt", "key": "year", "value": 2025}, {"prices.md", "prices_ru.md"}),
        ({"type": "gte", "key": "year", "value": 2025}, {"prices.md", "prices_ru.md",
                                                         "schedule.md"}),
        ({"type": "lt", "key": "year", "value": 2025}, {"rules_ru.md"}),
        ({"type": "lte", "key": "year", "value": 2025}, {"rules_ru.md", "schedule.md"}),
        ({"type": "in", "key": "kind", "value": ["rules", "schedule"]},
         {"rules_ru.md", "schedule.md"}),
        ({"type": "nin", "key": "kind", "value": ["rules", "schedule"]},
         {"prices.md", "prices_ru.md"}),
        ({"type": "eq", "key": "public", "value": False}, {"rules_ru.md"}),
        ({"type": "eq", "key": "missing", "value": "x"}, set()),
        (
            {"type": "and", "filters": [
                {"type": "eq", "key": "lang", "value": "ru"},
                {"type": "eq", "key": "kind", "value": "prices"},
            ]},
            {"prices_ru.md"},
        ),
        (
            {"type": "or", "filters": [
                {"type": "eq", "key": "kind", "value": "schedule"},
                {"type": "and", "filters": [
                    {"type": "eq", "key": "lang", "value": "ru"},
                    {"type": "lt", "key": "year", "value": 2025},
                ]},
            ]},
            {"schedule.md", "rules_ru.md"},
        ),
    ],
)  # fmt: skip
def test_attribute_filters(
    client: Any, kb: tuple[str, dict[str, str]], flt: dict[str, Any], expected: set[str]
) -> None:
    vs_id, _ = kb
    # a query every document matches, so only the filter decides
    query = "prices opening rules цены правила 1500 club клуб рублей бассейне hours"
    body = _search(client, vs_id, query=query, filters=flt, max_num_results=50)
    assert set(_names(body)) == expected


def test_bad_filter_is_400(client: Any, kb: tuple[str, dict[str, str]]) -> None:
    vs_id, _ = kb
    with pytest.raises(openai.BadRequestError) as caught:
        client.vector_stores.search(
            vs_id, query="x", filters={"type": "like", "key": "a", "value": 1}
        )
    assert caught.value.param is not None
    assert caught.value.param.startswith("filters")


def test_score_threshold(client: Any, kb: tuple[str, dict[str, str]]) -> None:
    vs_id, _ = kb
    every = _search(client, vs_id, query="prices 1500 rubles opening")
    assert len(every["data"]) >= 2
    cut = (every["data"][0]["score"] + every["data"][-1]["score"]) / 2
    kept = _search(
        client, vs_id, query="prices 1500 rubles opening", ranking_options={"score_threshold": cut}
    )
    assert 0 < len(kept["data"]) < len(every["data"])
    assert all(hit["score"] >= cut for hit in kept["data"])
    none = _search(
        client, vs_id, query="prices", ranking_options={"ranker": "none", "score_threshold": 1.0}
    )
    assert none["data"] == []


def test_detached_and_attribute_changes_reach_search(
    client: Any, kb: tuple[str, dict[str, str]]
) -> None:
    vs_id, ids = kb
    client.vector_stores.files.update(
        ids["schedule.md"], vector_store_id=vs_id, attributes={"lang": "fr"}
    )
    body = _search(
        client, vs_id, query="opening hours", filters={"type": "eq", "key": "lang", "value": "fr"}
    )
    assert _names(body) == ["schedule.md"]
    client.vector_stores.files.delete(ids["schedule.md"], vector_store_id=vs_id)
    assert "schedule.md" not in _names(_search(client, vs_id, query="opening hours"))


def test_chunks_follow_static_strategy(client: Any, upload: Upload) -> None:
    words = [f"w{n}" for n in range(250)] + ["needle"]
    file = upload("long.txt", " ".join(words))
    vs = client.vector_stores.create(name="s")
    client.vector_stores.files.create_and_poll(
        vector_store_id=vs.id,
        file_id=file.id,
        chunking_strategy={
            "type": "static",
            "static": {"max_chunk_size_tokens": 100, "chunk_overlap_tokens": 50},
        },
        poll_interval_ms=20,
    )
    body = _search(client, vs.id, query="needle")
    assert len(body["data"]) == 1
    chunk = body["data"][0]["content"][0]["text"].split()
    assert len(chunk) == 100
    assert chunk[-1] == "needle"


def test_store_search_direct() -> None:
    from sandbox._chunking import AUTO
    from sandbox._processing import attach, process

    store = Store()
    store.files["file-1"] = {"id": "file-1", "filename": "a.md"}
    store.blobs["file-1"] = "Бассейн открыт с семи утра".encode()
    counts = dict.fromkeys(("in_progress", "completed", "failed", "cancelled", "total"), 0)
    store.vector_stores["vs_1"] = {
        "id": "vs_1",
        "file_counts": counts,
        "usage_bytes": 0,
        "last_active_at": 0,
    }
    obj = attach(store, "vs_1", "file-1", attributes={"lang": "ru"}, strategy=AUTO, stuck=True)
    assert store.search("vs_1", "бассейн") == []  # not processed yet
    asyncio.run(process(store, obj))
    assert obj["status"] == "completed"
    hits = store.search(
        "vs_1", "когда открыт бассейн", filters={"type": "eq", "key": "lang", "value": "ru"}
    )
    assert [h["file_id"] for h in hits] == ["file-1"]
    assert set(hits[0]) == {"file_id", "filename", "score", "attributes", "content"}
    assert (
        store.search("vs_1", "бассейн", filters={"type": "eq", "key": "lang", "value": "en"}) == []
    )
