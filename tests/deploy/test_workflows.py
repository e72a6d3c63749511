"""The GitHub workflows keep their promises (actionlint and zizmor run in ``make lint``)."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml

from kbcore.servers import ROOT
from tests.conftest import need

WORKFLOWS = ROOT / ".github" / "workflows"
PINNED = re.compile(r"^\s*(?:-\s+)?uses:\s*[\w.-]+/[\w./-]+@[0-9a-f]{40} # v\d+\.\d+\.\d+$")


def _load(name: str) -> dict[Any, Any]:
    document = yaml.safe_load((WORKFLOWS / name).read_text())
    assert isinstance(document, dict)
    # YAML 1.1 reads the key `on` as True.
    document["on"] = document.pop(True, document.get("on"))
    return document


def _steps(workflow: dict[Any, Any]) -> list[dict[str, Any]]:
    return [step for job in workflow["jobs"].values() for step in job.get("steps", [])]


@pytest.mark.parametrize("name", ["kb-plan.yml", "kb-sync.yml", "tests.yml"])
def test_least_privilege_and_pinned_actions(name: str) -> None:
    text = (WORKFLOWS / name).read_text()
    workflow = _load(name)
    assert workflow["permissions"] == {}
    for job in workflow["jobs"].values():
        assert "permissions" in job
        assert "write-all" not in str(job["permissions"])
    for line in text.splitlines():
        if re.match(r"^\s*(?:-\s+)?uses:", line):
            assert PINNED.match(line), f"not pinned to a full SHA with a version comment: {line}"
    for step in _steps(workflow):
        if str(step.get("uses", "")).startswith("actions/checkout@"):
            assert step["with"]["persist-credentials"] is False
        assert "github.event" not in step.get("run", ""), "pass event text through env:"
        assert "${{" not in step.get("run", ""), "expressions belong in env:, not in run:"
        assert "${{" not in step.get("with", {}).get("script", "")


def test_plan_runs_on_kb_pull_requests_and_tolerates_pending_changes() -> None:
    workflow = _load("kb-plan.yml")
    assert workflow["on"] == {"pull_request": {"paths": ["kb/**"]}}
    plan = next(s for s in _steps(workflow) if s.get("id") == "plan")
    assert plan["if"] == "env.HAS_OPENAI_KEY == 'true'"
    assert "--dry-run --detailed-exitcode" in plan["run"]
    assert '[ "$code" -ne 2 ]' in plan["run"]
    assert plan["run"].rstrip().endswith('if [ "$failed" = true ]; then exit "$code"; fi')
    job = workflow["jobs"]["plan"]
    assert job["env"]["HAS_OPENAI_KEY"] == "${{ secrets.OPENAI_API_KEY != '' }}"
    assert workflow["jobs"]["comment"]["permissions"] == {"pull-requests": "write"}


def test_sync_queues_and_never_cancels_an_apply() -> None:
    workflow = _load("kb-sync.yml")
    assert workflow["on"]["push"] == {"branches": ["main"], "paths": ["kb/**"]}
    assert "workflow_dispatch" in workflow["on"]
    assert workflow["concurrency"]["cancel-in-progress"] is False
    job = workflow["jobs"]["sync"]
    assert job["environment"] == "production"
    assert job["permissions"] == {"contents": "read"}
    assert any('kbsync --yes "${flags[@]}"' in s.get("run", "") for s in _steps(workflow))


def test_tests_run_the_readme_command() -> None:
    workflow = _load("tests.yml")
    assert set(workflow["on"]) == {"push", "pull_request"}
    assert any(s.get("run") == "make test" for s in _steps(workflow))


_HARNESS = """
const calls = [];
const comments = JSON.parse(process.env.COMMENTS);
const github = {
  rest: { issues: {
    listComments: "list",
    updateComment: async (args) => calls.push(["update", args]),
    createComment: async (args) => calls.push(["create", args]),
  } },
  paginate: async () => comments,
};
const context = {
  repo: { owner: "o", repo: "r" },
  payload: { pull_request: { number: 5, head: { sha: "0123456789abcdef" } } },
};
(async () => {
SCRIPT
process.stdout.write(JSON.stringify(calls));
})();
"""


def _comment(tmp_path: Path, comments: list[dict[str, Any]], plan: str) -> list[Any]:
    need(shutil.which("node") is not None, "node is not installed (apt-get install nodejs)")
    script = _load("kb-plan.yml")["jobs"]["comment"]["steps"][0]["with"]["script"]
    harness = tmp_path / "harness.js"
    harness.write_text(_HARNESS.replace("SCRIPT", script))
    env = {**os.environ, "COMMENTS": json.dumps(comments), "PLAN": plan, "EXIT_CODE": "2"}
    done = subprocess.run(
        ["node", str(harness)], env=env, capture_output=True, text=True, timeout=30, check=True
    )
    calls: list[Any] = json.loads(done.stdout)
    return calls


def test_the_plan_comment_is_created_once_then_updated(tmp_path: Path) -> None:
    human = {"id": 1, "user": {"type": "User"}, "body": "<!-- kbsync-plan --> quoted"}
    [(verb, args)] = _comment(tmp_path, [human], "### kbsync plan\n")
    assert verb == "create"
    assert args["issue_number"] == 5
    assert args["body"].startswith("<!-- kbsync-plan -->\n### kbsync plan\n")

    ours = {"id": 7, "user": {"type": "Bot"}, "body": "<!-- kbsync-plan -->\nold"}
    [(verb, args)] = _comment(tmp_path, [human, ours], "x" * 70000)
    assert verb == "update"
    assert args["comment_id"] == 7
    assert len(args["body"]) < 65536
