"""The GitHub workflows keep their promises (actionlint and zizmor run in ``make lint``)."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
import yaml

from testing.servers import ROOT
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


# ---- running the workflows' shell steps -------------------------------------------------
#
# The `run:` scripts are executed as GitHub runs them (bash -eo pipefail, GITHUB_OUTPUT,
# GITHUB_STEP_SUMMARY, RUNNER_TEMP) with a stand-in `kbsync` first on PATH that records
# its arguments and plays scripted exit codes and summaries. What is tested is the
# workflow's own wiring: which commands run, with which flags, gated by what, and what
# the comment says; the commands themselves have their own tests. `${{ }}` expressions
# are resolved from the table below, so an expression the table does not know fails the
# test instead of being guessed.

FAKE_KBSYNC = """#!{python}
import json, os, sys
args = sys.argv[1:]
with open(os.environ["FAKE_KBSYNC_LOG"], "a") as log:
    log.write(json.dumps(args) + "\\n")
key = "plan" if not args or args[0].startswith("-") else args[0]
if key == "eval":
    key += "-" + args[args.index("--store") + 1]
if "--delete" in args:
    key += "-delete"
entry = json.loads(os.environ.get("FAKE_KBSYNC", "{{}}")).get(key, {{}})
if "--summary" in args and entry.get("summary"):
    with open(args[args.index("--summary") + 1], "a") as out:
        out.write(entry["summary"])
sys.exit(entry.get("exit", 0))
"""

PR_EVENT = {
    "${{ github.event.pull_request.number }}": "5",
    "${{ github.event.pull_request.head.sha }}": "0123456789abcdef",
    "${{ vars.VECTOR_STORE_ID }}": "",
    "${{ secrets.OPENAI_API_KEY_PLAN || secrets.OPENAI_API_KEY }}": "sk-plan-placeholder",
    "${{ secrets.OPENAI_API_KEY }}": "sk-placeholder",
}
_STEP_OUTPUT = re.compile(r"^\$\{\{ steps\.([\w-]+)\.outputs\.([\w-]+)(?: \|\| '(\w*)')? \}\}$")
_ATOM = re.compile(r"^(env|steps)\.([\w-]+)(?:\.outcome)? (==|!=) '(\w*)'$")


@dataclass
class Run:
    """One job's simulated run: the step outcomes, outputs and what kbsync was asked."""

    tmp: Path
    env: dict[str, str]
    fake: dict[str, dict[str, Any]] = field(default_factory=dict)
    outcomes: dict[str, str] = field(default_factory=dict)
    outputs: dict[str, dict[str, str]] = field(default_factory=dict)
    stdout: str = ""
    failed: bool = False
    evals: bool = True  # whether the pull request's kb/ has an evals.yaml

    def __post_init__(self) -> None:
        (self.tmp / "bin").mkdir()
        (self.tmp / "runner").mkdir()
        (self.tmp / "work" / "kb").mkdir(parents=True)
        if self.evals:
            (self.tmp / "work" / "kb" / "evals.yaml").write_text("- q: Hours?\n")
        kbsync = self.tmp / "bin" / "kbsync"
        kbsync.write_text(FAKE_KBSYNC.format(python=sys.executable))
        kbsync.chmod(0o755)
        self.summary = self.tmp / "summary.md"
        self.summary.touch()

    @property
    def calls(self) -> list[list[str]]:
        log = self.tmp / "kbsync.log"
        return [json.loads(line) for line in log.read_text().splitlines()] if log.exists() else []

    def resolve(self, value: str) -> str:
        match = _STEP_OUTPUT.match(value)
        if match:
            step, name, default = match.groups()
            return self.outputs.get(step, {}).get(name) or (default or "")
        if "${{" not in value:
            return value
        assert value in PR_EVENT, f"the test does not know this expression: {value}"
        return PR_EVENT[value]

    def holds(self, condition: str) -> bool:
        """GitHub's `if:` for the shapes these workflows use (success() unless always())."""
        text = condition.strip()
        ok_so_far = text.startswith("always() && ") or not self.failed
        text = text.removeprefix("always() && ")
        alternatives = []
        for alternative in text.split("||"):
            atoms = []
            for atom in alternative.split("&&"):
                match = _ATOM.match(atom.strip())
                assert match, f"the test cannot evaluate: {atom!r} in {condition!r}"
                kind, name, op, value = match.groups()
                actual = self.env.get(name, "") if kind == "env" else self.outcomes.get(name)
                atoms.append((actual == value) == (op == "=="))
            alternatives.append(all(atoms))
        return ok_so_far and any(alternatives)

    def step(self, step: dict[str, Any]) -> None:
        name = step.get("id") or step.get("name") or step.get("uses", "")
        runs = self.holds(step["if"]) if "if" in step else not self.failed
        if "run" not in step or not runs:
            self.outcomes[name] = "skipped"
            return
        output = self.tmp / "runner" / f"output-{len(self.outcomes)}"
        output.touch()
        env = {
            "PATH": f"{self.tmp / 'bin'}:{os.environ['PATH']}",
            "HOME": str(self.tmp),
            "RUNNER_TEMP": str(self.tmp / "runner"),
            "GITHUB_OUTPUT": str(output),
            "GITHUB_STEP_SUMMARY": str(self.summary),
            "FAKE_KBSYNC_LOG": str(self.tmp / "kbsync.log"),
            "FAKE_KBSYNC": json.dumps(self.fake),
            **self.env,
            **{key: self.resolve(str(value)) for key, value in step.get("env", {}).items()},
        }
        script = self.tmp / "step.sh"
        script.write_text(step["run"])
        done = subprocess.run(
            ["bash", "--noprofile", "--norc", "-eo", "pipefail", str(script)],
            cwd=self.tmp / "work",
            env=env,
            capture_output=True,
            text=True,
            timeout=60,
        )
        self.stdout += done.stdout
        self.outcomes[name] = "success" if done.returncode == 0 else "failure"
        self.failed = self.failed or done.returncode != 0
        self.outputs[name] = _outputs(output.read_text())


def _outputs(text: str) -> dict[str, str]:
    """Parse GITHUB_OUTPUT: `key=value` lines and `key<<DELIMITER` blocks."""
    found: dict[str, str] = {}
    lines = iter(text.splitlines())
    for line in lines:
        if "<<" in line and ("=" not in line or line.index("<<") < line.index("=")):
            key, delimiter = line.split("<<", 1)
            block = []
            for inner in lines:
                if inner == delimiter:
                    break
                block.append(inner)
            found[key] = "\n".join(block)
        elif "=" in line:
            key, value = line.split("=", 1)
            found[key] = value
    return found


def _shell_steps(job: dict[str, Any]) -> list[dict[str, Any]]:
    """The job's steps without the installs: those are checked by reading them, not run."""
    return [s for s in job["steps"] if "pip install" not in s.get("run", "")]


def run_job(
    tmp_path: Path,
    workflow: str,
    job: str,
    env: dict[str, str],
    evals: bool = True,
    **fake: dict[str, Any],
) -> Run:
    run = Run(tmp_path, env, fake, evals=evals)
    for step in _shell_steps(_load(workflow)["jobs"][job]):
        run.step(step)
    return run


GOLDEN = Path(__file__).resolve().parent / "golden"
ONLINE = {"HAS_OPENAI_KEY": "true", "HAS_PLAN_KEY": "true", "SAME_REPO": "true", "BASE": str(ROOT)}


def _golden(name: str) -> str:
    return (GOLDEN / name).read_text(encoding="utf-8")


def _plan_calls(tmp: Path) -> list[list[str]]:
    runner = tmp / "runner"
    return [
        ["validate"],
        ["--dry-run", "--detailed-exitcode", "--summary", f"{runner}/plan.md"],
        ["preview", "--pr", "5"],
        ["eval", "--store", "preview", "--pr", "5", "--summary", f"{runner}/eval-preview.md"],
        ["eval", "--store", "main", "--summary", f"{runner}/eval-main.md"],
    ]


# ---- kb-plan -------------------------------------------------------------------------------


def test_plan_runs_on_kb_pull_requests_and_when_they_close() -> None:
    workflow = _load("kb-plan.yml")
    assert workflow["on"] == {
        "pull_request": {
            "types": ["opened", "synchronize", "reopened", "closed"],
            "paths": ["kb/**"],
        }
    }
    jobs = workflow["jobs"]
    assert jobs["plan"]["if"] == "github.event.action != 'closed'"
    assert jobs["preview-delete"]["if"] == (
        "github.event.action == 'closed'"
        " && github.event.pull_request.head.repo.full_name == github.repository"
    )
    assert jobs["plan"]["permissions"] == {"contents": "read"}
    assert jobs["preview-delete"]["permissions"] == {"contents": "read"}
    assert jobs["comment"]["permissions"] == {"pull-requests": "write"}
    # The job holding the key cannot write to the pull request; the one that can write
    # never sees the key.
    assert "secrets." not in json.dumps(jobs["comment"])


def test_the_comment_for_a_pull_request_matches_the_golden_file(tmp_path: Path) -> None:
    run = run_job(
        tmp_path,
        "kb-plan.yml",
        "plan",
        ONLINE,
        plan={"exit": 2, "summary": _golden("plan.md")},
        **{
            "eval-preview": {"exit": 1, "summary": _golden("eval_preview.md")},
            "eval-main": {"exit": 0, "summary": _golden("eval_main.md")},
        },
    )
    assert run.calls == _plan_calls(tmp_path)
    comment = run.outputs["comment"]
    assert run.outputs["comment"]["planned"] == "true"
    assert comment["comment"] + "\n" == _golden("pr_comment.md")
    assert _golden("pr_comment.md") in run.summary.read_text()  # the job summary says the same
    assert run.failed  # a regression on the preview fails the check, after the comment


def test_pending_changes_are_not_a_failure(tmp_path: Path) -> None:
    run = run_job(
        tmp_path, "kb-plan.yml", "plan", ONLINE, plan={"exit": 2, "summary": "### plan\n"}
    )
    assert not run.failed, run.stdout
    body = run.outputs["comment"]["comment"]
    assert body.startswith("<!-- kbsync-plan -->\n### plan\n\n")
    assert "Merging this pull request applies these changes (workflow kb-sync)." in body
    assert "failed" not in body


def test_a_failed_plan_says_so_and_fails_the_check(tmp_path: Path) -> None:
    run = run_job(tmp_path, "kb-plan.yml", "plan", ONLINE, plan={"exit": 1})
    body = run.outputs["comment"]["comment"]
    assert "**The plan failed** (kbsync exited with 1): see the log of the kb-plan check." in body
    assert "Fix the problem and push again." in body
    assert run.failed
    assert "::error title=kb-plan::Failed: plan" in run.stdout


def test_a_failed_preview_skips_its_eval_and_says_why(tmp_path: Path) -> None:
    run = run_job(tmp_path, "kb-plan.yml", "plan", ONLINE, plan={"exit": 0}, preview={"exit": 1})
    assert run.calls == [
        c for c in _plan_calls(tmp_path) if c[:3] != ["eval", "--store", "preview"]
    ]
    body = run.outputs["comment"]["comment"]
    assert "**The preview store could not be built** (kbsync preview exited with 1)" in body
    assert run.failed


def test_a_failing_eval_on_main_does_not_fail_the_pull_request(tmp_path: Path) -> None:
    # Before the first merge there is no main store: `kbsync eval --store main` exits 1.
    run = run_job(
        tmp_path,
        "kb-plan.yml",
        "plan",
        ONLINE,
        plan={"exit": 0},
        preview={"exit": 0},
        **{"eval-main": {"exit": 1}, "eval-preview": {"exit": 0, "summary": "ok\n"}},
    )
    assert not run.failed, run.stdout
    assert "eval-on-main" not in run.stdout


def test_without_evals_yaml_the_comment_says_how_to_add_them(tmp_path: Path) -> None:
    run = run_job(tmp_path, "kb-plan.yml", "plan", ONLINE, evals=False, plan={"exit": 0})
    assert run.calls == _plan_calls(tmp_path)[:3]  # no eval without golden questions
    assert not run.failed, run.stdout
    body = run.outputs["comment"]["comment"]
    assert "No golden questions yet: add kb/evals.yaml to see here whether the assistant" in body
    assert body.endswith(
        "<sub>Merging this pull request changes nothing in the vector store. Planned at "
        "0123456; this comment is updated on every push.</sub>"
    )


@pytest.mark.parametrize(
    ("same_repo", "has_key", "why"),
    [
        ("false", "true", "a pull request from a fork gets the offline check only"),
        ("false", "false", "a pull request from a fork gets the offline check only"),
        ("true", "false", "no OPENAI_API_KEY_PLAN (or OPENAI_API_KEY) secret here"),
    ],
)
def test_forks_and_keyless_repositories_get_the_offline_check_only(
    tmp_path: Path, same_repo: str, has_key: str, why: str
) -> None:
    env = {**ONLINE, "SAME_REPO": same_repo, "HAS_OPENAI_KEY": has_key, "HAS_PLAN_KEY": has_key}
    run = run_job(tmp_path, "kb-plan.yml", "plan", env)
    assert run.calls == [["validate"]]
    assert not run.failed
    assert "comment" not in run.outputs  # so no comment job either
    notice = f"::notice title=kb-plan::kb/ validated; plan, preview and eval skipped: {why}."
    assert notice in run.stdout


def test_the_gating_expressions_are_the_ones_simulated() -> None:
    job = _load("kb-plan.yml")["jobs"]["plan"]
    assert job["env"] == {
        "HAS_OPENAI_KEY": (
            "${{ secrets.OPENAI_API_KEY_PLAN != '' || secrets.OPENAI_API_KEY != '' }}"
        ),
        "HAS_PLAN_KEY": "${{ secrets.OPENAI_API_KEY_PLAN != '' }}",
        "SAME_REPO": "${{ github.event.pull_request.head.repo.full_name == github.repository }}",
        "BASE": "${{ github.workspace }}/.kbsync-base",
        "PYTHONSAFEPATH": "1",
    }
    # Every step that is given a key is gated on a pull request from this repository.
    for step in job["steps"]:
        if "OPENAI_API_KEY" in step.get("env", {}):
            assert "env.SAME_REPO == 'true'" in step["if"], step["name"]
            assert step["env"]["OPENAI_API_KEY"] == (
                "${{ secrets.OPENAI_API_KEY_PLAN || secrets.OPENAI_API_KEY }}"
            )


def test_production_key_fallback_warns(tmp_path: Path) -> None:
    run = run_job(tmp_path, "kb-plan.yml", "plan", {**ONLINE, "HAS_PLAN_KEY": "false"})
    assert "::warning title=kb-plan::No OPENAI_API_KEY_PLAN secret" in run.stdout
    assert len(run.calls) == 5
    header = (WORKFLOWS / "kb-plan.yml").read_text().split("\nname:")[0]
    assert "OPENAI_API_KEY_PLAN  a restricted key" in header


def _checkouts(job: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """The job's checkouts by the folder they fill."""
    return {
        step["with"].get("path", "."): step["with"]
        for step in job["steps"]
        if str(step.get("uses", "")).startswith("actions/checkout@")
    }


BASE_SHA = "${{ github.event.pull_request.base.sha }}"


@pytest.mark.parametrize("job_name", ["plan", "preview-delete"])
def test_kbsync_is_installed_from_the_base_branch(job_name: str) -> None:
    job = _load("kb-plan.yml")["jobs"][job_name]
    checkouts = _checkouts(job)
    workdir = job["defaults"]["run"]["working-directory"]
    assert workdir == "${{ github.event.repository.name }}"
    installs = [s["run"] for s in job["steps"] if "pip install" in s.get("run", "")]
    assert len(installs) == 1
    command = installs[0].split("#")[0].strip()
    # The installed folder, resolved against the step's working directory.
    target = command.split()[-1].strip('"')
    folder = {"$BASE": ".kbsync-base", ".": workdir}[target]
    assert checkouts[folder]["ref"] == BASE_SHA, f"{job_name} installs {folder}, not the base"


def test_nothing_of_the_pull_request_is_executed() -> None:
    job = _load("kb-plan.yml")["jobs"]["plan"]
    checkouts = _checkouts(job)
    pr = checkouts["${{ github.event.repository.name }}"]
    assert "ref" not in pr  # the pull request's merge commit: data only
    assert pr["lfs"] is True
    runs = "\n".join(s.get("run", "") for s in job["steps"])
    assert not re.search(r"pip install (--quiet )?\.", runs)
    assert "python -m kbsync" not in runs  # `-m` would import a kbsync/ from the checkout
    # Everything Python runs comes from the base checkout (or the standard library).
    # (-P: the working directory, the pull request's checkout, is not on sys.path.)
    assert re.findall(r"\bpython -P (\S+ ?\S*)", runs) == [
        "-m pip",
        '"$BASE/scripts/pr_comment.py" \\',
        "-c 'import",
    ]
    assert 'python -P -m pip install --quiet "$BASE"' in runs


def test_a_closed_pull_request_deletes_its_preview(tmp_path: Path) -> None:
    job = _load("kb-plan.yml")["jobs"]["preview-delete"]
    assert "github.event.pull_request.head.repo.full_name == github.repository" in job["if"]
    env = {"HAS_OPENAI_KEY": "true"}
    run = run_job(tmp_path, "kb-plan.yml", "preview-delete", env)
    assert run.calls == [["preview", "--pr", "5", "--delete"]]
    assert not run.failed

    (tmp_path / "keyless").mkdir()
    keyless = run_job(tmp_path / "keyless", "kb-plan.yml", "preview-delete", {})
    assert keyless.calls == []
    assert "::notice title=kb-plan::" in keyless.stdout


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
})().catch((error) => { process.stderr.write(String(error)); process.exit(1); });
"""


def _comment(tmp_path: Path, comments: list[dict[str, Any]], body: str) -> list[Any]:
    need(shutil.which("node") is not None, "node is not installed (apt-get install nodejs)")
    script = _load("kb-plan.yml")["jobs"]["comment"]["steps"][0]["with"]["script"]
    harness = tmp_path / "harness.js"
    harness.write_text(_HARNESS.replace("SCRIPT", script))
    env = {**os.environ, "COMMENTS": json.dumps(comments), "BODY": body}
    done = subprocess.run(
        ["node", str(harness)], env=env, capture_output=True, text=True, timeout=30, check=True
    )
    calls: list[Any] = json.loads(done.stdout)
    return calls


def test_the_plan_comment_is_created_once_then_updated(tmp_path: Path) -> None:
    body = _golden("pr_comment.md")
    human = {"id": 1, "user": {"type": "User"}, "body": "<!-- kbsync-plan --> quoted"}
    [(verb, args)] = _comment(tmp_path, [human], body)
    assert verb == "create"
    assert args["issue_number"] == 5
    assert args["body"] == body

    ours = {"id": 7, "user": {"type": "Bot"}, "body": "<!-- kbsync-plan -->\nold"}
    [(verb, args)] = _comment(tmp_path, [human, ours], body)
    assert verb == "update"
    assert args["comment_id"] == 7


def _pr_comment(tmp_path: Path, plan: str, *args: str) -> str:
    (tmp_path / "plan.md").write_text(plan)
    done = subprocess.run(
        [
            sys.executable,
            str(ROOT / "scripts" / "pr_comment.py"),
            "--plan",
            str(tmp_path / "plan.md"),
            *args,
            "--sha",
            "0123456789abcdef",
        ],
        capture_output=True,
        text=True,
        timeout=30,
        check=True,
    )
    return done.stdout


def test_a_huge_plan_is_cut_at_a_line_and_the_evals_stay(tmp_path: Path) -> None:
    rows = "".join(f"| + create | `doc-{i:05}.md` |  |\n" for i in range(3000))
    (tmp_path / "main.md").write_text("12/12 questions find their document.\n")
    body = _pr_comment(
        tmp_path,
        "### plan\n\n" + rows,
        "--plan-exit",
        "2",
        "--eval",
        "main",
        str(tmp_path / "main.md"),
        "0",
    )
    assert len(body) < 65536
    assert "… (cut: the full plan is in the job summary)" in body
    assert "12/12 questions find their document." in body
    before_cut = body.split("\n\n… (cut")[0]
    assert before_cut.splitlines()[-1].endswith("|  |")  # no half row


# ---- kb-sync and tests ---------------------------------------------------------------------


def test_sync_refreshes_every_night(tmp_path: Path) -> None:
    workflow = _load("kb-sync.yml")
    [cron] = workflow["on"]["schedule"]
    minute, hour, *rest = cron["cron"].split()
    assert rest == ["*", "*", "*"]  # once a day
    assert minute.isdigit()
    assert hour.isdigit()
    apply = next(s for s in workflow["jobs"]["sync"]["steps"] if s.get("name") == "Apply")
    assert apply["env"]["REFRESH"] == "${{ github.event_name == 'schedule' || inputs.refresh }}"
    assert workflow["on"]["workflow_dispatch"]["inputs"]["refresh"]["type"] == "boolean"
    for refresh, expected in [("true", ["--yes", "--refresh"]), ("", ["--yes"])]:
        folder = tmp_path / f"refresh-{refresh or 'no'}"
        folder.mkdir()
        run = Run(folder, {"REFRESH": refresh, "ALLOW_MASS_DELETE": "", "PRUNE_UNMANAGED": ""})
        run.step({k: v for k, v in apply.items() if k != "env"})
        [call] = run.calls
        assert call[: len(expected)] == expected
        assert call[len(expected) :] == ["--summary", str(folder / "summary.md")]


CHECK_ENV = {
    "HAS_OPENAI_KEY": "${{ secrets.OPENAI_API_KEY != '' }}",
    "TRUSTED": "${{ github.event_name == 'push' && github.ref == "
    "format('refs/heads/{0}', github.event.repository.default_branch) }}",
}


@pytest.mark.parametrize(
    ("has_key", "trusted", "notice"),
    [
        ("true", "true", None),
        ("false", "true", "no OPENAI_API_KEY secret in this repository"),
        ("false", "false", "no OPENAI_API_KEY secret in this repository"),
        ("true", "false", "it runs on pushes to the default branch only"),
    ],
)
def test_kbsync_check_runs_only_with_a_key_on_the_default_branch(
    tmp_path: Path, has_key: str, trusted: str, notice: str | None
) -> None:
    job = _load("tests.yml")["jobs"]["check"]
    assert job["env"] == CHECK_ENV
    assert job["permissions"] == {"contents": "read"}
    check = next(s for s in job["steps"] if s.get("run") == "kbsync check")
    assert check["env"] == {"OPENAI_API_KEY": "${{ secrets.OPENAI_API_KEY }}"}
    run = run_job(tmp_path, "tests.yml", "check", {"HAS_OPENAI_KEY": has_key, "TRUSTED": trusted})
    if notice is None:
        assert run.calls == [["check"]]
        assert "::notice" not in run.stdout
    else:
        assert run.calls == []
        title = "::notice title=kbsync check skipped::"
        assert f"{title}The live probe of the OpenAI API did not run: {notice}." in run.stdout
    assert not run.failed
