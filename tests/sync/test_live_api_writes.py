"""The sync against the live API's bites around writes (issue 22 items 2-4), through the
real SDK and the sandbox: a File deleted under the store (stale counts), a preview that
holds a File the main store lets go, lost replies on POST, per-route rate limits."""

from __future__ import annotations

import random
import time
from pathlib import Path
from typing import Any

import openai
import pytest
from click.testing import CliRunner, Result

from kbsync.cli import main
from sync import Remote
from sync._retry import RetryPolicy
from testing.sandbox import API_KEY, Sandbox, set_faults
from testing.servers import Server
from tests.sync._sync_helpers import (
    apply_ok,
    assert_in_sync,
    by_path,
    counts,
    plan_of,
    put,
    stats,
    write_kb,
)

pytestmark = pytest.mark.usefixtures("sandbox_env")

DOCS = {f"doc{n}.md": f"# Document {n}\n\nThe text of document number {n}." for n in range(6)}


def _store(kb: Path) -> str:
    store_id: str = plan_of(kb)["vector_store_id"]
    return store_id


def _first_only_seed(rate: float) -> int:
    for candidate in range(1000):
        rng = random.Random(candidate)
        draws = [rng.random() for _ in range(6)]
        if draws[0] < rate and all(d >= rate for d in draws[1:]):
            return candidate
    raise AssertionError("no such seed")


def test_a_file_deleted_under_the_store_is_found_and_restored(
    tmp_path: Path, sandbox: Server, client: Any
) -> None:
    kb = write_kb(tmp_path, DOCS)
    apply_ok(kb)
    store_id = _store(kb)
    (lost,) = by_path(client, store_id)["doc2.md"]
    client.files.delete(lost.id)  # by hand, without detaching it first
    # what a sync trusting counts and stamp alone would see: still 6 of 6 completed
    file_counts = client.vector_stores.retrieve(store_id).file_counts
    assert (file_counts.completed, file_counts.total) == (6, 6)
    assert "doc2.md" not in by_path(client, store_id)
    assert counts(kb) == {"create": 1}
    apply_ok(kb)
    assert sorted(by_path(client, store_id)) == sorted(DOCS)
    # the counts stay stale (7 of 7 for 6 files): every sync lists, and still plans nothing
    assert_in_sync(kb)


def preview(kb: Path, *args: str) -> Result:
    return CliRunner().invoke(main, ["preview", "--kb", str(kb), *args], catch_exceptions=False)


def test_main_letting_go_of_a_file_a_preview_holds_keeps_the_preview_whole(
    tmp_path: Path, sandbox: Server, client: Any
) -> None:
    main_kb = write_kb(tmp_path / "main", DOCS)
    apply_ok(main_kb)
    main_id = _store(main_kb)
    pr_kb = write_kb(tmp_path / "pr", {**DOCS, "doc0.md": "# Document 0\n\nChanged in the PR."})
    assert preview(pr_kb, "--pr", "3").exit_code == 0
    (held,) = by_path(client, main_id)["doc5.md"]
    # main changes doc5 and syncs: its old File is the one the preview attached
    put(main_kb, "doc5.md", "# Document 5\n\nRewritten on main.")
    apply_ok(main_kb)
    assert held.id not in {f.id for f in client.vector_stores.files.list(main_id)}
    assert client.files.retrieve(held.id).id == held.id  # kept: the preview holds it
    preview_id = next(
        s.id for s in client.vector_stores.list() if (s.metadata or {}).get("kb_preview")
    )
    assert held.id in {f.id for f in by_path(client, preview_id)["doc5.md"]}
    hits = client.vector_stores.search(preview_id, query="document number 5").data
    assert held.id in {hit.file_id for hit in hits}
    file_counts = client.vector_stores.retrieve(preview_id).file_counts
    assert (file_counts.completed, file_counts.total) == (6, 6)
    # main is in sync: the kept File is no orphan of its
    assert_in_sync(main_kb)
    # and the preview's deletion takes it, once nothing holds it
    assert preview(pr_kb, "--pr", "3", "--delete").exit_code == 0
    assert held.id not in {f.id for f in client.files.list(purpose="assistants")}
    assert_in_sync(main_kb)


def test_a_lost_create_reply_leaves_one_store(tmp_path: Path, sandbox: Server) -> None:
    seed = _first_only_seed(0.5)
    set_faults(
        sandbox, rate=0.5, kinds=["drop_reply"], routes=["POST /v1/vector_stores"], seed=seed
    )
    kb = write_kb(tmp_path, DOCS)
    apply_ok(kb)
    assert stats(sandbox)["POST /v1/vector_stores"] == 1  # found, not made twice
    set_faults(sandbox)
    claims = [s for s in Sandbox(sandbox.url).client.vector_stores.list() if s.metadata]
    assert len(claims) == 1
    assert "kb_create" not in (claims[0].metadata or {})  # the stamp dropped the mark
    assert_in_sync(kb)


def test_lost_upload_replies_leave_no_orphan(tmp_path: Path, sandbox: Server) -> None:
    set_faults(sandbox, rate=0.4, kinds=["drop_reply"], routes=["POST /v1/files"], seed=7)
    kb = write_kb(tmp_path, DOCS)
    result = apply_ok(kb)
    sent = stats(sandbox)["POST /v1/files"]
    assert sent > len(DOCS)  # some uploads were made twice: the first reply was lost
    set_faults(sandbox)
    store_id = _store(kb)
    box = Sandbox(sandbox.url)
    assert box.orphans(store_id) == []
    assert len(box.uploads()) == len(DOCS)
    assert f"{sent - len(DOCS)} orphaned uploads deleted" in result.stdout
    assert_in_sync(kb)


def test_a_first_sync_paces_itself_under_route_limits(tmp_path: Path, sandbox: Server) -> None:
    # the live figures scaled down: 8 uploads per key and 2 attaches per store per second
    set_faults(sandbox, route_limits={"uploads": 8, "attaches": 2, "window_ms": 1000})
    docs = {f"d{n:02}.md": f"# Doc {n}\n\nThe text of document {n}." for n in range(40)}
    kb = write_kb(tmp_path, docs)
    started = time.monotonic()
    apply_ok(kb, "--concurrency", "8")
    elapsed = time.monotonic() - started
    sent = stats(sandbox)["POST /v1/files"]
    assert sent > len(docs)  # the limit bit (bare 429s), and the run went on
    assert elapsed >= (len(docs) - 8) / 8  # no faster than the limit allows
    set_faults(sandbox)
    store_id = _store(kb)
    assert sorted(by_path(Sandbox(sandbox.url).client, store_id)) == sorted(docs)
    assert_in_sync(kb)


def test_bare_429s_spend_no_attempts_and_pause_their_route(
    tmp_path: Path, sandbox: Server, base_url: str
) -> None:
    # Two attempts per request: without pacing, the third upload in a window would fail.
    set_faults(sandbox, route_limits={"uploads": 2, "window_ms": 1500})
    client = openai.OpenAI(api_key=API_KEY, base_url=base_url, max_retries=0, timeout=10)
    remote = Remote(client, policy=RetryPolicy(attempts=2))
    document = tmp_path / "a.md"
    document.write_text("# A\n\nalpha")
    started = time.monotonic()
    ids = [remote.upload(document, f"a{n}~vs_test.md") for n in range(5)]
    assert len(set(ids)) == 5
    assert time.monotonic() - started >= 1.5  # the third waited for the window
    assert stats(sandbox)["POST /v1/files"] > 5
    assert remote.retries == stats(sandbox)["POST /v1/files"] - 5
    remote.close()
