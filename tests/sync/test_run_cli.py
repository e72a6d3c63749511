"""The ``kbsync`` command: exact lines, exit codes, dry-run, JSON, summary, safety."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from kbcore.store import missing_chosen
from kbsync import _apply_cmd
from kbsync.cli import main
from testing.sandbox import sandbox_call
from testing.servers import Server
from tests.conftest import need
from tests.sync._sync_helpers import (
    apply_ok,
    assert_in_sync,
    counts,
    kbsync,
    plan_of,
    put,
    stats,
    write_kb,
)

pytestmark = pytest.mark.usefixtures("sandbox_env")


def test_dry_run_on_a_new_store_exact_lines_and_exit_2(tmp_path: Path) -> None:
    kb = write_kb(tmp_path, {"a.md": "alpha", "guides/b.md": "bravo"})
    result = kbsync(kb, "--dry-run", "--detailed-exitcode")
    assert result.exit_code == 2
    assert result.stdout.splitlines() == [
        "Vector store kb:test does not exist yet; it will be created.",
        "",
        "  + a.md",
        "  + guides/b.md",
        "",
        "Plan: 2 to create.",
    ]
    assert kbsync(kb, "--dry-run").exit_code == 0  # without --detailed-exitcode


def test_apply_exact_lines_then_in_sync(tmp_path: Path) -> None:
    kb = write_kb(tmp_path, {"a.md": "alpha"})
    result = kbsync(kb, "--yes")
    assert result.exit_code == 0
    lines = result.stdout.splitlines()
    assert lines[:5] == [
        "Vector store kb:test does not exist yet; it will be created.",
        "",
        "  + a.md",
        "",
        "Plan: 1 to create.",
    ]
    assert lines[5].startswith("Applied: vector store vs_")
    assert lines[5].endswith(" created, 1 file uploaded, 0 removed, 0 retagged.")
    assert "uploaded: 1/1" in result.stderr.splitlines()
    again = kbsync(kb, "--detailed-exitcode")
    assert again.exit_code == 0
    assert again.stdout.splitlines()[1:] == ["No changes: the vector store is in sync with kb/."]


def test_dry_run_sends_only_get_requests(tmp_path: Path, sandbox: Server) -> None:
    kb = write_kb(tmp_path, {f"d{n}.md": f"doc {n}" for n in range(12)})
    apply_ok(kb)
    put(kb, "d0.md", "changed")
    put(kb, "new.md", "new")
    (kb / "files" / "d1.md").unlink()
    (kb / "files" / "d2.md").rename(kb / "files" / "d2-moved.md")
    (kb / "assistant.yaml").write_text("name: test\nattributes:\n  d3.md: {lang: en}\n")
    before = len(sandbox_call(sandbox, "GET", "/_sandbox/requests")["requests"])
    result = kbsync(kb, "--dry-run", "--detailed-exitcode")
    assert result.exit_code == 2
    requests = sandbox_call(sandbox, "GET", "/_sandbox/requests")["requests"][before:]
    assert requests
    assert {r["method"] for r in requests} == {"GET"}
    # And on a store that does not exist yet: nothing is created.
    other = write_kb(tmp_path / "other", {"x.md": "x"}, settings="name: other\n")
    before = len(sandbox_call(sandbox, "GET", "/_sandbox/requests")["requests"])
    document = plan_of(other)
    assert document["vector_store_id"] is None
    requests = sandbox_call(sandbox, "GET", "/_sandbox/requests")["requests"][before:]
    assert {r["method"] for r in requests} == {"GET"}


def test_json_goes_to_stdout_alone(tmp_path: Path) -> None:
    kb = write_kb(tmp_path, {"a.md": "alpha"})
    result = kbsync(kb, "--json", "--yes")
    assert result.exit_code == 0
    document = json.loads(result.stdout)
    assert document["summary"]["create"] == 1
    assert document["vector_store_id"].startswith("vs_")
    assert document["applied"] == {
        "uploaded": 1,
        "removed": 0,
        "retagged": 0,
        "stamped": True,
        "failures": [],
    }
    assert "uploaded: 1/1" in result.stderr


def test_summary_file_is_appended(tmp_path: Path) -> None:
    kb = write_kb(tmp_path, {"a.md": "alpha"})
    summary = tmp_path / "summary.md"
    summary.write_text("# Earlier step\n")
    assert kbsync(kb, "--dry-run", "--summary", str(summary)).exit_code == 0
    text = summary.read_text()
    assert text.startswith("# Earlier step\n### kbsync plan for `test`\n")
    assert "| + create | 1 |" in text
    assert "<details><summary>1 change</summary>" in text


def test_model_typo_fails_with_one_sentence(tmp_path: Path, sandbox: Server) -> None:
    kb = write_kb(tmp_path, {"a.md": "alpha"}, settings="name: test\nmodel: gpt-5.4-mni\n")
    result = kbsync(kb, "--dry-run")
    assert result.exit_code == 1
    assert result.stdout == ""
    assert result.stderr.splitlines()[-1] == (
        "error: Model 'gpt-5.4-mni' does not exist for this API key; fix `model:` in "
        "kb/assistant.yaml (see GET /v1/models for the ids you can use)."
    )


def test_missing_api_key_fails_with_one_sentence(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("OPENAI_API_KEY")
    kb = write_kb(tmp_path, {"a.md": "alpha"})
    result = kbsync(kb, "--dry-run")
    assert result.exit_code == 1
    assert result.stderr.splitlines()[-1].startswith("error: OPENAI_API_KEY is not set;")


def test_invalid_kb_exits_1_before_any_request(tmp_path: Path, sandbox: Server) -> None:
    kb = write_kb(tmp_path, {"empty.md": ""})
    before = sandbox_call(sandbox, "GET", "/_sandbox/stats")["total"]
    result = kbsync(kb, "--dry-run")
    assert result.exit_code == 1
    assert result.stderr.startswith("error: ")
    assert sandbox_call(sandbox, "GET", "/_sandbox/stats")["total"] == before


def test_mass_delete_guard(tmp_path: Path) -> None:
    kb = write_kb(tmp_path, {f"d{n}.md": f"doc {n}" for n in range(10)})
    apply_ok(kb)
    for n in range(4):
        (kb / "files" / f"d{n}.md").unlink()
    dry = kbsync(kb, "--dry-run")
    assert dry.exit_code == 0
    assert "warning: The plan deletes 4 of the 10 files" in dry.stderr
    refused = kbsync(kb, "--yes")
    assert refused.exit_code == 1
    assert refused.stderr.splitlines()[-1].endswith(
        "(40%, over the 30% limit); if that is intended, run again with --allow-mass-delete."
    )
    assert counts(kb) == {"delete": 4}  # nothing was deleted
    apply_ok(kb, "--allow-mass-delete")
    assert_in_sync(kb)


def test_three_deletes_of_ten_pass_the_guard(tmp_path: Path) -> None:
    kb = write_kb(tmp_path, {f"d{n}.md": f"doc {n}" for n in range(10)})
    apply_ok(kb)
    for n in range(3):
        (kb / "files" / f"d{n}.md").unlink()
    apply_ok(kb)
    assert_in_sync(kb)


def test_processing_failure_exits_1_names_the_document_and_is_not_sent_again(
    tmp_path: Path, sandbox: Server
) -> None:
    kb = write_kb(tmp_path, {"a.md": "alpha", "doc.pdf": b"%PDF-1.4 not really"})
    result = kbsync(kb, "--yes")
    assert result.exit_code == 1
    stderr = result.stderr.splitlines()
    failed = [line for line in stderr if line.startswith("failed: doc.pdf: ")]
    assert len(failed) == 1
    assert "invalid_file" in failed[0]
    assert stderr[-1] == (
        "error: OpenAI could not process 1 document (doc.pdf); everything else was applied. "
        "Fix or remove it (the same bytes are not sent again), then run kbsync again."
    )
    plan = plan_of(kb)
    assert [(c["action"], c["path"]) for c in plan["changes"]] == [("failed", "doc.pdf")]
    assert plan["changes"][0]["error"].startswith("invalid_file: ")
    assert plan["pending"] is False
    uploads = stats(sandbox)["POST /v1/files"]
    again = kbsync(kb, "--yes")
    assert again.exit_code == 1
    assert again.stderr.splitlines()[-1] == (
        "error: OpenAI could not process 1 document (doc.pdf); everything else is in sync. "
        "Fix or remove it (the same bytes are not sent again), then run kbsync again."
    )
    assert stats(sandbox)["POST /v1/files"] == uploads


def test_prompt_on_a_terminal_no_then_yes(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(_apply_cmd, "interactive", lambda: True)
    kb = write_kb(tmp_path, {"a.md": "alpha"})
    declined = CliRunner().invoke(main, ["--kb", str(kb)], input="n\n")
    assert declined.exit_code == 1
    assert "Apply 1 change to kb:test? [y/N]: " in declined.stderr
    assert declined.stderr.splitlines()[-1] == "error: Apply cancelled; nothing was changed."
    assert plan_of(kb)["vector_store_id"] is None
    accepted = CliRunner().invoke(main, ["--kb", str(kb)], input="y\n")
    assert accepted.exit_code == 0
    assert_in_sync(kb)
    assert "Apply" not in kbsync(kb, "--yes").stderr  # --yes never asks


def test_revision_is_stamped_inside_a_git_work_tree(tmp_path: Path, client: Any) -> None:
    need(shutil.which("git") is not None, "git is not installed")
    kb = write_kb(tmp_path, {"a.md": "alpha"})
    git = ["git", "-C", str(tmp_path), "-c", "user.name=t", "-c", "user.email=t@example.com"]
    subprocess.run([*git, "init", "-q"], check=True)
    subprocess.run([*git, "add", "."], check=True)
    subprocess.run([*git, "commit", "-q", "-m", "kb"], check=True)
    head = subprocess.run(
        [*git, "rev-parse", "HEAD"], check=True, capture_output=True, text=True
    ).stdout.strip()
    apply_ok(kb)
    store_id = plan_of(kb)["vector_store_id"]
    assert client.vector_stores.retrieve(store_id).metadata["kb_revision"] == head


def test_vector_store_id_selects_or_refuses(
    tmp_path: Path, client: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    kb = write_kb(tmp_path, {"a.md": "alpha"})
    monkeypatch.setenv("VECTOR_STORE_ID", "vs_nope")
    missing = kbsync(kb, "--dry-run")
    assert missing.exit_code == 1
    assert missing.stderr.splitlines()[-1] == "error: " + str(missing_chosen("vs_nope"))
    theirs = client.vector_stores.create(name="x", metadata={"kb_name": "other"})
    monkeypatch.setenv("VECTOR_STORE_ID", theirs.id)
    refused = kbsync(kb, "--dry-run")
    assert refused.exit_code == 1
    assert "belongs to knowledge base 'other', not 'test'" in refused.stderr
    # kbcore.store's rule: the named store must carry this KB's kb_name.
    blank = client.vector_stores.create(name="made by hand")
    monkeypatch.setenv("VECTOR_STORE_ID", blank.id)
    unclaimed = kbsync(kb, "--yes")
    assert unclaimed.exit_code == 1
    assert "belongs to no knowledge base (no kb_name), not 'test'" in unclaimed.stderr
    assert client.vector_stores.retrieve(blank.id).metadata == {}
    ours = client.vector_stores.create(name="kb:test", metadata={"kb_name": "test"})
    monkeypatch.setenv("VECTOR_STORE_ID", ours.id)
    apply_ok(kb)
    assert plan_of(kb)["vector_store_id"] == ours.id
    assert_in_sync(kb)


def test_off_a_terminal_only_yes_applies(tmp_path: Path, sandbox: Server) -> None:
    """``echo n | kbsync`` (stdin not a terminal): the plan, one line, exit 1, no write."""
    kb = write_kb(tmp_path, {"a.md": "alpha"})
    before = len(sandbox_call(sandbox, "GET", "/_sandbox/requests")["requests"])
    refused = CliRunner().invoke(main, ["--kb", str(kb)], input="n\n")
    assert refused.exit_code == 1
    assert refused.stdout.splitlines()[-1] == "Plan: 1 to create."
    assert refused.stderr.splitlines()[-1] == (
        "error: Not applied: no terminal to confirm on, so kbsync applies only with --yes "
        "(or run kbsync --dry-run to see the plan alone); nothing was changed."
    )
    requests = sandbox_call(sandbox, "GET", "/_sandbox/requests")["requests"][before:]
    assert {r["method"] for r in requests} == {"GET"}
    assert plan_of(kb)["vector_store_id"] is None
    apply_ok(kb)  # --yes
    assert_in_sync(kb)
