"""``plan.diff``: every action kind from hand-built states (no server)."""

from __future__ import annotations

from kbcore.kb import Chunking
from sync._changes import Failed, Move, Retag, Retry, Update, file_ids
from sync._remote_state import RemoteFile, RemoteState
from sync.plan import Action, Change, Plan, attributes_for, diff
from tests.sync._plan_fixtures import (
    every_action,
    make_kb,
    remote_file,
    sha,
    stamped,
)


def actions(plan: Plan) -> list[tuple[str, str]]:
    return [(c.action.value, c.path) for c in plan.changes]


def only(plan: Plan) -> Change:
    assert len(plan.changes) == 1, plan.changes
    return plan.changes[0]


def test_missing_store_plans_creation_of_everything() -> None:
    kb = make_kb({"a.md": "a", "b/c.txt": "c"})
    plan = diff(kb, RemoteState(None))
    assert plan.store_id is None
    assert actions(plan) == [("create", "a.md"), ("create", "b/c.txt")]
    assert plan.spec_changed
    assert plan.pending


def test_in_sync_store_gives_an_empty_plan() -> None:
    kb = make_kb({"a.md": "a"}, attributes={"a.md": {"lang": "en"}})
    state = stamped(kb, remote_file("file-a", "a.md", "a", extra={"lang": "en"}))
    plan = diff(kb, state)
    assert plan.changes == ()
    assert not plan.spec_changed
    assert not plan.pending


def test_revision_alone_does_not_make_the_plan_pending() -> None:
    kb = make_kb({"a.md": "a"})
    plan = diff(kb, stamped(kb, remote_file("file-a", "a.md", "a")), revision="abc123")
    assert not plan.pending
    assert plan.stamp["kb_revision"] == "abc123"


def test_update_removes_the_old_version_after_upload() -> None:
    kb = make_kb({"a.md": "new"})
    change = only(diff(kb, stamped(kb, remote_file("file-old", "a.md", "old"))))
    assert isinstance(change, Update)
    assert change.remove == ("file-old",)
    assert change.document.sha256 == sha("new")
    assert change.attributes == {"kb_path": "a.md", "kb_sha256": sha("new"), "kb_title": "a"}


def test_move_keeps_the_file_and_rewrites_attributes() -> None:
    kb = make_kb({"new/place.md": "bytes"})
    change = only(diff(kb, stamped(kb, remote_file("file-1", "old/place.md", "bytes"))))
    assert isinstance(change, Move)
    assert (change.action, change.from_path, change.target) == (
        Action.MOVE,
        "old/place.md",
        "file-1",
    )
    assert change.remove == ()
    assert change.attributes == {
        "kb_path": "new/place.md",
        "kb_sha256": sha("bytes"),
        "kb_title": "place",
    }


def test_a_copy_is_a_move_plus_a_create_when_the_source_is_gone() -> None:
    kb = make_kb({"x.md": "same", "y.md": "same"})
    plan = diff(kb, stamped(kb, remote_file("file-1", "old.md", "same")))
    assert actions(plan) == [("move", "x.md"), ("create", "y.md")]


def test_delete_removes_every_file_of_the_path() -> None:
    kb = make_kb({})
    state = stamped(
        kb,
        remote_file("file-1", "gone.md", "v1", created_at=1),
        remote_file("file-2", "gone.md", "v2", created_at=2),
    )
    change = only(diff(kb, state))
    assert (change.action, change.remove) == (Action.DELETE, ("file-1", "file-2"))


def test_a_transient_failure_is_retried_with_its_error() -> None:
    kb = make_kb({"a.pdf": "pdf"})
    for code in ("server_error", "rate_limit_exceeded"):
        failed = remote_file("file-1", "a.pdf", "pdf", status="failed", error=f"{code}: y")
        change = only(diff(kb, stamped(kb, failed)))
        assert isinstance(change, Retry)
        assert (change.error, change.remove) == (f"{code}: y", ("file-1",))


def test_a_permanent_failure_is_failed_and_not_sent_again() -> None:
    kb = make_kb({"a.pdf": "pdf"})
    for code in ("invalid_file", "unsupported_file", "file_too_large"):
        refused = remote_file("file-1", "a.pdf", "pdf", status="failed", error=f"{code}: y")
        plan = diff(kb, stamped(kb, refused))
        change = only(plan)
        assert isinstance(change, Failed)
        assert (change.file_id, change.error) == ("file-1", f"{code}: y")
        assert plan.uploads() == []
        assert plan.failed() == [change]
        assert not plan.pending  # nothing to write: the run exits 1 naming it instead


def test_a_failed_document_keeps_one_failed_copy_and_its_older_edition() -> None:
    kb = make_kb({"a.pdf": "v3"})

    def refused(file_id: str, text: str, created_at: int) -> RemoteFile:
        error = "invalid_file: no text"
        return remote_file(
            file_id, "a.pdf", text, status="failed", error=error, created_at=created_at
        )

    state = stamped(
        kb,
        remote_file("file-v1", "a.pdf", "v1", created_at=1),
        remote_file("file-v2", "a.pdf", "v2", created_at=2),  # the edition that answers
        refused("file-v2-bad", "v2", 3),
        refused("file-v3-old", "v3", 4),
        refused("file-v3-new", "v3", 5),
    )
    plan = diff(kb, state)
    assert [(c.action.value, file_ids(c)) for c in plan.changes] == [
        ("duplicate", ("file-v1",)),
        ("duplicate", ("file-v2-bad",)),
        ("duplicate", ("file-v3-old",)),
        ("failed", ("file-v3-new",)),
    ]


def test_retag_sends_the_whole_map() -> None:
    kb = make_kb({"a.md": "a"}, attributes={"a.md": {"lang": "ru", "topic": "faq"}})
    state = stamped(kb, remote_file("file-1", "a.md", "a", extra={"lang": "en", "old": "x"}))
    change = only(diff(kb, state))
    assert isinstance(change, Retag)
    assert change.before == {
        "lang": "en",
        "old": "x",
        "kb_path": "a.md",
        "kb_sha256": sha("a"),
        "kb_title": "a",
    }
    assert change.attributes == attributes_for(kb.documents[0])
    assert change.attributes == {
        "lang": "ru",
        "topic": "faq",
        "kb_path": "a.md",
        "kb_sha256": sha("a"),
        "kb_title": "a",
    }


def test_duplicate_keeps_the_newest_completed_copy() -> None:
    kb = make_kb({"a.md": "a"})
    state = stamped(
        kb,
        remote_file("file-old", "a.md", "a", created_at=1),
        remote_file("file-new", "a.md", "a", created_at=2),
        remote_file("file-stale", "a.md", "previous", created_at=3),
        remote_file("file-failed", "a.md", "a", created_at=4, status="failed"),
    )
    plan = diff(kb, state)
    assert {c.action for c in plan.changes} == {Action.DUPLICATE}
    assert sorted(c.remove[0] for c in plan.changes) == ["file-failed", "file-old", "file-stale"]


def test_an_interrupted_update_leaves_only_a_duplicate_to_remove() -> None:
    kb = make_kb({"a.md": "v2"})
    state = stamped(
        kb,
        remote_file("file-v1", "a.md", "v1", created_at=1),
        remote_file("file-v2", "a.md", "v2", created_at=2),
    )
    change = only(diff(kb, state))
    assert (change.action, change.remove) == (Action.DUPLICATE, ("file-v1",))


def test_in_progress_copy_is_not_trusted_and_the_old_one_stays_until_replaced() -> None:
    kb = make_kb({"a.md": "v2"})
    state = stamped(
        kb,
        remote_file("file-v1", "a.md", "v1", created_at=1),
        remote_file("file-v2", "a.md", "v2", created_at=2, status="in_progress"),
    )
    change = only(diff(kb, state))
    assert (change.action, change.remove) == (Action.UPDATE, ("file-v1", "file-v2"))


def test_unmanaged_files_are_shown_by_name() -> None:
    kb = make_kb({})
    state = stamped(
        kb,
        remote_file("file-u", None, None, filename="upload.pdf"),
        remote_file("file-v", None, None, extra={"kb_path": "half.md"}),
    )
    plan = diff(kb, state)
    assert actions(plan) == [("unmanaged", "file-v"), ("unmanaged", "upload.pdf")]


def test_chunking_change_rechunks_every_file() -> None:
    kb = make_kb(
        {"a.md": "a", "b.md": "b"},
        chunking=Chunking(max_chunk_size_tokens=400, chunk_overlap_tokens=100),
    )
    state = stamped(kb, remote_file("file-a", "a.md", "a"), remote_file("file-b", "b.md", "b"))
    plan = diff(kb, state)
    assert actions(plan) == [("rechunk", "a.md"), ("rechunk", "b.md")]
    assert plan.chunking == Chunking(max_chunk_size_tokens=400, chunk_overlap_tokens=100)


def test_a_rechunk_cut_short_keeps_the_rechunked_copy() -> None:
    chunking = Chunking(max_chunk_size_tokens=400, chunk_overlap_tokens=100)
    kb = make_kb({"a.md": "a"}, chunking=chunking)
    state = stamped(
        kb,
        remote_file("file-z-old", "a.md", "a", created_at=5),
        remote_file("file-a-new", "a.md", "a", created_at=5, chunking=(400, 100)),
    )
    change = only(diff(kb, state))
    assert (change.action, change.remove) == (Action.DUPLICATE, ("file-z-old",))


def test_chunking_from_the_stamp_when_files_do_not_report_it() -> None:
    kb = make_kb({"a.md": "a"})
    state = stamped(kb, remote_file("file-a", "a.md", "a", chunking=None))
    assert diff(kb, state).changes == ()
    assert state.store is not None
    state.store.metadata["kb_chunking"] = "static:400/100"
    assert actions(diff(kb, state)) == [("rechunk", "a.md")]


def test_spec_change_is_reported_and_makes_the_stamp_stale() -> None:
    kb = make_kb({"a.md": "a"})
    state = stamped(kb, remote_file("file-a", "a.md", "a"))
    assert state.store is not None
    state.store.metadata["kb_spec_sha256"] = "0" * 64
    plan = diff(kb, state)
    assert plan.changes == ()
    assert plan.spec_changed
    assert plan.pending


def test_stamp_keeps_user_metadata_and_replaces_ours() -> None:
    kb = make_kb({"a.md": "a"})
    state = stamped(kb, remote_file("file-a", "a.md", "a"))
    assert state.store is not None
    state.store.metadata.update(owner="web-team", kb_revision="old")
    stamp = diff(kb, state).stamp
    assert stamp["owner"] == "web-team"
    assert "kb_revision" not in stamp
    assert stamp["kb_tool"].startswith("kbsync/")
    assert len(stamp) <= 16


def test_files_without_kb_title_are_retagged_not_uploaded() -> None:
    """A store written before kb_title existed: every file is a retag (issue 15)."""
    kb = make_kb({"a.md": "a", "b/c.md": "c"})
    state = stamped(
        kb,
        remote_file("file-a", "a.md", "a", titled=False),
        remote_file("file-c", "b/c.md", "c", titled=False),
    )
    assert state.store is not None
    del state.store.metadata["kb_attributes_sha256"]  # as the old kbsync stamped it
    plan = diff(kb, state)
    assert actions(plan) == [("retag", "a.md"), ("retag", "b/c.md")]
    assert plan.uploads() == []
    assert [c.attributes["kb_title"] for c in plan.rewrites()] == ["a", "c"]
    assert plan.stamp_stale


def test_every_action_fixture_has_each_kind_once() -> None:
    plan = diff(*every_action())
    assert plan.summary() == dict.fromkeys((a.value for a in Action), 1)
