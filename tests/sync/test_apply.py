"""``_apply.apply`` against the sandbox: order, failures, deadlines, batches, store bounds."""

from __future__ import annotations

import io
import re
from pathlib import Path
from typing import Any

import pytest

from kbcore.kb import load_kb
from sync import _ingest
from sync._apply import ApplyReport, apply
from sync._progress import make as make_progress
from sync._remote import Remote
from sync._run import make_plan
from sync.plan import Plan
from testing.sandbox import sandbox_call, set_faults
from testing.servers import Server
from tests.sandbox.conftest import make_pdf
from tests.sync._sync_helpers import apply_ok, assert_in_sync, by_path, put, write_kb

pytestmark = pytest.mark.usefixtures("sandbox_env")


def plan_and_apply(kb: Path, **options: Any) -> tuple[Plan, ApplyReport]:
    remote = Remote.from_env()
    try:
        plan = make_plan(load_kb(kb), remote)
        return plan, apply(plan, remote, make_progress(quiet=True), **options)
    finally:
        remote.close()


def test_a_failed_update_keeps_the_old_version(tmp_path: Path, client: Any) -> None:
    kb = write_kb(tmp_path, {"a.md": "alpha", "doc.pdf": make_pdf("Opening hours: 9 to 5.")})
    apply_ok(kb)
    put(kb, "doc.pdf", b"%PDF-1.4 truncated")
    plan, report = plan_and_apply(kb)
    assert [c.action.value for c in plan.changes] == ["update"]
    # Refused for good: the document's problem, not the run's (the store is stamped).
    assert report.failures == []
    assert [(f.path, f.error.split(":")[0]) for f in report.failed] == [
        ("doc.pdf", "processing failed")
    ]
    assert "invalid_file" in report.failed[0].error
    assert report.stamped
    files = by_path(client, report.store_id)["doc.pdf"]
    assert sorted(f.status for f in files) == ["completed", "failed"]
    # The old version still answers searches.
    hits = client.vector_stores.search(report.store_id, query="opening hours")
    assert any(h.attributes["kb_path"] == "doc.pdf" for h in hits.data)


def test_processing_deadline_reports_and_keeps_the_old_version(
    tmp_path: Path, sandbox: Server, client: Any
) -> None:
    kb = write_kb(tmp_path, {"a.md": "alpha"})
    apply_ok(kb)
    put(kb, "a.md", "alpha two")
    set_faults(sandbox, rate=1.0, kinds=["stuck"])
    _, report = plan_and_apply(kb, deadline=0.5)
    set_faults(sandbox)
    assert [f.path for f in report.failures] == ["a.md"]
    assert report.failures[0].error.startswith("still processing after 0.5 s")
    assert not report.stamped
    files = by_path(client, report.store_id)["a.md"]
    assert sorted(f.status for f in files) == ["completed", "in_progress"]
    apply_ok(kb)
    assert_in_sync(kb)


def test_batches_are_split_at_the_limit(
    tmp_path: Path, sandbox: Server, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(_ingest, "BATCH_LIMIT", 2)
    kb = write_kb(tmp_path, {f"d{n}.md": f"doc {n}" for n in range(5)})
    _, report = plan_and_apply(kb)
    assert report.uploaded == 5
    assert not report.failures
    stats = sandbox_call(sandbox, "GET", "/_sandbox/stats")["requests"]
    assert stats["POST /v1/vector_stores/{vector_store_id}/file_batches"] == 3
    assert_in_sync(kb)


def test_batches_carry_per_file_attributes_and_chunking(tmp_path: Path, sandbox: Server) -> None:
    settings = (
        "name: test\n"
        "chunking: {max_chunk_size_tokens: 300, chunk_overlap_tokens: 50}\n"
        'attributes:\n  "ru/**": {lang: ru}\n'
    )
    kb = write_kb(tmp_path, {"ru/a.md": "privet", "b.md": "hello"}, settings)
    plan_and_apply(kb)
    log = sandbox_call(sandbox, "GET", "/_sandbox/requests")["requests"]
    (batch,) = [r for r in log if r["method"] == "POST" and r["path"].endswith("/file_batches")]
    entries = {e["attributes"]["kb_path"]: e for e in batch["body"]["files"]}
    assert entries["ru/a.md"]["attributes"]["lang"] == "ru"
    assert "lang" not in entries["b.md"]["attributes"]
    assert entries["b.md"]["chunking_strategy"] == {
        "type": "static",
        "static": {"max_chunk_size_tokens": 300, "chunk_overlap_tokens": 50},
    }


def test_deletes_never_reach_beyond_the_kb_store(tmp_path: Path, client: Any) -> None:
    other = client.vector_stores.create(name="someone else")
    foreign = client.files.create(file=("theirs.md", io.BytesIO(b"theirs")), purpose="assistants")
    client.vector_stores.files.create_and_poll(
        file_id=foreign.id,
        vector_store_id=other.id,
        attributes={"kb_path": "a.md", "kb_sha256": "0" * 64},
    )
    kb = write_kb(tmp_path, {"a.md": "alpha", "b.md": "bravo"})
    apply_ok(kb)
    (kb / "files" / "a.md").unlink()
    apply_ok(kb, "--prune-unmanaged")
    assert [f.id for f in client.vector_stores.files.list(other.id)] == [foreign.id]
    assert client.files.retrieve(foreign.id).id == foreign.id


def test_order_dirty_mark_uploads_deletes_retags_then_stamp(
    tmp_path: Path, sandbox: Server
) -> None:
    kb = write_kb(tmp_path, {"a.md": "alpha", "b.md": "bravo", "c.md": "charlie"})
    apply_ok(kb)
    put(kb, "a.md", "alpha two")
    (kb / "files" / "b.md").rename(kb / "files" / "b2.md")
    (kb / "files" / "c.md").unlink()
    seen = len(sandbox_call(sandbox, "GET", "/_sandbox/requests")["requests"])
    plan_and_apply(kb)
    log = sandbox_call(sandbox, "GET", "/_sandbox/requests")["requests"][seen:]
    writes = [(r["method"], r["path"]) for r in log if r["method"] != "GET"]
    kinds = []
    for method, path in writes:
        if method == "POST" and path == "/v1/files":
            kinds.append("upload")
        elif path.endswith("/file_batches"):
            kinds.append("attach")
        elif method == "DELETE":
            kinds.append("delete")
        elif "/files/" in path:
            kinds.append("retag")
        else:
            kinds.append("stamp")
    # The first write marks the stamp dirty; the last one stamps.
    assert kinds == ["stamp", "upload", "attach", *["delete"] * 4, "retag", "stamp"]
    stamps = [
        r["body"]["metadata"]
        for r in log
        if r["method"] == "POST" and re.fullmatch(r"/v1/vector_stores/[^/]+", r["path"])
    ]
    assert stamps[0]["kb_files_sha256"] == ""
    assert stamps[-1]["kb_files_sha256"] == load_kb(kb).files_digest
