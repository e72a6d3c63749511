"""Interrupted and misbehaving runs still converge (sandbox faults, a killed process)."""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Any

import pytest

from kbcore.kb import load_kb
from sync._remote import Remote
from sync._run import make_plan
from testing.sandbox import requests_log, sandbox_call, set_faults
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
    write_kb,
)

pytestmark = pytest.mark.usefixtures("sandbox_env")


def _assert_store_matches(kb: Path, client: Any, store_id: str) -> None:
    """Exactly one completed file per document, carrying the document's hash."""
    grouped = by_path(client, store_id)
    documents = {
        p.relative_to(kb / "files").as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in (kb / "files").rglob("*")
        if p.is_file()
    }
    assert sorted(grouped) == sorted(documents)
    for path, files in grouped.items():
        assert len(files) == 1, path
        assert files[0].status == "completed"
        assert files[0].attributes["kb_sha256"] == documents[path]


def test_killed_between_upload_and_delete_then_converges(
    tmp_path: Path, sandbox: Server, client: Any, base_url: str
) -> None:
    kb = write_kb(tmp_path, {f"d{n}.md": f"first version of {n}" for n in range(6)})
    apply_ok(kb)
    store_id = plan_of(kb)["vector_store_id"]
    for n in range(3):
        put(kb, f"d{n}.md", f"second version of {n}")
    (kb / "files" / "d5.md").unlink()
    put(kb, "new.md", "a new document")

    set_faults(sandbox, latency_ms=300)  # slow enough to aim between the attach and the deletes
    seen = kill_apply_when(
        sandbox,
        kb,
        base_url,
        lambda r: r["method"] == "POST" and r["path"].endswith("/file_batches"),
        "attached a batch",
    )
    set_faults(sandbox)
    recent = requests_log(sandbox)[seen:]
    assert not any(r["method"] == "DELETE" for r in recent), "killed too late to prove anything"

    # No document in git went missing: every path still has a completed file.
    grouped = by_path(client, store_id)
    for n in range(5):
        assert any(f.status == "completed" for f in grouped[f"d{n}.md"]), n

    assert kbsync(kb, "--yes").exit_code == 0
    assert_in_sync(kb)
    _assert_store_matches(kb, client, store_id)


def test_faults_at_rate_0_2_still_converge(tmp_path: Path, sandbox: Server, client: Any) -> None:
    kb = write_kb(tmp_path, {f"d{n:02}.md": f"document number {n}" for n in range(30)})
    set_faults(sandbox, rate=0.2, kinds=["429", "500", "reset"], seed=11, retry_after_ms=100)
    first = kbsync(kb, "--yes")
    assert first.exit_code == 0, first.stderr

    for n in range(5):
        put(kb, f"d{n:02}.md", f"edited document {n}")
    for n in range(5, 8):
        (kb / "files" / f"d{n:02}.md").unlink()
    (kb / "files" / "d10.md").rename(kb / "files" / "renamed.md")
    put(kb, "extra.md", "one more")
    second = kbsync(kb, "--yes")
    assert second.exit_code == 0, second.stderr
    stats = sandbox_call(sandbox, "GET", "/_sandbox/stats")
    assert stats["total"] > 0

    set_faults(sandbox)
    assert_in_sync(kb)
    store_id = plan_of(kb)["vector_store_id"]
    _assert_store_matches(kb, client, store_id)


def test_a_rerun_after_processing_failure_converges_once_fixed(tmp_path: Path) -> None:
    kb = write_kb(tmp_path, {"a.md": "alpha", "doc.pdf": b"%PDF-1.4 broken"})
    assert kbsync(kb, "--yes").exit_code == 1
    (kb / "files" / "doc.pdf").unlink()
    put(kb, "doc.md", "now as text")
    assert counts(kb) == {"create": 1, "delete": 1}
    apply_ok(kb)
    assert_in_sync(kb)


def test_planning_under_faults_retries_and_sees_the_same_store(
    tmp_path: Path, sandbox: Server
) -> None:
    files: dict[str, str | bytes] = {f"d{n:03}.md": f"document {n}" for n in range(250)}
    kb = write_kb(tmp_path, files)
    apply_ok(kb)
    set_faults(sandbox, rate=0.3, kinds=["429", "500", "reset"], seed=3, retry_after_ms=50)
    remote = Remote.from_env()
    try:
        plan = make_plan(load_kb(kb), remote, refresh=True)
    finally:
        remote.close()
        set_faults(sandbox)
    assert plan.changes == ()
    assert not plan.pending
    assert remote.retries > 0
    # model, stores, 3 pages of files, 1 page of uploads (the orphan check)
    assert remote.requests == 6 + remote.retries
