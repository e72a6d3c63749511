"""Each action kind against the live sandbox, each followed by a run that plans nothing."""

from __future__ import annotations

import io
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from testing.servers import Server
from tests.sync._sync_helpers import (
    apply_ok,
    assert_in_sync,
    by_path,
    counts,
    kbsync,
    plan_of,
    put,
    stats,
    write_kb,
)

BASE = {"a.md": "alpha text", "b.md": "bravo text", "sub/c.txt": "charlie text"}
BATCHES = "POST /v1/vector_stores/{vector_store_id}/file_batches"


pytestmark = pytest.mark.usefixtures("sandbox_env")


def _synced(tmp_path: Path, settings: str = "name: test\n") -> tuple[Path, str]:
    kb = write_kb(tmp_path, BASE, settings)
    assert counts(kb) == {"create": 3}
    apply_ok(kb)
    assert_in_sync(kb)
    store_id = plan_of(kb)["vector_store_id"]
    assert isinstance(store_id, str)
    return kb, store_id


def _rename(kb: Path) -> None:
    (kb / "files" / "moved").mkdir()
    (kb / "files" / "a.md").rename(kb / "files" / "moved" / "a.md")


@pytest.mark.parametrize(
    ("mutate", "expected"),
    [
        (lambda kb: put(kb, "d.md", "delta text"), {"create": 1}),
        (lambda kb: put(kb, "a.md", "alpha, second edition"), {"update": 1}),
        (lambda kb: (kb / "files" / "b.md").unlink(), {"delete": 1}),
        (_rename, {"move": 1}),
    ],
    ids=["create", "update", "delete", "move"],
)
def test_file_action_then_nothing(
    tmp_path: Path, client: Any, mutate: Callable[[Path], object], expected: dict[str, int]
) -> None:
    kb, store_id = _synced(tmp_path)
    mutate(kb)
    assert counts(kb) == expected
    apply_ok(kb)
    assert_in_sync(kb)
    grouped = by_path(client, store_id)
    wanted = sorted(p.relative_to(kb / "files").as_posix() for p in (kb / "files").rglob("*.*"))
    assert sorted(grouped) == wanted
    assert all(len(files) == 1 for files in grouped.values())


def test_move_sends_no_upload(tmp_path: Path, sandbox: Server) -> None:
    kb, _ = _synced(tmp_path)
    _rename(kb)
    before = stats(sandbox).get("POST /v1/files", 0)
    apply_ok(kb)
    assert stats(sandbox).get("POST /v1/files", 0) == before


def test_retag_then_nothing(tmp_path: Path, client: Any) -> None:
    kb, store_id = _synced(tmp_path)
    (kb / "assistant.yaml").write_text('name: test\nattributes:\n  "sub/**": {lang: en}\n')
    assert counts(kb) == {"retag": 1}
    apply_ok(kb)
    assert_in_sync(kb)
    (file,) = by_path(client, store_id)["sub/c.txt"]
    assert file.attributes == {
        "lang": "en",
        "kb_path": "sub/c.txt",
        "kb_sha256": file.attributes["kb_sha256"],
        "kb_title": "c",
    }


def test_kb_title_on_an_existing_store_is_a_retag_not_an_upload(
    tmp_path: Path, client: Any, sandbox: Server
) -> None:
    """Issue 15: a store synced before kb_title existed gains it by retags only."""
    kb, store_id = _synced(tmp_path)
    # Make the store what the previous kbsync left: no kb_title, no kb_attributes_sha256.
    for files in by_path(client, store_id).values():
        for file in files:
            old = {k: v for k, v in file.attributes.items() if k != "kb_title"}
            client.vector_stores.files.update(file.id, vector_store_id=store_id, attributes=old)
    metadata = dict(client.vector_stores.retrieve(store_id).metadata)
    del metadata["kb_attributes_sha256"]
    client.vector_stores.update(store_id, metadata=metadata)
    assert counts(kb) == {"retag": 3}  # without --refresh: the stamp is not trusted
    before = stats(sandbox)
    apply_ok(kb)
    after = stats(sandbox)
    assert after.get("POST /v1/files", 0) == before.get("POST /v1/files", 0)
    assert after.get(BATCHES, 0) == before.get(BATCHES, 0)
    assert_in_sync(kb)
    titles = {p: f.attributes["kb_title"] for p, (f,) in by_path(client, store_id).items()}
    assert titles == {"a.md": "a", "b.md": "b", "sub/c.txt": "c"}


def test_rechunk_then_nothing(tmp_path: Path, client: Any) -> None:
    kb, store_id = _synced(tmp_path)
    (kb / "assistant.yaml").write_text(
        "name: test\nchunking:\n  max_chunk_size_tokens: 400\n  chunk_overlap_tokens: 100\n"
    )
    assert counts(kb) == {"rechunk": 3}
    assert plan_of(kb)["spec_changed"] is True
    apply_ok(kb)
    assert_in_sync(kb)
    for (file,) in by_path(client, store_id).values():
        assert file.chunking_strategy.static.max_chunk_size_tokens == 400


def _attach(client: Any, store_id: str, name: str, data: bytes, attributes: dict[str, str]) -> str:
    uploaded = client.files.create(file=(name, io.BytesIO(data)), purpose="assistants")
    client.vector_stores.files.create_and_poll(
        file_id=uploaded.id, vector_store_id=store_id, attributes=attributes
    )
    return str(uploaded.id)


def test_failed_is_kept_not_resent_then_fixed(tmp_path: Path, client: Any, sandbox: Server) -> None:
    kb, store_id = _synced(tmp_path)
    (old,) = by_path(client, store_id)["a.md"]
    # A copy of a.md's current version that OpenAI refused for good (invalid_file).
    refused = _attach(client, store_id, "a.pdf", b"not a pdf", dict(old.attributes))
    client.vector_stores.files.delete(old.id, vector_store_id=store_id)
    plan = plan_of(kb)
    assert {k: v for k, v in plan["summary"].items() if v and k != "total"} == {"failed": 1}
    assert plan["changes"][0]["error"].startswith("invalid_file")
    assert plan["changes"][0]["file_ids"] == [refused]
    uploads = stats(sandbox).get("POST /v1/files", 0)
    assert kbsync(kb, "--yes").exit_code == 1
    assert stats(sandbox).get("POST /v1/files", 0) == uploads  # the same bytes: not re-sent
    assert [f.id for f in by_path(client, store_id)["a.md"]] == [refused]
    put(kb, "a.md", "alpha text, fixed")  # new bytes: an update replaces the failed copy
    assert counts(kb) == {"update": 1}
    apply_ok(kb)
    assert_in_sync(kb)
    (file,) = by_path(client, store_id)["a.md"]
    assert file.status == "completed"


def test_duplicate_then_nothing(tmp_path: Path, client: Any) -> None:
    kb, store_id = _synced(tmp_path)
    (original,) = by_path(client, store_id)["b.md"]
    # A second copy of b.md, as an interrupted run leaves it.
    _attach(client, store_id, "b.md", b"bravo text", dict(original.attributes))
    assert counts(kb) == {"duplicate": 1}
    apply_ok(kb)
    assert_in_sync(kb)
    assert len(by_path(client, store_id)["b.md"]) == 1


def test_unmanaged_is_kept_without_prune(tmp_path: Path, client: Any) -> None:
    kb, store_id = _synced(tmp_path)
    file_id = _attach(client, store_id, "dashboard.md", b"added by hand", {})
    plan = plan_of(kb)
    assert [(c["action"], c["path"]) for c in plan["changes"]] == [("unmanaged", "dashboard.md")]
    assert plan["pending"] is False  # shown, but nothing to do without --prune-unmanaged
    assert kbsync(kb, "--dry-run", "--detailed-exitcode").exit_code == 0
    assert kbsync(kb, "--dry-run", "--detailed-exitcode", "--prune-unmanaged").exit_code == 2
    apply_ok(kb)
    # Still there, still shown, and nothing else planned.
    assert [c["action"] for c in plan_of(kb)["changes"]] == ["unmanaged"]
    assert client.vector_stores.files.retrieve(file_id, vector_store_id=store_id).id == file_id


def test_unmanaged_is_detached_with_prune(tmp_path: Path, client: Any) -> None:
    kb, store_id = _synced(tmp_path)
    file_id = _attach(client, store_id, "dashboard.md", b"added by hand", {})
    result = apply_ok(kb, "--prune-unmanaged")
    assert "(unmanaged: " in result.stdout
    assert "detached" in result.stdout
    assert_in_sync(kb)
    assert file_id not in {f.id for f in client.vector_stores.files.list(store_id)}
    # Its File may serve other stores: detached only, never deleted.
    assert client.files.retrieve(file_id).id == file_id


def test_spec_change_alone_restamps(tmp_path: Path, client: Any) -> None:
    kb, store_id = _synced(tmp_path)
    (kb / "instructions.md").write_text("New instructions.\n")
    plan = plan_of(kb)
    assert plan["changes"] == []
    assert plan["spec_changed"] is True
    assert kbsync(kb, "--dry-run", "--detailed-exitcode").exit_code == 2
    apply_ok(kb)
    assert_in_sync(kb)
    metadata = client.vector_stores.retrieve(store_id).metadata
    assert metadata["kb_name"] == "test"
    assert metadata["kb_tool"].startswith("kbsync/")
    assert "kb_revision" not in metadata  # tmp_path is not a git work tree


def test_many_files_across_pages(tmp_path: Path, sandbox: Server) -> None:
    files: dict[str, str | bytes] = {f"doc{n:03}.md": f"document {n}" for n in range(260)}
    kb = write_kb(tmp_path, files)
    apply_ok(kb)
    before = stats(sandbox)
    assert_in_sync(kb, "--refresh")  # the stamp alone would say so without listing
    after = stats(sandbox)
    route = "GET /v1/vector_stores/{vector_store_id}/files"
    assert after[route] - before.get(route, 0) == 3  # 100 + 100 + 60
    (kb / "files" / "doc007.md").unlink()
    put(kb, "doc250.md", "changed")
    assert counts(kb) == {"delete": 1, "update": 1}
    apply_ok(kb)
    assert_in_sync(kb)
