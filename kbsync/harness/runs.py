"""Drive ``kbsync`` subprocesses against a live sandbox and check what the store holds.

The crash and fault drivers built on it are ``kbsync.harness.crash`` and
``kbsync.harness.faults``.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import time
import urllib.request
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import openai

from kbcore.kb import load_kb
from kbcore.servers import ROOT
from sync.plan import attributes_for

API_KEY = "sk-test-kbsync-0123456789"
INSTRUCTIONS = "Answer from the documents only.\n"
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


# -- the sandbox -------------------------------------------------------------------------


class Sandbox:
    """The sandbox's control surface and an SDK client on its API."""

    def __init__(self, url: str) -> None:
        self.url = url.rstrip("/")
        self.client = openai.OpenAI(
            api_key=API_KEY, base_url=self.url + "/v1", max_retries=0, timeout=30
        )

    def call(self, method: str, path: str, body: Any = None) -> Any:
        data = None if body is None else json.dumps(body).encode()
        request = urllib.request.Request(
            self.url + path,
            data=data,
            method=method,
            headers={"Content-Type": "application/json", "Authorization": f"Bearer {API_KEY}"},
        )
        with urllib.request.urlopen(request, timeout=30) as response:
            return json.loads(response.read() or b"null")

    def reset(self) -> None:
        self.call("POST", "/_sandbox/reset", {})

    def faults(self, **settings: Any) -> None:
        self.call("POST", "/_sandbox/faults", settings)

    def writes_seen(self) -> int:
        """Write requests to ``/v1`` counted so far (from the route counters)."""
        counts: dict[str, int] = self.call("GET", "/_sandbox/stats")["requests"]
        return sum(n for route, n in counts.items() if route.split(" ", 1)[0] in ("POST", "DELETE"))

    def write_log(self, last: int) -> list[str]:
        """The kinds of the write requests among the last ``last`` logged requests."""
        entries = self.call("GET", f"/_sandbox/requests?limit={last}")["requests"]
        kinds = (write_kind(e["method"], e["path"]) for e in entries)
        return [k for k in kinds if k is not None]

    def total(self) -> int:
        total: int = self.call("GET", "/_sandbox/stats")["total"]
        return total

    def store_files(self, store_id: str) -> list[dict[str, Any]]:
        """Every file of the store, straight from the HTTP API (all pages)."""
        files: list[dict[str, Any]] = []
        after = ""
        while True:
            page = self.call(
                "GET", f"/v1/vector_stores/{store_id}/files?limit=100&order=asc{after}"
            )
            files += page["data"]
            if not page["has_more"] or not page["data"]:
                return files
            after = f"&after={page['data'][-1]['id']}"

    def uploads(self) -> list[dict[str, Any]]:
        data: list[dict[str, Any]] = self.call("GET", "/v1/files?purpose=assistants&limit=10000")[
            "data"
        ]
        return data

    def store_id(self, kb_name: str) -> str | None:
        for store in self.call("GET", "/v1/vector_stores?limit=100")["data"]:
            if (store.get("metadata") or {}).get("kb_name") == kb_name:
                found: str = store["id"]
                return found
        return None

    def orphans(self, store_id: str) -> list[str]:
        """Files attached to no store: the sandbox holds only this KB's store."""
        attached = {f["id"] for f in self.store_files(store_id)}
        return sorted(f["id"] for f in self.uploads() if f["id"] not in attached)


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
    base = sandbox.writes_seen()
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
            if sandbox.writes_seen() - base >= nth:
                proc.kill()
                proc.wait()
                return True
            time.sleep(0.003)
        return False
    finally:
        if proc.poll() is None:
            proc.kill()
        proc.wait()


# -- knowledge bases ---------------------------------------------------------------------


def write_kb(folder: Path, files: Mapping[str, bytes], settings: str) -> Path:
    """A fresh KB folder at ``folder`` (replacing its ``files/``); returns it."""
    files_dir = folder / "files"
    if files_dir.exists():
        for old in sorted(files_dir.rglob("*"), reverse=True):
            old.unlink() if old.is_file() else old.rmdir()
    files_dir.mkdir(parents=True, exist_ok=True)
    (folder / "instructions.md").write_text(INSTRUCTIONS, encoding="utf-8")
    (folder / "assistant.yaml").write_text(settings, encoding="utf-8")
    for path, content in files.items():
        target = files_dir / path
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(content)
    return folder


def doc(text: str) -> bytes:
    """A small Markdown document with enough words to chunk and search."""
    return (f"# {text}\n\n" + f"{text} is described here in some detail. " * 12).encode()


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
        path = str(attributes.get("kb_path"))
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
        "kb_name": loaded.settings.name,
        "kb_spec_sha256": loaded.spec.digest,
        "kb_files_sha256": loaded.files_digest,
    }
    problems += [f"stamp {k}={metadata.get(k)!r}" for k, v in stamp.items() if metadata.get(k) != v]
    if not str(metadata.get("kb_tool", "")).startswith("kbsync/"):
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
