"""The stamp fast path (docs/architecture.md, "A sync"): taken only when every condition holds.

A no-op sync reads the model and the store list, and nothing else; each condition that
fails sends it down the full path (the store's files listed), one test per condition.
"""

from __future__ import annotations

import hashlib
import io
from pathlib import Path
from typing import Any

import pytest

from testing.sandbox import requests_log, set_faults
from testing.servers import Server
from tests.sync._sync_helpers import (
    apply_ok,
    assert_in_sync,
    by_path,
    counts,
    kbsync,
    kill_apply_when,
    plan_of,
    put,
    stats,
    write_kb,
)

pytestmark = pytest.mark.usefixtures("sandbox_env")

LISTING = "GET /v1/vector_stores/{vector_store_id}/files"
UPLOADS = "GET /v1/files"
DOCS = {f"d{n}.md": f"document number {n}" for n in range(5)}


def _synced(tmp_path: Path) -> tuple[Path, str]:
    kb = write_kb(tmp_path, DOCS)
    apply_ok(kb)
    store_id = plan_of(kb, "--refresh")["vector_store_id"]
    assert isinstance(store_id, str)
    return kb, store_id


def _listings(sandbox: Server, *args: str, kb: Path) -> tuple[int, int, Any]:
    """(files listings, requests) of one ``kbsync ARGS`` run, and its result."""
    before = stats(sandbox)
    result = kbsync(kb, *args)
    after = stats(sandbox)
    grew = {k: v - before.get(k, 0) for k, v in after.items() if v != before.get(k, 0)}
    return grew.get(LISTING, 0), sum(grew.values()), result


def test_no_op_is_at_most_3_requests_with_no_listing(tmp_path: Path, sandbox: Server) -> None:
    kb, _ = _synced(tmp_path)
    before = stats(sandbox)
    result = kbsync(kb, "--yes")
    after = stats(sandbox)
    assert result.exit_code == 0
    assert result.stdout.splitlines()[-1] == "No changes: the vector store is in sync with kb/."
    grew = {k: v - before.get(k, 0) for k, v in after.items() if v != before.get(k, 0)}
    # The model check, the store list and the uploads (whose digest proves that no File
    # was deleted under the store): nothing else, whatever the number of documents.
    (model,) = [route for route in grew if route.startswith("GET /v1/models/")]
    assert grew == {model: 1, "GET /v1/vector_stores": 1, "GET /v1/files": 1}
    assert sum(grew.values()) <= 3


def test_refresh_lists_everything(tmp_path: Path, sandbox: Server) -> None:
    kb, _ = _synced(tmp_path)
    listed, _, result = _listings(sandbox, "--yes", "--refresh", kb=kb)
    assert result.exit_code == 0
    assert listed == 1
    assert stats(sandbox).get(UPLOADS, 0) >= 1  # and the orphan check ran


def test_a_changed_document_takes_the_full_path(tmp_path: Path, sandbox: Server) -> None:
    kb, _ = _synced(tmp_path)
    put(kb, "d0.md", "a new edition")  # kb_files_sha256 differs
    listed, _, result = _listings(sandbox, "--dry-run", kb=kb)
    assert listed == 1
    assert "~ d0.md" in result.stdout


def test_a_changed_spec_takes_the_full_path(tmp_path: Path, sandbox: Server) -> None:
    kb, _ = _synced(tmp_path)
    (kb / "instructions.md").write_text("Other instructions.\n")  # kb_spec_sha256 differs
    listed, _, result = _listings(sandbox, "--dry-run", kb=kb)
    assert listed == 1
    assert "Instructions or settings changed since the last sync." in result.stdout


def test_a_file_deleted_in_the_dashboard_is_found_without_refresh(
    tmp_path: Path, sandbox: Server, client: Any
) -> None:
    kb, store_id = _synced(tmp_path)
    (gone,) = by_path(client, store_id)["d3.md"]
    client.vector_stores.files.delete(gone.id, vector_store_id=store_id)  # total: N - 1
    listed, _, result = _listings(sandbox, "--dry-run", kb=kb)
    assert listed == 1
    assert "+ d3.md" in result.stdout
    apply_ok(kb)
    assert_in_sync(kb)


def test_a_file_added_in_the_dashboard_is_found_without_refresh(
    tmp_path: Path, sandbox: Server, client: Any
) -> None:
    kb, store_id = _synced(tmp_path)
    extra = client.files.create(file=("hand.md", io.BytesIO(b"by hand")), purpose="assistants")
    client.vector_stores.files.create_and_poll(file_id=extra.id, vector_store_id=store_id)
    listed, _, result = _listings(sandbox, "--dry-run", kb=kb)  # total: N + 1
    assert listed == 1
    assert "(unmanaged: " in result.stdout


def test_a_file_not_completed_takes_the_full_path(
    tmp_path: Path, sandbox: Server, client: Any
) -> None:
    kb, store_id = _synced(tmp_path)
    (original,) = by_path(client, store_id)["d1.md"]
    # Same total, but one file failed: d1.md's copy replaced by bytes that cannot be parsed.
    client.vector_stores.files.delete(original.id, vector_store_id=store_id)
    broken = client.files.create(file=("d1.pdf", io.BytesIO(b"no pdf")), purpose="assistants")
    client.vector_stores.files.create_and_poll(
        file_id=broken.id, vector_store_id=store_id, attributes=dict(original.attributes)
    )
    counted = client.vector_stores.retrieve(store_id).file_counts
    assert (counted.total, counted.completed, counted.failed) == (5, 4, 1)
    listed, _, _ = _listings(sandbox, "--dry-run", kb=kb)
    assert listed == 1


def test_a_dirty_stamp_takes_the_full_path(tmp_path: Path, sandbox: Server, client: Any) -> None:
    kb, store_id = _synced(tmp_path)
    metadata = dict(client.vector_stores.retrieve(store_id).metadata)
    client.vector_stores.update(store_id, metadata={**metadata, "kb_files_sha256": ""})
    listed, _, result = _listings(sandbox, "--yes", kb=kb)
    assert listed == 1
    assert result.exit_code == 0
    assert client.vector_stores.retrieve(store_id).metadata == metadata  # stamped again
    assert counts(kb) == {}


def test_killed_between_the_dirty_mark_and_the_stamp_then_the_full_path_converges(
    tmp_path: Path, sandbox: Server, client: Any, base_url: str
) -> None:
    kb, store_id = _synced(tmp_path)
    first = (kb / "files" / "d0.md").read_text()
    put(kb, "d0.md", "second edition of document 0")

    # Killed after the old d0.md is gone and before the stamp: the store then holds
    # N completed files, as a stamp of the first edition would expect. Without the dirty
    # mark, reverting d0.md would look in sync on the fast path, with the second edition
    # left in the store.
    set_faults(sandbox, latency_ms=400)
    seen = kill_apply_when(
        sandbox,
        kb,
        base_url,
        lambda r: r["method"] == "DELETE" and r["path"].startswith("/v1/files/"),
        "deleted the old version",
    )
    set_faults(sandbox)
    writes = [r for r in requests_log(sandbox)[seen:] if r["method"] == "POST"]
    stamps = [r["body"]["metadata"] for r in writes if r["path"] == f"/v1/vector_stores/{store_id}"]
    assert [s["kb_files_sha256"] for s in stamps] == [""], "killed too late to prove anything"
    store = client.vector_stores.retrieve(store_id)
    assert store.metadata["kb_files_sha256"] == ""
    assert (store.file_counts.total, store.file_counts.completed) == (5, 5)

    put(kb, "d0.md", first)  # back to the edition the old stamp described
    listed, _, result = _listings(sandbox, "--yes", kb=kb)
    assert result.exit_code == 0, result.stderr
    assert listed == 1
    assert_in_sync(kb, "--refresh")
    grouped = by_path(client, store_id)
    assert sorted(grouped) == sorted(DOCS)
    (d0,) = grouped["d0.md"]
    assert d0.attributes["kb_sha256"] == hashlib.sha256(first.encode()).hexdigest()
    assert client.vector_stores.retrieve(store_id).metadata["kb_files_sha256"] != ""
