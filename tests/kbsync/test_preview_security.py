"""Issue 23, finding 11: a pull request that renames the KB still has its preview store
(and the Files only it used) deleted when it closes. The delete job runs on the base
branch, which knows the KB by its old name, so previews are found by pull-request number
whatever KB name they carry."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import pytest

from testing.servers import Server
from tests.kbsync.test_preview import DOCS, preview
from tests.sync._sync_helpers import apply_ok, by_path, plan_of, put, write_kb

pytestmark = pytest.mark.usefixtures("sandbox_env")


def test_a_renamed_kbs_preview_is_deleted_by_pull_request_number(
    tmp_path: Path, sandbox: Server, client: Any
) -> None:
    main_kb = write_kb(tmp_path / "main", DOCS)
    apply_ok(main_kb)
    main_id = plan_of(main_kb)["vector_store_id"]
    main_files = {f.id for files in by_path(client, main_id).values() for f in files}
    pr_kb = tmp_path / "pr" / "kb"
    shutil.copytree(main_kb, pr_kb)
    (pr_kb / "assistant.yaml").write_text("name: renamed\n")
    put(pr_kb, "doc3.md", "# Document 3\n\nRewritten in the pull request.")
    assert preview(pr_kb, "--pr", "7").exit_code == 0
    (store,) = [s for s in client.vector_stores.list(limit=100) if s.id != main_id]
    assert store.metadata["kb_name"] == "renamed"
    own = {f.id for files in by_path(client, store.id).values() for f in files} - main_files

    # The closed pull request's job: the base branch's checkout, the KB's old name.
    deleted = preview(main_kb, "--pr", "7", "--delete")
    assert deleted.exit_code == 0, deleted.stderr
    assert deleted.stdout.splitlines() == [
        f"Deleted preview store {store.id} and {len(own)} files only it used; "
        "0 files of the main store kept."
    ]
    assert [s.id for s in client.vector_stores.list(limit=100)] == [main_id]
    listed = {f.id for f in client.files.list(purpose="assistants")}
    assert not own & listed
    assert main_files <= listed


def test_another_pull_requests_preview_is_kept(
    tmp_path: Path, sandbox: Server, client: Any
) -> None:
    kb = write_kb(tmp_path, {"a.md": "# A\n\nalpha"})
    assert preview(kb, "--pr", "8").exit_code == 0
    (kb / "assistant.yaml").write_text("name: other\n")
    assert preview(kb, "--pr", "9").exit_code == 0
    deleted = preview(kb, "--pr", "7", "--delete")
    assert deleted.stdout.splitlines() == [
        "Pull request #7 has no preview store; nothing to delete."
    ]
    labels = sorted(s.metadata["kb_preview"] for s in client.vector_stores.list(limit=100))
    assert labels == ["pr-8", "pr-9"]
