"""The search's analyzers: Snowball stemming and stop words by default, the first light
stripper selectable for comparison (``bench/bench_search.py``)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from sandbox import _analyzers
from tests.sandbox.conftest import Upload


@pytest.fixture
def light() -> Iterator[None]:
    _analyzers.use("light")
    try:
        yield
    finally:
        _analyzers.use(_analyzers.DEFAULT)


def test_snowball_meets_inflected_forms_and_drops_stop_words() -> None:
    assert _analyzers.current() == "snowball"
    tokens = _analyzers.tokens
    assert tokens("абонемента") == tokens("абонементы") == tokens("Абонементов")
    assert tokens("посещения") == tokens("посещение")
    assert tokens("located") == tokens("location")
    assert tokens("memberships") == tokens("membership")
    assert tokens("ёлка") == tokens("елка")
    assert tokens("What is the price?") == tokens("prices")
    assert tokens("Сколько стоит ли это в клубе?") == tokens("сколько стоит клуб")
    assert tokens("7 500") == ["7", "500"]


def test_light_is_the_first_analyzer(light: None) -> None:
    tokens = _analyzers.tokens
    assert tokens("How prices")[0] == "how"  # no stop words
    assert tokens("located") != tokens("location")  # the case Snowball fixes


def test_unknown_analyzer_is_refused() -> None:
    with pytest.raises(ValueError, match="Unknown analyzer 'porter'; use one of snowball, light"):
        _analyzers.use("porter")


def test_search_finds_inflected_words_through_the_sdk(client: Any, upload: Upload) -> None:
    documents = {
        "ru.md": "Годовой абонемент даёт доступ в бассейн и сауну.",
        "en.md": "Our location: 26 Peterburgskaya St., next to the metro.",
        "other.md": "How much is it? What is the price of it? It is what it is.",
    }
    ids = {name: upload(name, text).id for name, text in documents.items()}
    vs = client.vector_stores.create(name="s")
    client.vector_stores.file_batches.create_and_poll(
        vector_store_id=vs.id, file_ids=list(ids.values()), poll_interval_ms=20
    )

    def first(query: str) -> str | None:
        hits = client.vector_stores.search(vs.id, query=query).data
        return hits[0].file_id if hits else None

    assert first("абонементы в бассейне") == ids["ru.md"]
    assert first("where is the club located") == ids["en.md"]
    # stop words alone match nothing, however often a document repeats them
    assert client.vector_stores.search(vs.id, query="what is it").data == []
