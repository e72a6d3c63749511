"""Issue 23, finding 3: in the kb-plan job that holds the key, no Python module of the
pull request's checkout is ever imported. The job's working directory is that checkout,
and ``python -m pip`` or ``python -c`` put the working directory first on ``sys.path``:
a pull request's ``pip/`` package would run in place of pip (and could leave a ``.pth``
that leaks ``OPENAI_API_KEY`` to every later step), its ``secrets.py`` would shadow the
standard library's. Every Python of the job runs with ``-P`` (no working directory on
``sys.path``). The steps run here as GitHub runs them, in a checkout carrying the traps.
"""

from __future__ import annotations

import re
import sys
import zipfile
from pathlib import Path
from typing import Any

import pytest

from tests.deploy.test_workflows import ONLINE, Run, _load

TRAP = """import os, pathlib
with open(os.environ["TRAP_LOG"], "a") as log:
    log.write("{name} ran with OPENAI_API_KEY=" + os.environ.get("OPENAI_API_KEY", "") + "\\n")
"""
SECRETS_TRAP = TRAP.format(name="secrets.py") + "def token_hex(n=16):\n    return 'TRAPPED'\n"


def _traps(checkout: Path) -> None:
    (checkout / "pip").mkdir()
    (checkout / "pip" / "__init__.py").write_text(TRAP.format(name="pip/__init__.py"))
    (checkout / "pip" / "__main__.py").write_text(TRAP.format(name="pip/__main__.py"))
    (checkout / "secrets.py").write_text(SECRETS_TRAP)
    (checkout / "sitecustomize.py").write_text(TRAP.format(name="sitecustomize.py"))


def _wheel(folder: Path) -> Path:
    """A tiny wheel for ``pip install --dry-run --no-index`` (no network, no build)."""
    wheel = folder / "kbsync_trapcheck-0.1-py3-none-any.whl"
    info = "kbsync_trapcheck-0.1.dist-info"
    with zipfile.ZipFile(wheel, "w") as archive:
        archive.writestr("kbsync_trapcheck/__init__.py", "")
        archive.writestr(
            f"{info}/METADATA", "Metadata-Version: 2.1\nName: kbsync-trapcheck\nVersion: 0.1\n"
        )
        archive.writestr(
            f"{info}/WHEEL",
            "Wheel-Version: 1.0\nGenerator: test\nRoot-Is-Purelib: true\nTag: py3-none-any\n",
        )
        archive.writestr(f"{info}/RECORD", "")
    return wheel


def _python_steps(job: dict[str, Any]) -> list[dict[str, Any]]:
    return [s for s in job["steps"] if re.search(r"\bpython\b", s.get("run", ""))]


@pytest.mark.parametrize("job_name", ["plan", "preview-delete"])
def test_every_python_of_kb_plan_runs_with_safe_path(job_name: str) -> None:
    runs = "\n".join(s["run"] for s in _python_steps(_load("kb-plan.yml")["jobs"][job_name]))
    calls = re.findall(r"\bpython3?\b(?!-)([^\n]*)", runs)
    assert calls
    for call in calls:
        assert call.startswith(" -P "), f"python without -P: python{call}"


def test_kb_plan_never_imports_the_pull_requests_modules(tmp_path: Path) -> None:
    run = Run(tmp_path, {**ONLINE, "TRAP_LOG": str(tmp_path / "trap.log")})
    _traps(tmp_path / "work")
    (tmp_path / "bin" / "python").symlink_to(sys.executable)  # setup-python's `python`
    run.outputs["plan"] = {"exit-code": "2"}  # the plan ran: the comment is assembled
    run.outcomes["plan"] = "success"
    (tmp_path / "runner" / "plan.md").write_text("### kbsync plan\n")
    wheel = _wheel(tmp_path)
    for step in _python_steps(_load("kb-plan.yml")["jobs"]["plan"]):
        if "pip install" in step["run"]:
            # The base checkout stands in as a wheel; pip only resolves it (no network).
            env = {"BASE": str(wheel), "PIP_DRY_RUN": "1", "PIP_NO_INDEX": "1"}
            step = {**step, "env": {**step.get("env", {}), **env}}
        run.step(step)
    trapped = tmp_path / "trap.log"
    assert not trapped.exists(), trapped.read_text()
    assert not run.failed, run.stdout
    assert run.outputs["comment"]["planned"] == "true"
    for output in (tmp_path / "runner").glob("output-*"):
        assert "COMMENT_TRAPPED" not in output.read_text()
