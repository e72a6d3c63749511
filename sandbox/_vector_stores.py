"""Vector stores: create, retrieve, update, list, delete, search."""

from __future__ import annotations

from typing import Any

from litestar import Response, delete, get, post

from sandbox._chunking import resolve
from sandbox._errors import bad_request
from sandbox._faults import Fault, faults_of
from sandbox._http import AnyRequest, json_body, ok
from sandbox._pagination import list_query, page
from sandbox._processing import (
    attach,
    check_attachable,
    detach,
    empty_counts,
    vector_store_or_404,
)
from sandbox._state import JSON, Store, new_id, now, store_of

DAY_S = 86400


def _expires_at(vs: JSON) -> int | None:
    """``last_active_at`` plus the policy's days: every search or answer moves it on."""
    expires_after = vs.get("expires_after")
    if expires_after is None:
        return None
    return int(vs["last_active_at"] or vs["created_at"]) + int(expires_after["days"]) * DAY_S


def is_expired(vs: JSON) -> bool:
    """Whether the store's ``expires_after`` has passed."""
    expires_at = _expires_at(vs)
    return expires_at is not None and expires_at <= now()


def render(vs: JSON) -> JSON:
    counts = vs["file_counts"]
    status = "in_progress" if counts["in_progress"] else "completed"
    if is_expired(vs):
        status = "expired"
    return {**vs, "status": status, "expires_at": _expires_at(vs), "file_counts": dict(counts)}


def check_not_expired(store: Store, vector_store_id: str, param: str | None = None) -> None:
    """400 for a search (or an answer's file_search) on an expired store: it has no index
    any more, and is no longer made active again by use."""
    vs = store.vector_stores.get(vector_store_id)
    if vs is not None and is_expired(vs):
        raise bad_request(
            f"Vector store {vector_store_id} is expired: it was inactive longer than its "
            "expires_after policy allows. Create a new vector store.",
            param=param,
            code="vector_store_expired",
        )


def _expiry(vs: JSON, expires_after: JSON | None) -> None:
    if expires_after is None:
        vs.pop("expires_after", None)
    else:
        vs["expires_after"] = expires_after
    vs["expires_at"] = _expires_at(vs)


@post("/v1/vector_stores")
async def create_vector_store(request: AnyRequest) -> Response[Any]:
    store = store_of(request)
    body = await json_body(request, "CreateVectorStoreRequest")
    file_ids: list[str] = body.get("file_ids", [])
    dealt = faults_of(request)
    for n, file_id in enumerate(file_ids):
        check_attachable(
            store, file_id, param=f"file_ids[{n}]", consistency_ms=dealt.config.consistency_ms
        )
    strategy = resolve(body.get("chunking_strategy"))
    created = now()
    vs: JSON = {
        "id": new_id("vs"),
        "object": "vector_store",
        "created_at": created,
        "name": body.get("name") or "",
        "usage_bytes": 0,
        "file_counts": empty_counts(),
        "status": "completed",
        "expires_at": None,
        "last_active_at": created,
        "metadata": body.get("metadata") or {},
    }
    if body.get("expires_after") is not None:
        _expiry(vs, body["expires_after"])
    index = store.order("vector_stores", store.vector_stores)
    store.vector_stores[vs["id"]] = vs
    index.add(vs["id"])
    store.vs_files[vs["id"]] = {}
    for file_id in file_ids:
        attach(
            store,
            vs["id"],
            file_id,
            attributes=None,
            strategy=strategy,
            stuck=dealt.picked is Fault.STUCK,
            max_tokens=dealt.config.max_file_tokens,
        )
    store.changed()
    return ok(render(vs))


@get("/v1/vector_stores")
async def list_vector_stores(request: AnyRequest) -> Response[Any]:
    store = store_of(request)
    stores = store.vector_stores
    index = store.order("vector_stores", stores)
    query = list_query(request.query_params)
    return ok(page(index, lambda vs_id: render(stores[vs_id]), query))


@get("/v1/vector_stores/{vector_store_id:str}")
async def retrieve_vector_store(request: AnyRequest, vector_store_id: str) -> Response[Any]:
    return ok(render(vector_store_or_404(store_of(request), vector_store_id)))


@post("/v1/vector_stores/{vector_store_id:str}")
async def update_vector_store(request: AnyRequest, vector_store_id: str) -> Response[Any]:
    store = store_of(request)
    vs = vector_store_or_404(store, vector_store_id)
    body = await json_body(request, "UpdateVectorStoreRequest")
    # an explicit null clears the field; an absent key leaves it alone
    if "name" in body:
        vs["name"] = body["name"] or ""
    if "metadata" in body:
        vs["metadata"] = body["metadata"] or {}
    if "expires_after" in body:
        _expiry(vs, body["expires_after"])
    store.changed()
    return ok(render(vs))


@delete("/v1/vector_stores/{vector_store_id:str}", status_code=200)
async def delete_vector_store(request: AnyRequest, vector_store_id: str) -> Response[Any]:
    store = store_of(request)
    vector_store_or_404(store, vector_store_id)
    for file_id in list(store.vs_files.get(vector_store_id, {})):
        detach(store, vector_store_id, file_id)
    store.order("vector_stores", store.vector_stores).remove(vector_store_id)
    del store.vector_stores[vector_store_id]
    store.vs_files.pop(vector_store_id, None)
    store.indexes.pop(vector_store_id, None)
    store.runtime.orders.pop(f"vs:{vector_store_id}", None)
    for batch_id in [
        b for b, batch in store.batches.items() if batch["vector_store_id"] == vector_store_id
    ]:
        del store.batches[batch_id]
    store.changed()
    return ok({"id": vector_store_id, "object": "vector_store.deleted", "deleted": True})


def search_page(store: Store, vector_store_id: str, body: JSON) -> JSON:
    query = body["query"]
    queries = [query] if isinstance(query, str) else list(query)
    threshold = float((body.get("ranking_options") or {}).get("score_threshold", 0.0))
    hits = store.search(
        vector_store_id,
        " ".join(queries),
        max_num_results=int(body.get("max_num_results", 10)),
        filters=body.get("filters"),
        score_threshold=threshold,
    )
    return {
        "object": "vector_store.search_results.page",
        "search_query": queries,
        "data": hits,
        "has_more": False,
        "next_page": None,
    }


@post("/v1/vector_stores/{vector_store_id:str}/search")
async def search_vector_store(request: AnyRequest, vector_store_id: str) -> Response[Any]:
    store = store_of(request)
    vector_store_or_404(store, vector_store_id)
    body = await json_body(request, "VectorStoreSearchRequest")
    check_not_expired(store, vector_store_id)
    return ok(search_page(store, vector_store_id, body))


ROUTES: list[Any] = [
    create_vector_store,
    list_vector_stores,
    retrieve_vector_store,
    update_vector_store,
    delete_vector_store,
    search_vector_store,
]
