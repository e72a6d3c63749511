"""Paths from a pull request (issue 23): a name with control characters is refused and
never printed raw (finding 6); a document is uploaded only as the bytes kbsync loaded,
read through no link anywhere below ``kb/files/`` (finding 8)."""

from __future__ import annotations

import shutil
import time
from pathlib import Path

import httpx2
import pytest
from click.testing import CliRunner

from kbcore.errors import KbError
from kbcore.kb import load_kb
from kbcore.output import display_path
from kbsync.cli import main
from sync._changes import Create
from sync._ingest import ingest
from sync._progress import make as make_progress
from tests.kbcore._kb_trees import make_kb
from tests.sync.test_remote import remote_with

LEAK = b"OPENAI_API_KEY=sk-leaked-if-uploaded\n"


@pytest.fixture(autouse=True)
def _in_tmp(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("KB_DIR", raising=False)


# ---- finding 6: control characters in paths -----------------------------------------------


@pytest.mark.parametrize(
    "name",
    [
        "notes\n::error title=Deploy failed::see https---evil.example.md",
        "notes\r::warning::x.md",
        "bell\x07.md",
        "esc\x1b[2J.md",
        "c1\x9b2J.md",
        "sep\u2028::error::x.md",
        "sub\n::error::dir/page.md",
    ],
    ids=["newline", "carriage-return", "bell", "escape", "c1", "line-separator", "folder"],
)
def test_validate_refuses_control_characters_in_paths_and_never_prints_them(
    tmp_path: Path, name: str
) -> None:
    make_kb(tmp_path, {name: "# A page\n", "fine.md": "# Fine\n"})
    outcome = CliRunner().invoke(main, ["validate"])
    assert outcome.exit_code == 1
    lines = outcome.stderr.splitlines()
    assert len(lines) == 1, outcome.stderr
    assert lines[0].startswith("error: kb/files/")
    assert "control character" in lines[0]
    assert "rename it" in lines[0]
    for line in outcome.output.splitlines():
        assert not line.lstrip().startswith("::"), outcome.output
    assert not any(c in outcome.output for c in "\r\x07\x1b\x9b\u2028")


def test_display_path_escapes_control_characters(tmp_path: Path) -> None:
    assert display_path(tmp_path / "a\n::error::b.md") == "a\\n::error::b.md"
    assert display_path(tmp_path / "x\x1b]0;t\x07.md") == "x\\x1b]0;t\\x07.md"


# ---- finding 8: upload reads through no link and only the bytes that were loaded ----------


def _uploads(sent: list[bytes]) -> httpx2.MockTransport:
    """Files uploads are recorded and accepted; a batch is completed at once."""

    def handle(request: httpx2.Request) -> httpx2.Response:
        if "file_batches" in request.url.path:
            counts = {"in_progress": 0, "completed": 1, "failed": 0, "cancelled": 0, "total": 1}
            batch = {
                "id": "vsfb_1",
                "object": "vector_store.file_batch",
                "created_at": 0,
                "vector_store_id": "vs_1",
                "status": "completed",
                "file_counts": counts,
            }
            return httpx2.Response(200, json=batch)
        sent.append(request.read())
        body = {
            "id": f"file-{len(sent)}",
            "object": "file",
            "bytes": 1,
            "created_at": 0,
            "filename": "page.md",
            "purpose": "assistants",
            "status": "processed",
        }
        return httpx2.Response(200, json=body)

    return httpx2.MockTransport(handle)


def _ingest(kb_dir: Path, swap: object) -> tuple[list[bytes], KbError | list[str]]:
    """Load ``kb_dir``, run ``swap`` (the attacker, between loading and uploading), then
    upload its one document the way a sync does: what was sent, and what was raised (a
    ``KbError`` stops the run) or the documents' failures (a list, empty when none)."""
    kb = load_kb(kb_dir)
    (document,) = kb.documents
    assert callable(swap)
    swap()
    sent: list[bytes] = []
    remote, _ = remote_with(lambda request: _uploads(sent).handle_request(request))
    change = Create(document.path, document, {})
    try:
        ingested = ingest(
            [change],
            remote,
            make_progress(quiet=True),
            store="vs_1",
            chunking=None,
            concurrency=1,
            deadline=time.monotonic() + 5,
            sleep=lambda _: None,
        )
    except KbError as exc:
        return sent, exc
    return sent, [f"{failure.path}: {failure.error}" for failure in ingested.failures]


def test_a_parent_folder_swapped_for_a_link_is_not_followed_at_upload(tmp_path: Path) -> None:
    kb = make_kb(tmp_path, {"guides/deep/page.md": "# Page\n"})
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "page.md").write_bytes(LEAK)

    def swap() -> None:
        deep = kb / "files" / "guides" / "deep"
        shutil.rmtree(deep)
        deep.symlink_to(outside, target_is_directory=True)

    sent, raised = _ingest(kb, swap)
    assert not any(b"sk-leaked" in body for body in sent)
    assert isinstance(raised, KbError)
    assert "kb/files/guides/deep/page.md" in str(raised)
    assert "symbolic link" in str(raised)


def test_a_grandparent_folder_swapped_for_a_link_is_not_followed_at_upload(
    tmp_path: Path,
) -> None:
    kb = make_kb(tmp_path, {"guides/deep/page.md": "# Page\n"})
    outside = tmp_path / "outside"
    (outside / "deep").mkdir(parents=True)
    (outside / "deep" / "page.md").write_bytes(LEAK)

    def swap() -> None:
        guides = kb / "files" / "guides"
        shutil.rmtree(guides)
        guides.symlink_to(outside, target_is_directory=True)

    sent, raised = _ingest(kb, swap)
    assert not any(b"sk-leaked" in body for body in sent)
    assert isinstance(raised, KbError)


def test_bytes_changed_after_loading_are_not_uploaded(tmp_path: Path) -> None:
    kb = make_kb(tmp_path, {"page.md": "# Page\n"})

    def rewrite() -> None:
        (kb / "files" / "page.md").write_bytes(LEAK)

    sent, outcome = _ingest(kb, rewrite)
    assert not any(b"sk-leaked" in body for body in sent)
    assert outcome == [
        "page.md: kb/files/page.md changed after it was read for this run (still being "
        "written?); it is sent once it stops changing."
    ]


def test_unchanged_documents_upload_their_loaded_bytes(tmp_path: Path) -> None:
    kb = make_kb(tmp_path, {"guides/deep/page.md": "# Page\n"})
    sent, outcome = _ingest(kb, lambda: None)
    assert outcome == []
    (body,) = sent
    assert b"# Page\n" in body


def test_the_plan_never_prints_a_raw_remote_path() -> None:
    from sync._render import text
    from sync.plan import diff
    from tests.sync._plan_fixtures import make_kb as plan_kb
    from tests.sync._plan_fixtures import remote_file, stamped

    kb = plan_kb({"a.md": "a"})
    remote = stamped(
        kb,
        remote_file("file-a", "a.md", "a"),
        remote_file("file-b", "old\n::error::x.md", "b"),
        remote_file("file-c", None, None, filename="new\r::warning::y.md"),
    )
    rendered = text(diff(kb, remote))
    assert "old\\n::error::x.md" in rendered
    for line in rendered.splitlines():
        assert not line.lstrip().startswith("::"), rendered
    assert "\r" not in rendered
