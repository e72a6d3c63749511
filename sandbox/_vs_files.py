"""Vector-store files: attach, list, retrieve, update attributes, detach, content."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from litestar import Response, delete, get, post

from sandbox._chunking import resolve
from sandbox._errors import ApiError, bad_request
from sandbox._faults import Fault, faults_of
from sandbox._http import AnyRequest, json_body, ok
from sandbox._pagination import OrderedIndex, list_query, page
from sandbox._processing import POLL_AFTER_MS, attach, check_attachable, detach, vector_store_or_404
from sandbox._state import JSON, Store, store_of

POLL = {"openai-poll-after-ms": str(POLL_AFTER_MS)}
STATUSES = ("in_progress", "completed", "failed", "cancelled")


def vs_file_or_404(store: Store, vs_id: str, file_id: str) -> JSON:
    vector_store_or_404(store, vs_id)
    obj = store.vs_files.get(vs_id, {}).get(file_id)
    if obj is None:
        raise ApiError(404, f"No file found with id '{file_id}' in vector store '{vs_id}'.")
    return obj


def files_page(store: Store, vs_id: str, index: OrderedIndex, query: Mapping[str, str]) -> JSON:
    """One page of a store's files, optionally ``filter``-ed by status."""
    wanted = query.get("filter")
    if wanted is not None and wanted not in STATUSES:
        raise bad_request(
            f"Invalid 'filter': {wanted!r}; use one of {', '.join(STATUSES)}.", param="filter"
        )
    files = store.vs_files.get(vs_id, {})

    def render(file_id: str) -> JSON | None:
        obj = files.get(file_id)
        if obj is None or (wanted is not None and obj["status"] != wanted):
            return None
        return obj

    return page(index, render, list_query(query))


@post("/v1/vector_stores/{vector_store_id:str}/files")
async def create_vs_file(request: AnyRequest, vector_store_id: str) -> Response[Any]:
    store = store_of(request)
    vector_store_or_404(store, vector_store_id)
    body = await json_body(request, "CreateVectorStoreFileRequest")
    dealt = faults_of(request)
    check_attachable(store, body["file_id"], consistency_ms=dealt.config.consistency_ms)
    obj = attach(
        store,
        vector_store_id,
        body["file_id"],
        attributes=body.get("attributes"),
        strategy=resolve(body.get("chunking_strategy")),
        stuck=dealt.picked is Fault.STUCK,
        max_tokens=dealt.config.max_file_tokens,
    )
    store.changed()
    return ok(dict(obj), POLL)  # a snapshot: processing may change obj any moment


@get("/v1/vector_stores/{vector_store_id:str}/files")
async def list_vs_files(request: AnyRequest, vector_store_id: str) -> Response[Any]:
    store = store_of(request)
    vector_store_or_404(store, vector_store_id)
    files = store.vs_files.setdefault(vector_store_id, {})
    index = store.order(f"vs:{vector_store_id}", files)
    return ok(files_page(store, vector_store_id, index, request.query_params))


@get("/v1/vector_stores/{vector_store_id:str}/files/{file_id:str}")
async def retrieve_vs_file(
    request: AnyRequest, vector_store_id: str, file_id: str
) -> Response[Any]:
    return ok(vs_file_or_404(store_of(request), vector_store_id, file_id), POLL)


@post("/v1/vector_stores/{vector_store_id:str}/files/{file_id:str}")
async def update_vs_file(request: AnyRequest, vector_store_id: str, file_id: str) -> Response[Any]:
    store = store_of(request)
    obj = vs_file_or_404(store, vector_store_id, file_id)
    body = await json_body(request, "UpdateVectorStoreFileAttributesRequest")
    obj["attributes"] = dict(body["attributes"] or {})
    store.changed()
    return ok(obj)


@delete("/v1/vector_stores/{vector_store_id:str}/files/{file_id:str}", status_code=200)
async def delete_vs_file(request: AnyRequest, vector_store_id: str, file_id: str) -> Response[Any]:
    store = store_of(request)
    vs_file_or_404(store, vector_store_id, file_id)
    detach(store, vector_store_id, file_id)
    store.changed()
    return ok({"id": file_id, "object": "vector_store.file.deleted", "deleted": True})


@get("/v1/vector_stores/{vector_store_id:str}/files/{file_id:str}/content")
async def vs_file_content(request: AnyRequest, vector_store_id: str, file_id: str) -> Response[Any]:
    store = store_of(request)
    obj = vs_file_or_404(store, vector_store_id, file_id)
    text = store.text_of(file_id) if obj["status"] == "completed" else None
    data = [] if text is None else [{"type": "text", "text": text}]
    return ok(
        {
            "object": "vector_store.file_content.page",
            "data": data,
            "has_more": False,
            "next_page": None,
        }
    )


ROUTES: list[Any] = [
    create_vs_file,
    list_vs_files,
    retrieve_vs_file,
    update_vs_file,
    delete_vs_file,
    vs_file_content,
]
