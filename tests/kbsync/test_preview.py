"""``kbsync preview --pr N [--delete]`` against the sandbox: the main store's Files are
re-used (uploads counted through ``/_sandbox/stats``), a push updates the preview like a
sync, and deleting it never touches the main store's Files."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner, Result

from kbsync.cli import main
from testing.sandbox import set_faults
from testing.servers import Server
from tests.sync._sync_helpers import (
    apply_ok,
    assert_in_sync,
    by_path,
    plan_of,
    put,
    stats,
    write_kb,
)

pytestmark = pytest.mark.usefixtures("sandbox_env")

DOCS = {f"doc{n}.md": f"# Document {n}\n\nThe text of document number {n}." for n in range(10)}
UPLOADS = "POST /v1/files"


def preview(kb: Path, *args: str) -> Result:
    return CliRunner().invoke(main, ["preview", "--kb", str(kb), *args], catch_exceptions=False)


def uploads(sandbox: Server) -> int:
    return stats(sandbox).get(UPLOADS, 0)


def _main_and_pr(tmp_path: Path, client: Any) -> tuple[Path, Path, str, set[str]]:
    """The main KB synced, and a copy of it (the pull request's checkout)."""
    main_kb = write_kb(tmp_path / "main", DOCS)
    apply_ok(main_kb)
    main_id = plan_of(main_kb)["vector_store_id"]
    pr_kb = tmp_path / "pr" / "kb"
    shutil.copytree(main_kb, pr_kb)
    main_files = {f.id for files in by_path(client, main_id).values() for f in files}
    return main_kb, pr_kb, main_id, main_files


def _preview_store(client: Any, pr: int = 7) -> Any:
    found = [
        s
        for s in client.vector_stores.list(limit=100)
        if (s.metadata or {}).get("kb_preview") == f"pr-{pr}"
    ]
    assert len(found) == 1, found
    return found[0]


def test_a_one_document_pr_uploads_one_file(tmp_path: Path, sandbox: Server, client: Any) -> None:
    main_kb, pr_kb, main_id, main_files = _main_and_pr(tmp_path, client)
    put(pr_kb, "doc3.md", "# Document 3\n\nRewritten in the pull request.")
    before = uploads(sandbox)
    result = preview(pr_kb, "--pr", "7")
    assert result.exit_code == 0, result.stderr
    assert uploads(sandbox) - before == 1
    assert "9 documents attached from the main store's Files (no upload)." in result.stdout
    store = _preview_store(client)
    assert store.name == "kb:test#pr-7"
    assert store.metadata["kb_name"] == "test"
    assert store.metadata["kb_files_sha256"]  # stamped
    assert (store.expires_after.anchor, store.expires_after.days) == ("last_active_at", 7)
    grouped = by_path(client, store.id)
    assert sorted(grouped) == sorted(DOCS)
    assert all(f.status == "completed" for (f,) in grouped.values())
    reused = {p for p, (f,) in grouped.items() if f.id in main_files}
    assert reused == set(DOCS) - {"doc3.md"}
    assert grouped["doc3.md"][0].attributes["kb_title"] == "Document 3"
    # The main store is untouched and still the KB's store.
    assert plan_of(main_kb)["vector_store_id"] == main_id
    assert_in_sync(main_kb, "--refresh")


def test_a_rerun_after_a_push_updates_it_like_a_sync(
    tmp_path: Path, sandbox: Server, client: Any
) -> None:
    main_kb, pr_kb, _, main_files = _main_and_pr(tmp_path, client)
    put(pr_kb, "doc3.md", "# Document 3\n\nRewritten in the pull request.")
    assert preview(pr_kb, "--pr", "7").exit_code == 0

    before = sum(stats(sandbox).values())
    again = preview(pr_kb, "--pr", "7")  # nothing pushed: the stamp says in sync
    assert again.exit_code == 0
    assert "No changes" in again.stdout
    assert sum(stats(sandbox).values()) - before <= 3

    put(pr_kb, "doc3.md", DOCS["doc3.md"])  # back to main's bytes: main's File, no upload
    put(pr_kb, "new.md", "# New\n\nA document only the pull request has.")
    (pr_kb / "files" / "doc5.md").unlink()  # main's File: detached, never deleted
    before = uploads(sandbox)
    pushed = preview(pr_kb, "--pr", "7")
    assert pushed.exit_code == 0, pushed.stderr
    assert uploads(sandbox) - before == 1  # new.md only
    store = _preview_store(client)
    grouped = by_path(client, store.id)
    assert sorted(grouped) == sorted([*(set(DOCS) - {"doc5.md"}), "new.md"])
    assert grouped["doc3.md"][0].id in main_files
    for file_id in main_files:
        assert client.files.retrieve(file_id).id == file_id
    assert_in_sync(main_kb, "--refresh")
    follow_up = preview(pr_kb, "--pr", "7")
    assert follow_up.exit_code == 0
    assert "No changes" in follow_up.stdout


def test_delete_removes_the_store_and_its_own_files_only(
    tmp_path: Path, sandbox: Server, client: Any
) -> None:
    main_kb, pr_kb, main_id, main_files = _main_and_pr(tmp_path, client)
    put(pr_kb, "doc3.md", "# Document 3\n\nRewritten in the pull request.")
    assert preview(pr_kb, "--pr", "7").exit_code == 0
    store = _preview_store(client)
    own = [f.id for files in by_path(client, store.id).values() for f in files]
    own = [f for f in own if f not in main_files]
    assert len(own) == 1

    deleted = preview(pr_kb, "--pr", "7", "--delete")
    assert deleted.exit_code == 0, deleted.stderr
    assert deleted.stdout.splitlines() == [
        f"Deleted preview store {store.id} and 1 file only it used; 9 files of the main store kept."
    ]
    assert [s.id for s in client.vector_stores.list(limit=100)] == [main_id]
    listed = {f.id for f in client.files.list(purpose="assistants")}
    assert own[0] not in listed
    assert main_files <= listed
    assert_in_sync(main_kb, "--refresh")
    assert preview(pr_kb, "--pr", "7", "--delete").stdout.splitlines() == [
        "Pull request #7 has no preview store; nothing to delete."
    ]


def test_a_preview_without_a_main_store_uploads_everything(
    tmp_path: Path, sandbox: Server, client: Any
) -> None:
    pr_kb = write_kb(tmp_path, {"a.md": "# A\n\nalpha", "b.md": "# B\n\nbravo"})
    result = preview(pr_kb, "--pr", "3")
    assert result.exit_code == 0, result.stderr
    assert uploads(sandbox) == 2
    assert plan_of(pr_kb)["vector_store_id"] is None  # a preview is never the main store


def test_an_expired_preview_is_rebuilt_not_reused(
    tmp_path: Path, sandbox: Server, client: Any
) -> None:
    _, pr_kb, _, main_files = _main_and_pr(tmp_path, client)
    put(pr_kb, "doc3.md", "# Document 3\n\nRewritten in the pull request.")
    assert preview(pr_kb, "--pr", "7").exit_code == 0
    old = _preview_store(client)
    own = {f.id for f in client.vector_stores.files.list(old.id)} - main_files
    assert len(own) == 1
    # unused for 8 days: past its 7-day expiry, it refuses searches and answers
    set_faults(sandbox, idle_stores_s=8 * 86400)
    assert client.vector_stores.retrieve(old.id).status == "expired"
    result = preview(pr_kb, "--pr", "7")
    assert result.exit_code == 0, result.output
    assert f"Preview store {old.id} had expired" in result.stderr
    new = _preview_store(client)
    assert new.id != old.id
    assert new.status == "completed"
    assert {s.id for s in client.vector_stores.list()} == {new.id, _main_id(client)}
    remaining = {f.id for f in client.files.list(purpose="assistants")}
    assert not own & remaining  # the expired store's own upload went with it
    assert main_files <= remaining
    assert "No changes" in preview(pr_kb, "--pr", "7").stdout


def _main_id(client: Any) -> str:
    (found,) = [s.id for s in client.vector_stores.list() if "kb_preview" not in (s.metadata or {})]
    return found
