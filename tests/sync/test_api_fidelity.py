"""kbsync survives what the live API does (issue 11), each through the sandbox's behaviour:
eventual consistency, an exhausted quota, permanent processing failures, a File that
never shows up in a batch."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import pytest

from kbcore.kb import load_kb
from kbcore.wire import is_ours
from sync import _ingest
from sync._apply import apply
from sync._progress import make as make_progress
from sync._remote import Remote
from sync._remote_errors import QuotaExhausted
from sync._run import make_plan
from testing.sandbox import set_faults
from testing.servers import Server
from tests.sync._sync_helpers import (
    apply_ok,
    assert_in_sync,
    by_path,
    kbsync,
    plan_of,
    put,
    stats,
    write_kb,
)

pytestmark = pytest.mark.usefixtures("sandbox_env")

QUOTA_LINE = (
    "error: OpenAI refused: the API key's quota is exhausted (insufficient_quota); add credit "
    "or raise the limit at https://platform.openai.com/settings/organization/billing, then "
    "run kbsync again."
)
BATCHES = "POST /v1/vector_stores/{vector_store_id}/file_batches"


def test_300_files_with_consistency_2000_converge_in_one_run(
    tmp_path: Path, sandbox: Server, client: Any
) -> None:
    kb = write_kb(tmp_path, {f"d{n:03}.md": f"document number {n}" for n in range(300)})
    set_faults(sandbox, consistency_ms=2000)
    result = kbsync(kb, "--yes")
    assert result.exit_code == 0, result.stderr
    counted = stats(sandbox)
    assert counted["POST /v1/files"] == 300  # nothing sent twice
    assert counted[BATCHES] > 3  # 3 batches of 100, some refused while their Files were young
    store_id = plan_of(kb)["vector_store_id"]
    grouped = by_path(client, store_id)
    assert len(grouped) == 300
    assert all(len(files) == 1 and files[0].status == "completed" for files in grouped.values())
    # No orphan: every File kbsync uploaded for the store is attached to it.
    attached = {f.id for files in grouped.values() for f in files}
    ours = [f for f in client.files.list(purpose="assistants") if is_ours(f.filename, store_id)]
    assert sorted(f.id for f in ours) == sorted(attached)
    set_faults(sandbox)
    assert_in_sync(kb, "--refresh")


def test_a_file_the_api_never_knows_is_left_out_and_the_rest_attached(
    tmp_path: Path, client: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(_ingest, "YOUNG_FOR", 0.5)
    kb = write_kb(tmp_path, {"a.md": "alpha", "b.md": "bravo", "c.md": "charlie"})
    remote = Remote.from_env()
    real_upload = remote.upload

    def upload_then_lose(path: Path, filename: str, **options: Any) -> str:
        file_id = real_upload(path, filename, **options)
        if filename.startswith("b~"):
            client.files.delete(file_id)  # as if the upload never reached the store
        return file_id

    monkeypatch.setattr(remote, "upload", upload_then_lose)
    try:
        report = apply(make_plan(load_kb(kb), remote), remote, make_progress(quiet=True))
    finally:
        remote.close()
    assert [f.path for f in report.failures] == ["b.md"]
    assert "still does not know file file-" in report.failures[0].error
    assert not report.stamped
    assert sorted(by_path(client, report.store_id)) == ["a.md", "c.md"]
    apply_ok(kb)
    assert_in_sync(kb)


def test_quota_exits_1_at_once_with_one_line(tmp_path: Path, sandbox: Server) -> None:
    kb = write_kb(tmp_path, {"a.md": "alpha"})
    set_faults(sandbox, quota=True)
    started = time.monotonic()
    result = kbsync(kb, "--yes")
    elapsed = time.monotonic() - started
    assert result.exit_code == 1
    assert elapsed < 5
    assert result.stdout == ""
    assert [line for line in result.stderr.splitlines() if not line.startswith("hashed:")] == [
        QUOTA_LINE
    ]
    assert sum(stats(sandbox).values()) == 1  # never repeated


def test_quota_mid_apply_stops_the_run_without_retries(tmp_path: Path, sandbox: Server) -> None:
    kb = write_kb(tmp_path, {f"d{n}.md": f"doc {n}" for n in range(20)})
    remote = Remote.from_env()
    try:
        plan = make_plan(load_kb(kb), remote)
        set_faults(sandbox, quota=True)
        before = sum(stats(sandbox).values())
        with pytest.raises(QuotaExhausted):
            apply(plan, remote, make_progress(quiet=True), concurrency=4)
    finally:
        remote.close()
    assert remote.retries == 0
    # The store creation fails, or at most the uploads already in flight: never 20 of them.
    assert sum(stats(sandbox).values()) - before <= 5


def test_a_document_over_max_file_tokens_is_uploaded_once_across_three_runs(
    tmp_path: Path, sandbox: Server
) -> None:
    set_faults(sandbox, max_file_tokens=50)
    long_text = " ".join(f"word{n}" for n in range(400))
    kb = write_kb(tmp_path, {"short.md": "a few words", "long.md": long_text})
    for run in range(3):
        result = kbsync(kb, "--yes")
        assert result.exit_code == 1, (run, result.stderr)
        assert "OpenAI could not process 1 document (long.md)" in result.stderr.splitlines()[-1]
    assert stats(sandbox)["POST /v1/files"] == 2  # short.md and long.md, once each
    plan = plan_of(kb)
    assert [(c["action"], c["path"]) for c in plan["changes"]] == [("failed", "long.md")]
    assert plan["changes"][0]["error"].startswith("invalid_file: ")
    put(kb, "long.md", "now short")  # fixed: sent again, and the failed copy goes
    apply_ok(kb)
    assert_in_sync(kb)
