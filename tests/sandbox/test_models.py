"""Models through the official SDK: list, retrieve, 404, delete refused for base models."""

from __future__ import annotations

from typing import Any

import openai
import pytest

from tests._spec import assert_valid


def test_list_has_the_default_model(client: Any) -> None:
    page = client.models.list()
    ids = [model.id for model in page]
    assert {"gpt-5.4-mini", "gpt-5.4", "gpt-5-mini", "gpt-4.1-mini", "gpt-4o-mini"} <= set(ids)
    raw = client.models.with_raw_response.list().http_response.json()
    assert_valid(raw, "ListModelsResponse")


def test_retrieve(client: Any) -> None:
    model = client.models.retrieve("gpt-5.4-mini")
    assert (model.id, model.object) == ("gpt-5.4-mini", "model")
    raw = client.models.with_raw_response.retrieve("gpt-4o-mini").http_response.json()
    assert_valid(raw, "Model")


def test_unknown_model_is_404_model_not_found(client: Any) -> None:
    with pytest.raises(openai.NotFoundError) as caught:
        client.models.retrieve("gpt-0-imaginary")
    assert caught.value.code == "model_not_found"
    assert "gpt-0-imaginary" in caught.value.message
    assert_valid({"error": caught.value.body}, "ErrorResponse")


def test_base_models_cannot_be_deleted(client: Any) -> None:
    with pytest.raises(openai.PermissionDeniedError):
        client.models.delete("gpt-5.4-mini")
    with pytest.raises(openai.NotFoundError):
        client.models.delete("ft:gpt-4o-mini:acme:suffix:abc123")
    assert client.models.retrieve("gpt-5.4-mini").id == "gpt-5.4-mini"


@pytest.mark.anyio
async def test_async_list_and_retrieve(aclient: Any) -> None:
    ids = [model.id async for model in aclient.models.list()]
    assert "gpt-5.4-mini" in ids
    assert (await aclient.models.retrieve("gpt-5.4")).id == "gpt-5.4"
    with pytest.raises(openai.NotFoundError):
        await aclient.models.retrieve("nope")
    with pytest.raises(openai.PermissionDeniedError):
        await aclient.models.delete("gpt-5.4-mini")
