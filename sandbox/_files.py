"""The Files API: upload (multipart), retrieve, list, delete, content."""

from __future__ import annotations

import time
from typing import Any

from litestar import Response, delete, get, post
from litestar.datastructures import UploadFile

from sandbox._errors import bad_request, not_found
from sandbox._faults import faults_of
from sandbox._http import AnyRequest, ok
from sandbox._pagination import list_query, page
from sandbox._persist import delete_blob, save_blob
from sandbox._processing import detach, is_young
from sandbox._state import JSON, Store, new_id, now, store_of

PURPOSES = ("assistants", "batch", "fine-tune", "vision", "user_data", "evals")
_FIELDS = {"purpose", "file", "expires_after[anchor]", "expires_after[seconds]"}


def _file_or_404(store: Store, file_id: str) -> JSON:
    file = store.files.get(file_id)
    if file is None:
        raise not_found("file", file_id)
    return file


def _expires_at(form: Any, created: int) -> int | None:
    anchor = form.get("expires_after[anchor]")
    seconds = form.get("expires_after[seconds]")
    if anchor is None and seconds is None:
        return None
    if anchor != "created_at":
        raise bad_request(
            "Invalid 'expires_after[anchor]': it must be 'created_at'.",
            param="expires_after.anchor",
        )
    try:
        value = int(seconds)
    except (TypeError, ValueError):
        raise bad_request(
            "Invalid 'expires_after[seconds]': an integer is required.",
            param="expires_after.seconds",
        ) from None
    if not 3600 <= value <= 2592000:
        raise bad_request(
            f"Invalid 'expires_after[seconds]': {value}; it must be between 3600 and 2592000.",
            param="expires_after.seconds",
        )
    return created + value


@post("/v1/files")
async def create_file(request: AnyRequest) -> Response[Any]:
    store = store_of(request)
    if not request.headers.get("content-type", "").startswith("multipart/form-data"):
        raise bad_request("Files must be uploaded as multipart/form-data.", param="file")
    form = await request.form()
    unknown = sorted(set(form.keys()) - _FIELDS)
    if unknown:
        raise bad_request(
            f"Unrecognized request argument supplied: {unknown[0]}",
            param=unknown[0],
            code="unknown_parameter",
        )
    purpose = form.get("purpose")
    upload = form.get("file")
    request.scope.setdefault("state", {})["sandbox_log_body"] = {
        "purpose": purpose,
        "filename": getattr(upload, "filename", None),
        **{key: form.get(key) for key in form if key.startswith("expires_after")},
    }
    if purpose is None:
        raise bad_request("Missing required parameter: 'purpose'.", param="purpose")
    if purpose not in PURPOSES:
        raise bad_request(
            f"Invalid value for 'purpose': {purpose!r}; use one of {', '.join(PURPOSES)}.",
            param="purpose",
        )
    if not isinstance(upload, UploadFile):
        raise bad_request("Missing required parameter: 'file'.", param="file")
    data = await upload.read()
    created = now()
    file: JSON = {
        "id": new_id("file"),
        "object": "file",
        "bytes": len(data),
        "created_at": created,
        "filename": upload.filename or "upload",
        "purpose": purpose,
        "status": "processed",
    }
    expires_at = _expires_at(form, created)
    if expires_at is not None:
        file["expires_at"] = expires_at
    save_blob(store, file["id"], data)
    store.blobs[file["id"]] = data
    index = store.order("files", store.files)
    store.files[file["id"]] = file
    store.runtime.born[file["id"]] = time.monotonic()
    index.add(file["id"])
    store.changed()
    return ok(file)


@get("/v1/files")
async def list_files(request: AnyRequest) -> Response[Any]:
    store = store_of(request)
    purpose = request.query_params.get("purpose")
    files = store.files

    def render(file_id: str) -> JSON | None:
        file = files[file_id]
        return file if purpose is None or file["purpose"] == purpose else None

    index = store.order("files", files)
    query = list_query(request.query_params, default_limit=10000, max_limit=10000)
    return ok(page(index, render, query))


@get("/v1/files/{file_id:str}")
async def retrieve_file(request: AnyRequest, file_id: str) -> Response[Any]:
    store = store_of(request)
    if is_young(store, file_id, faults_of(request).config.consistency_ms):
        raise not_found("file", file_id)
    return ok(_file_or_404(store, file_id))


@delete("/v1/files/{file_id:str}", status_code=200)
async def delete_file(request: AnyRequest, file_id: str) -> Response[Any]:
    store = store_of(request)
    _file_or_404(store, file_id)
    for vs_id in list(store.vs_files):
        # still attached: gone from the store's listing, its counts left stale (upstream)
        detach(store, vs_id, file_id, recount=False)
    store.order("files", store.files).remove(file_id)
    del store.files[file_id]
    store.blobs.pop(file_id, None)
    store.texts.pop(file_id, None)
    store.runtime.born.pop(file_id, None)
    delete_blob(store, file_id)
    store.changed()
    return ok({"id": file_id, "object": "file", "deleted": True})


@get("/v1/files/{file_id:str}/content")
async def file_content(request: AnyRequest, file_id: str) -> Response[bytes]:
    store = store_of(request)
    _file_or_404(store, file_id)
    return Response(content=store.blobs.get(file_id, b""), media_type="application/octet-stream")


ROUTES: list[Any] = [create_file, list_files, retrieve_file, delete_file, file_content]
