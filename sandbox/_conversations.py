"""Conversations and their items (there is no list-conversations endpoint upstream)."""

from __future__ import annotations

from typing import Any

from litestar import Request, delete, get, post

from sandbox._errors import ApiError
from sandbox._http import json_body
from sandbox._items import includes, present, to_items
from sandbox._pagination import ListQuery, items_page, list_query
from sandbox._schema import validate_body
from sandbox._state import JSON, Store, new_id, now, store_of

MAX_ITEMS_PER_REQUEST = 20


@post("/v1/conversations", status_code=200)
async def create_conversation(request: Request[Any, Any, Any]) -> JSON:
    store = store_of(request)
    body = await json_body(request)
    validate_body("CreateConversationBody", body)
    items = to_items(body.get("items") or [])
    conversation_id = new_id("conv")
    conversation: JSON = {
        "id": conversation_id,
        "object": "conversation",
        "created_at": now(),
        "metadata": dict(body.get("metadata") or {}),
    }
    store.conversations[conversation_id] = conversation
    store.conversation_items[conversation_id] = items
    store.changed()
    return dict(conversation)


@get("/v1/conversations/{conversation_id:str}")
async def retrieve_conversation(request: Request[Any, Any, Any], conversation_id: str) -> JSON:
    return dict(_conversation(store_of(request), conversation_id))


@post("/v1/conversations/{conversation_id:str}", status_code=200)
async def update_conversation(request: Request[Any, Any, Any], conversation_id: str) -> JSON:
    store = store_of(request)
    conversation = _conversation(store, conversation_id)
    body = await json_body(request)
    validate_body("UpdateConversationBody", body)
    conversation["metadata"] = dict(body.get("metadata") or {})
    store.changed()
    return dict(conversation)


@delete("/v1/conversations/{conversation_id:str}", status_code=200)
async def delete_conversation(request: Request[Any, Any, Any], conversation_id: str) -> JSON:
    store = store_of(request)
    _conversation(store, conversation_id)
    del store.conversations[conversation_id]
    store.conversation_items.pop(conversation_id, None)
    store.changed()
    return {"id": conversation_id, "object": "conversation.deleted", "deleted": True}


@post("/v1/conversations/{conversation_id:str}/items", status_code=200)
async def create_items(request: Request[Any, Any, Any], conversation_id: str) -> JSON:
    store = store_of(request)
    _conversation(store, conversation_id)
    body = await json_body(request)
    validate_body("CreateConversationBody", body)
    if "items" not in body or body["items"] is None:
        raise ApiError(
            400,
            "Missing required parameter: 'items'.",
            param="items",
            code="missing_required_parameter",
        )
    added = to_items(body["items"])
    store.conversation_items[conversation_id] += added
    store.changed()
    include = includes(request)
    return items_page(
        added,
        lambda item: present(item, include),
        ListQuery(limit=MAX_ITEMS_PER_REQUEST, descending=False),
    )


@get("/v1/conversations/{conversation_id:str}/items")
async def list_items(request: Request[Any, Any, Any], conversation_id: str) -> JSON:
    store = store_of(request)
    _conversation(store, conversation_id)
    include = includes(request)
    return items_page(
        store.conversation_items[conversation_id],
        lambda item: present(item, include),
        list_query(request.query_params),
    )


@get("/v1/conversations/{conversation_id:str}/items/{item_id:str}")
async def retrieve_item(
    request: Request[Any, Any, Any], conversation_id: str, item_id: str
) -> JSON:
    store = store_of(request)
    _conversation(store, conversation_id)
    return present(_item(store, conversation_id, item_id), includes(request))


@delete("/v1/conversations/{conversation_id:str}/items/{item_id:str}", status_code=200)
async def delete_item(request: Request[Any, Any, Any], conversation_id: str, item_id: str) -> JSON:
    store = store_of(request)
    conversation = _conversation(store, conversation_id)
    item = _item(store, conversation_id, item_id)
    store.conversation_items[conversation_id].remove(item)
    store.changed()
    return dict(conversation)


def _conversation(store: Store, conversation_id: str) -> JSON:
    found = store.conversations.get(conversation_id)
    if found is None:
        raise ApiError(404, f"Conversation with id '{conversation_id}' not found.")
    return found


def _item(store: Store, conversation_id: str, item_id: str) -> JSON:
    for item in store.conversation_items.get(conversation_id, []):
        if item["id"] == item_id:
            return item
    raise ApiError(404, f"Item with id '{item_id}' not found.")


ROUTES: list[Any] = [
    create_conversation,
    retrieve_conversation,
    update_conversation,
    delete_conversation,
    create_items,
    list_items,
    retrieve_item,
    delete_item,
]
