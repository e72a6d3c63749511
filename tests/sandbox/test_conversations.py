"""Conversations and their items through the official SDK, validated against the spec."""

from __future__ import annotations

from typing import Any

import openai
import pytest

from tests._spec import assert_valid


def _user(text: str) -> dict[str, Any]:
    return {"type": "message", "role": "user", "content": text}


def test_create_retrieve_update_delete(client: Any) -> None:
    raw = client.conversations.with_raw_response.create(
        items=[_user("Hello!")], metadata={"topic": "demo"}
    ).http_response.json()
    assert_valid(raw, "ConversationResource")
    assert raw["id"].startswith("conv_")
    assert raw["metadata"] == {"topic": "demo"}
    conversation_id = raw["id"]

    fetched = client.conversations.with_raw_response.retrieve(conversation_id).http_response.json()
    assert_valid(fetched, "ConversationResource")
    assert fetched == raw

    updated = client.conversations.with_raw_response.update(
        conversation_id, metadata={"topic": "prices"}
    ).http_response.json()
    assert_valid(updated, "ConversationResource")
    assert updated["metadata"] == {"topic": "prices"}
    assert client.conversations.retrieve(conversation_id).metadata == {"topic": "prices"}

    deleted = client.conversations.with_raw_response.delete(conversation_id).http_response.json()
    assert_valid(deleted, "DeletedConversationResource")
    assert deleted == {"id": conversation_id, "object": "conversation.deleted", "deleted": True}
    with pytest.raises(openai.NotFoundError):
        client.conversations.retrieve(conversation_id)


def test_empty_create_and_unknown_ids(client: Any) -> None:
    conversation = client.conversations.create()
    assert conversation.metadata == {}
    page = client.conversations.items.with_raw_response.list(conversation.id).http_response.json()
    assert_valid(page, "ConversationItemList")
    assert page["data"] == []
    assert page["has_more"] is False
    for call in (
        lambda: client.conversations.retrieve("conv_missing"),
        lambda: client.conversations.update("conv_missing", metadata={}),
        lambda: client.conversations.delete("conv_missing"),
        lambda: client.conversations.items.list("conv_missing"),
        lambda: client.conversations.items.retrieve("msg_missing", conversation_id=conversation.id),
    ):
        with pytest.raises(openai.NotFoundError):
            call()


def test_at_most_twenty_items_per_request(client: Any) -> None:
    with pytest.raises(openai.BadRequestError):
        client.conversations.create(items=[_user(str(n)) for n in range(21)])
    conversation = client.conversations.create(items=[_user(str(n)) for n in range(20)])
    with pytest.raises(openai.BadRequestError):
        client.conversations.items.create(conversation.id, items=[_user(str(n)) for n in range(21)])


def test_items_create_list_retrieve_delete(client: Any) -> None:
    conversation = client.conversations.create(items=[_user("one")])
    added = client.conversations.items.with_raw_response.create(
        conversation.id,
        items=[
            _user("two"),
            {"type": "message", "role": "assistant", "content": "three"},
            {"role": "user", "content": [{"type": "input_text", "text": "four"}]},
        ],
    ).http_response.json()
    assert_valid(added, "ConversationItemList")
    assert [item["content"][0]["text"] for item in added["data"]] == ["two", "three", "four"]
    assert added["data"][1]["content"][0]["type"] == "output_text"

    newest_first = client.conversations.items.list(conversation.id)
    texts = [item.content[0].text for item in newest_first.data]
    assert texts == ["four", "three", "two", "one"]
    oldest_first = [
        item.content[0].text
        for item in client.conversations.items.list(conversation.id, order="asc", limit=1)
    ]
    assert oldest_first == ["one", "two", "three", "four"]

    page = client.conversations.items.with_raw_response.list(
        conversation.id, order="asc", limit=2
    ).http_response.json()
    assert_valid(page, "ConversationItemList")
    assert page["has_more"] is True
    assert page["first_id"] == page["data"][0]["id"]
    after = client.conversations.items.list(conversation.id, order="asc", after=page["last_id"])
    assert [item.content[0].text for item in after.data] == ["three", "four"]

    first_id = page["data"][0]["id"]
    raw_item = client.conversations.items.with_raw_response.retrieve(
        first_id, conversation_id=conversation.id
    ).http_response.json()
    assert_valid(raw_item, "ConversationItem")
    assert raw_item["role"] == "user"
    assert raw_item["status"] == "completed"

    left = client.conversations.items.with_raw_response.delete(
        first_id, conversation_id=conversation.id
    ).http_response.json()
    assert_valid(left, "ConversationResource")
    assert left["id"] == conversation.id
    remaining = client.conversations.items.list(conversation.id, order="asc")
    assert [item.content[0].text for item in remaining.data] == ["two", "three", "four"]


@pytest.mark.anyio
async def test_async_round_trip(aclient: Any) -> None:
    conversation = await aclient.conversations.create(metadata={"k": "v"})
    assert (await aclient.conversations.retrieve(conversation.id)).metadata == {"k": "v"}
    await aclient.conversations.items.create(conversation.id, items=[_user("привет")])
    items = [item async for item in aclient.conversations.items.list(conversation.id)]
    assert [item.content[0].text for item in items] == ["привет"]
    item = await aclient.conversations.items.retrieve(items[0].id, conversation_id=conversation.id)
    assert item.id == items[0].id
    await aclient.conversations.items.delete(item.id, conversation_id=conversation.id)
    assert (await aclient.conversations.update(conversation.id, metadata={})).metadata == {}
    assert (await aclient.conversations.delete(conversation.id)).deleted is True
    with pytest.raises(openai.NotFoundError):
        await aclient.conversations.retrieve(conversation.id)
