"""kbsync deletes the orphaned uploads it can prove are its own, and nothing else."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import openai
import pytest

from kbcore.wire import display_name, is_ours, orphans, upload_name
from testing.sandbox import sandbox_call
from testing.servers import Server
from tests.sync._sync_helpers import apply_ok, kbsync, write_kb


def test_upload_names_keep_the_name_first_and_the_extension_last() -> None:
    assert upload_name("guide.md", "vs_abc") == "guide~vs_abc.md"
    assert upload_name("Prix 2026.pdf", "vs_abc") == "Prix 2026~vs_abc.pdf"
    assert is_ours("guide~vs_abc.md", "vs_abc")
    assert not is_ours("guide~vs_abc.md", "vs_abcd")  # another KB's store
    assert not is_ours("guide~vs_abcd.md", "vs_abc")
    assert not is_ours("guide.md", "vs_abc")  # a dashboard upload, or before the convention
    assert not is_ours("~vs_abc.md", "vs_abc")
    uploads = [("f1", "a~vs_abc.md"), ("f2", "b~vs_abc.md"), ("f3", "a.md"), ("f4", "a~vs_x.md")]
    assert orphans(uploads, "vs_abc", ["f2", "f3"]) == ("f1",)
    # what people read (the relay's source events) is the document's own name
    assert display_name("Prix 2026~vs_abc.pdf") == "Prix 2026.pdf"
    assert display_name("guide.md") == "guide.md"
    assert display_name("a~b.md") == "a~b.md"


pytestmark = pytest.mark.usefixtures("sandbox_env")


def _upload(client: Any, name: str) -> str:
    file_id: str = client.files.create(file=(name, b"# lost\n\nbytes"), purpose="assistants").id
    return file_id


def test_only_our_unattached_uploads_are_deleted(
    tmp_path: Path, sandbox: Server, client: Any
) -> None:
    kb = write_kb(tmp_path, {"a.md": "alpha", "b.md": "beta"})
    apply_ok(kb)
    store = json.loads(kbsync(kb, "--dry-run", "--json").stdout)["vector_store_id"]
    attached = client.vector_stores.files.list(store).data
    assert sorted(client.files.retrieve(f.id).filename for f in attached) == [
        f"a~{store}.md",
        f"b~{store}.md",
    ]

    ours = _upload(client, upload_name("lost.md", store))  # an apply killed before attaching
    foreign = [
        _upload(client, "lost.md"),  # someone else's upload, or one from before the convention
        _upload(client, upload_name("lost.md", "vs_another_kb")),  # another KB's
    ]
    dashboard = _upload(client, "dashboard.md")  # attached by hand: unmanaged, kept
    client.vector_stores.files.create(vector_store_id=store, file_id=dashboard)

    before = sandbox_call(sandbox, "GET", "/_sandbox/stats")["total"]
    planned = kbsync(kb, "--dry-run", "--json")
    document = json.loads(planned.stdout)
    assert document["orphans"] == [ours]
    assert document["pending"] is True
    assert "1 orphaned upload of an interrupted run" in kbsync(kb, "--dry-run").stdout
    sent = sandbox_call(sandbox, "GET", "/_sandbox/requests?limit=100")["requests"]
    total = sandbox_call(sandbox, "GET", "/_sandbox/stats")["total"]
    assert {r["method"] for r in sent[-(total - before) :]} == {"GET"}

    applied = apply_ok(kb)
    assert "1 orphaned upload deleted" in applied.stdout
    with pytest.raises(openai.NotFoundError):
        client.files.retrieve(ours)
    for file_id in [*foreign, dashboard]:
        assert client.files.retrieve(file_id).id == file_id
    assert dashboard in {f.id for f in client.vector_stores.files.list(store).data}
    after = json.loads(kbsync(kb, "--dry-run", "--json").stdout)
    assert [c["action"] for c in after["changes"]] == ["unmanaged"]
    assert after["pending"] is False
    assert "orphans" not in after
