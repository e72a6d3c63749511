"""Vector-store file batches: create, retrieve, cancel, list files."""

from __future__ import annotations

from typing import Any

from litestar import Response, get, post

from sandbox._chunking import resolve
from sandbox._errors import ApiError, bad_request
from sandbox._faults import Fault, faults_of
from sandbox._http import AnyRequest, json_body, ok
from sandbox._processing import (
    attach,
    check_attachable,
    render_batch,
    set_status,
    vector_store_or_404,
)
from sandbox._state import JSON, Store, new_id, now, store_of
from sandbox._vs_files import POLL, files_page

MAX_FILES = 2000


def _batch_or_404(store: Store, vs_id: str, batch_id: str) -> JSON:
    vector_store_or_404(store, vs_id)
    batch = store.batches.get(batch_id)
    if batch is None or batch["vector_store_id"] != vs_id:
        raise ApiError(404, f"No file batch found with id '{batch_id}' in vector store '{vs_id}'.")
    return batch


def _entries(body: JSON) -> list[tuple[str, Any, JSON]]:
    """``(file_id, attributes, resolved strategy)`` per file, from either request form."""
    if "files" in body and "file_ids" in body:
        raise bad_request("'file_ids' and 'files' are mutually exclusive; send one.", param="files")
    if "files" in body:
        return [
            (
                f["file_id"],
                f.get("attributes"),
                resolve(f.get("chunking_strategy"), param=f"files[{n}].chunking_strategy"),
            )
            for n, f in enumerate(body["files"])
        ]
    strategy = resolve(body.get("chunking_strategy"))
    return [(file_id, body.get("attributes"), strategy) for file_id in body["file_ids"]]


@post("/v1/vector_stores/{vector_store_id:str}/file_batches")
async def create_batch(request: AnyRequest, vector_store_id: str) -> Response[Any]:
    store = store_of(request)
    vector_store_or_404(store, vector_store_id)
    body = await json_body(request, "CreateVectorStoreFileBatchRequest")
    entries = _entries(body)
    if len(entries) > MAX_FILES:
        raise bad_request(f"A batch holds at most {MAX_FILES} files.", param="file_ids")
    key = "files" if "files" in body else "file_ids"
    dealt = faults_of(request)
    # Every file is checked before any is attached, so one missing File (unknown, or too
    # young under consistency_ms) refuses the whole batch with a 404 naming the first
    # such file: the live API answers a batch that way, and attaches nothing.
    for n, (file_id, _, _) in enumerate(entries):
        check_attachable(
            store, file_id, param=f"{key}[{n}]", consistency_ms=dealt.config.consistency_ms
        )
    file_ids: list[str] = []
    for file_id, attributes, strategy in entries:
        attach(
            store,
            vector_store_id,
            file_id,
            attributes=attributes,
            strategy=strategy,
            stuck=dealt.picked is Fault.STUCK,
            max_tokens=dealt.config.max_file_tokens,
        )
        if file_id not in file_ids:
            file_ids.append(file_id)
    batch: JSON = {
        "id": new_id("vsfb"),
        "object": "vector_store.files_batch",
        "created_at": now(),
        "vector_store_id": vector_store_id,
        "status": "in_progress",
        "_file_ids": file_ids,
    }
    store.batches[batch["id"]] = batch
    store.changed()
    return ok(render_batch(store, batch), POLL)


@get("/v1/vector_stores/{vector_store_id:str}/file_batches/{batch_id:str}")
async def retrieve_batch(request: AnyRequest, vector_store_id: str, batch_id: str) -> Response[Any]:
    store = store_of(request)
    return ok(render_batch(store, _batch_or_404(store, vector_store_id, batch_id)), POLL)


@post("/v1/vector_stores/{vector_store_id:str}/file_batches/{batch_id:str}/cancel")
async def cancel_batch(request: AnyRequest, vector_store_id: str, batch_id: str) -> Response[Any]:
    store = store_of(request)
    batch = _batch_or_404(store, vector_store_id, batch_id)
    files = store.vs_files.get(vector_store_id, {})
    render_batch(store, batch)  # settles a batch that finished since it was last looked at
    if batch["status"] == "in_progress":
        for file_id in batch["_file_ids"]:
            obj = files.get(file_id)
            if obj is not None and obj["status"] == "in_progress":
                set_status(store, obj, "cancelled")
        batch["status"] = "cancelled"
    store.changed()
    return ok(render_batch(store, batch))


@get("/v1/vector_stores/{vector_store_id:str}/file_batches/{batch_id:str}/files")
async def list_batch_files(
    request: AnyRequest, vector_store_id: str, batch_id: str
) -> Response[Any]:
    store = store_of(request)
    batch = _batch_or_404(store, vector_store_id, batch_id)
    index = store.order(f"batch:{batch_id}", batch["_file_ids"])
    return ok(files_page(store, vector_store_id, index, request.query_params))


ROUTES: list[Any] = [create_batch, retrieve_batch, cancel_batch, list_batch_files]
