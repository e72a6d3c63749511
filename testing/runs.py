"""Drive ``kbsync`` subprocesses against a live sandbox and check what the store holds.

The crash and fault drivers built on it are ``testing.crash`` and ``testing.faults``.
``tests/reliability`` runs them small, ``bench/crash_harness.py`` and
``bench/fault_runs.py`` run them in full. Nothing here asserts: checks return lists of
problems (empty = fine) so that a benchmark can count them and a test can assert them.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import time
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from kbcore import wire
from kbcore.kb import load_kb
from sync.plan import attributes_for
from testing.sandbox import API_KEY, Sandbox, requests_log, stats
from testing.servers import ROOT

FAULT_KINDS = ("429", "500", "503", "reset", "timeout")

# What each write request of an apply is, by method and concrete path.
_WRITES = (
    ("POST", re.compile(r"^/v1/files$"), "upload"),
    ("POST", re.compile(r"^/v1/vector_stores$"), "create store"),
    ("POST", re.compile(r"^/v1/vector_stores/[^/]+/file_batches$"), "attach batch"),
    ("POST", re.compile(r"^/v1/vector_stores/[^/]+/files/[^/]+$"), "rewrite attributes"),
    ("POST", re.compile(r"^/v1/vector_stores/[^/]+$"), "stamp"),
    ("DELETE", re.compile(r"^/v1/vector_stores/[^/]+/files/[^/]+$"), "detach"),
    ("DELETE", re.compile(r"^/v1/files/[^/]+$"), "delete File"),
)


def write_kind(method: str, path: str) -> str | None:
    """The apply step a request is (``None`` for reads)."""
    for wanted, pattern, kind in _WRITES:
        if method == wanted and pattern.match(path):
            return kind
    return None


def writes_seen(sandbox: Sandbox) -> int:
    """Write requests to ``/v1`` counted so far (from the route counters)."""
    counts: dict[str, int] = stats(sandbox)["requests"]
    return sum(n for route, n in counts.items() if route.split(" ", 1)[0] in ("POST", "DELETE"))


def write_log(sandbox: Sandbox, last: int) -> list[str]:
    """The kinds of the write requests among the last ``last`` logged requests."""
    kinds = (write_kind(e["method"], e["path"]) for e in requests_log(sandbox, last))
    return [k for k in kinds if k is not None]


# -- kbsync as a subprocess --------------------------------------------------------------


@dataclass(frozen=True)
class Outcome:
    code: int
    stdout: str
    stderr: str

    @property
    def error_lines(self) -> list[str]:
        return [line for line in self.stderr.splitlines() if line.startswith("error:")]

    def clean_failure(self) -> str | None:
        """``None`` if this is a clean exit 0 or 1; else what is wrong with it."""
        if "Traceback" in self.stderr or "Traceback" in self.stdout:
            return f"traceback (exit {self.code}): {self.stderr[-2000:]}"
        if self.code == 0:
            return None
        if self.code != 1:
            return f"exit {self.code}: {self.stderr[-2000:]}"
        if len(self.error_lines) != 1 or not self.stderr.rstrip().endswith(self.error_lines[0]):
            return f"exit 1 without exactly one final error line: {self.stderr[-2000:]}"
        return None


def kbsync_env(sandbox: Sandbox, extra: Mapping[str, str] | None = None) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in ("VECTOR_STORE_ID", "KB_DIR")}
    env.update(OPENAI_API_KEY=API_KEY, OPENAI_BASE_URL=sandbox.url + "/v1", CI="true")
    env.update(extra or {})
    return env


def command(kb: Path, *args: str) -> list[str]:
    return [sys.executable, "-m", "kbsync", "--kb", str(kb), *args]


def kbsync(
    sandbox: Sandbox,
    kb: Path,
    *args: str,
    env: Mapping[str, str] | None = None,
    timeout: float = 240,
) -> Outcome:
    done = subprocess.run(
        command(kb, *args),
        env=kbsync_env(sandbox, env),
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )
    return Outcome(done.returncode, done.stdout, done.stderr)


def kill_at_write(sandbox: Sandbox, kb: Path, nth: int, *args: str, timeout: float = 120) -> bool:
    """Run ``kbsync --yes ARGS`` and SIGKILL it as soon as its ``nth`` write request has
    reached the sandbox (with ``latency_ms`` set, before the sandbox acts on it).
    Returns whether it was killed (``False``: it finished first)."""
    base = writes_seen(sandbox)
    proc = subprocess.Popen(
        command(kb, "--yes", *args),
        env=kbsync_env(sandbox),
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + timeout
        while proc.poll() is None and time.monotonic() < deadline:
            if writes_seen(sandbox) - base >= nth:
                proc.kill()
                proc.wait()
                return True
            time.sleep(0.003)
        return False
    finally:
        if proc.poll() is None:
            proc.kill()
        proc.wait()


KB_NAME = "crash"


# -- checking -----------------------------------------------------------------------


def desired_problems(sandbox: Sandbox, kb: Path, store_id: str) -> list[str]:
    """How the store differs from ``kb``: one completed file per path with exactly the
    document's attribute map, nothing else, and the stamp of this KB."""
    loaded = load_kb(kb)
    wanted = {d.path: attributes_for(d) for d in loaded.documents}
    problems = []
    seen: dict[str, int] = {}
    for file in sandbox.store_files(store_id):
        attributes = file.get("attributes") or {}
        path = str(attributes.get(wire.KB_PATH))
        seen[path] = seen.get(path, 0) + 1
        if path not in wanted:
            problems.append(f"unexpected file {file['id']} ({path})")
        elif attributes != wanted[path]:
            problems.append(f"{path}: attributes {attributes} != {wanted[path]}")
        if file["status"] != "completed":
            problems.append(f"{path}: status {file['status']}")
    problems += [f"{p}: {n} files" for p, n in seen.items() if n > 1]
    problems += [f"{p}: missing" for p in wanted if p not in seen]
    metadata = sandbox.call("GET", f"/v1/vector_stores/{store_id}")["metadata"] or {}
    stamp = {
        wire.KB_NAME: loaded.settings.name,
        wire.KB_SPEC_SHA256: loaded.spec.digest,
        wire.KB_FILES_SHA256: loaded.files_digest,
    }
    problems += [f"stamp {k}={metadata.get(k)!r}" for k, v in stamp.items() if metadata.get(k) != v]
    if not str(metadata.get(wire.KB_TOOL, "")).startswith("kbsync/"):
        problems.append("stamp kb_tool missing")
    return problems


def plans_nothing(sandbox: Sandbox, kb: Path) -> str | None:
    """``None`` when a dry run plans nothing; else why not."""
    outcome = kbsync(sandbox, kb, "--dry-run", "--json", "--detailed-exitcode")
    if outcome.code != 0:
        return f"dry run exit {outcome.code}: {outcome.stdout[-1000:]} {outcome.stderr[-1000:]}"
    document = json.loads(outcome.stdout)
    if document["changes"] or document.get("orphans"):
        return f"dry run still plans {document['summary']} orphans={document.get('orphans')}"
    return None
