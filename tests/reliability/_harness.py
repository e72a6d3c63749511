"""Crash and fault harness: drive ``kbsync`` subprocesses against a live sandbox.

Shared by ``tests/reliability`` (small runs) and ``bench/crash_harness.py`` /
``bench/fault_runs.py`` (the full ones). Nothing here asserts: checks return lists of
problems (empty = fine) so that a benchmark can count them and a test can assert them.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import subprocess
import sys
import threading
import time
import urllib.request
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import openai

from sync._orphans import upload_name
from sync.kb import load_kb
from sync.plan import attributes_for
from tests._servers import ROOT

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


def _command(kb: Path, *args: str) -> list[str]:
    return [sys.executable, "-c", "from sync.cli import main; main()", "--kb", str(kb), *args]


def kbsync(
    sandbox: Sandbox,
    kb: Path,
    *args: str,
    env: Mapping[str, str] | None = None,
    timeout: float = 240,
) -> Outcome:
    done = subprocess.run(
        _command(kb, *args),
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
        _command(kb, "--yes", *args),
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


@dataclass(frozen=True)
class Scenario:
    """An old and a new ``kb/`` whose diff is a known mix of actions.

    ``failed``: paths of the new KB given a remote copy in ``failed`` status before the
    run (→ retry); ``duplicated``: paths given a second completed copy (→ duplicate)."""

    name: str
    old: Mapping[str, bytes]
    new: Mapping[str, bytes]
    old_settings: str
    new_settings: str
    failed: tuple[str, ...] = ()
    duplicated: tuple[str, ...] = ()
    expected: Mapping[str, int] = field(default_factory=dict)  # the plan's counts

    def must_stay(self) -> list[tuple[str, frozenset[str], str | None]]:
        """(label, paths any of which may hold it, sha256 or None) for each document in
        both KBs: by path (updated or not), or by bytes (moved)."""
        stay: list[tuple[str, frozenset[str], str | None]] = [
            (p, frozenset({p}), None) for p in sorted(set(self.old) & set(self.new))
        ]
        gone = {hashlib.sha256(b).hexdigest(): p for p, b in self.old.items() if p not in self.new}
        for path, content in sorted(self.new.items()):
            sha = hashlib.sha256(content).hexdigest()
            if path not in self.old and sha in gone:
                stay.append((f"{gone[sha]}→{path}", frozenset({gone[sha], path}), sha))
        return stay


KB_NAME = "crash"
_SETTINGS = 'name: crash\nattributes:\n  "ru/**": {lang: %s}\n'


def mixed_scenario() -> Scenario:
    """Every action kind but rechunk in one apply (rechunk re-attaches everything)."""
    keep = {"keep.md": doc("Opening hours"), "dup.md": doc("Membership prices")}
    old = {
        **keep,
        "upd1.md": doc("Pool rules, first edition"),
        "upd2.md": doc("Sauna rules, first edition"),
        "ren/old-name.md": doc("Parking and access"),
        "del1.md": doc("Old summer timetable"),
        "del2.md": doc("Old winter timetable"),
        "ru/a.md": doc("Правила посещения"),
    }
    new = {
        **keep,
        "upd1.md": doc("Pool rules, second edition"),
        "upd2.md": doc("Sauna rules, second edition"),
        "ren/new-name.md": doc("Parking and access"),
        "ru/a.md": doc("Правила посещения"),
        "new1.md": doc("Yoga classes"),
        "new2.md": doc("Personal trainers"),
        "retry.md": doc("Children's club"),
    }
    return Scenario(
        "mixed",
        old,
        new,
        _SETTINGS % "ru",
        _SETTINGS % "ru-RU",
        failed=("retry.md",),
        duplicated=("dup.md",),
        expected={
            "create": 2,
            "update": 2,
            "move": 1,
            "delete": 2,
            "retry": 1,
            "retag": 1,
            "duplicate": 1,
        },
    )


def rechunk_scenario() -> Scenario:
    """A chunking change (every file re-attached) with one create and one delete."""
    same = {f"doc{n}.md": doc(f"Service number {n}") for n in range(4)}
    return Scenario(
        "rechunk",
        {**same, "gone.md": doc("Discontinued service")},
        {**same, "added.md": doc("A new service")},
        "name: crash\n",
        "name: crash\nchunking:\n  max_chunk_size_tokens: 200\n  chunk_overlap_tokens: 50\n",
        expected={"create": 1, "delete": 1, "rechunk": 4},
    )


@dataclass(frozen=True)
class Prepared:
    old_kb: Path
    new_kb: Path
    store_id: str


def prepare(sandbox: Sandbox, scenario: Scenario, root: Path) -> Prepared:
    """Reset the sandbox, sync the old KB, plant the failed and duplicate copies, and
    write the new KB (not yet synced)."""
    sandbox.reset()
    old_kb = write_kb(root / "old" / "kb", scenario.old, scenario.old_settings)
    first = kbsync(sandbox, old_kb, "--yes")
    if first.code != 0:
        raise RuntimeError(f"the old KB did not sync: {first.stderr}")
    store_id = sandbox.store_id(KB_NAME)
    assert store_id is not None
    new_kb = write_kb(root / "new" / "kb", scenario.new, scenario.new_settings)
    old_docs, new_docs = load_kb(old_kb).by_path(), load_kb(new_kb).by_path()
    planted = []
    for path in scenario.failed:  # the right bytes, named .pdf so that parsing fails
        name = upload_name(Path(path).stem + ".pdf", store_id)
        planted.append(_plant(sandbox, store_id, scenario.new[path], name, new_docs[path]))
    for path in scenario.duplicated:  # what an interrupted kbsync run leaves
        name = upload_name(Path(path).name, store_id)
        planted.append(_plant(sandbox, store_id, scenario.old[path], name, old_docs[path]))
    _settle(sandbox, store_id, planted)
    return Prepared(old_kb, new_kb, store_id)


def _plant(sandbox: Sandbox, store_id: str, content: bytes, name: str, document: Any) -> str:
    file = sandbox.client.files.create(file=(name, content), purpose="assistants")
    sandbox.client.vector_stores.files.create(
        vector_store_id=store_id, file_id=file.id, attributes=attributes_for(document)
    )
    return file.id


def _settle(sandbox: Sandbox, store_id: str, file_ids: list[str], timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        states = {f["id"]: f["status"] for f in sandbox.store_files(store_id)}
        if all(states.get(f) not in (None, "in_progress") for f in file_ids):
            return
        time.sleep(0.05)
    raise RuntimeError(f"planted files did not settle within {timeout} s")


# -- watching and checking ---------------------------------------------------------------


class Poller(threading.Thread):
    """Samples the store's files (path, sha256, status) until stopped."""

    def __init__(self, sandbox: Sandbox, store_id: str, interval: float = 0.02) -> None:
        super().__init__(daemon=True)
        self._sandbox, self._store, self._interval = sandbox, store_id, interval
        self._stop_event = threading.Event()
        self.samples: list[list[tuple[str, str, str]]] = []
        self.errors = 0

    def run(self) -> None:
        while not self._stop_event.is_set():
            try:
                files = self._sandbox.store_files(self._store)
            except OSError:
                self.errors += 1
            else:
                self.samples.append(
                    [
                        (
                            str((f.get("attributes") or {}).get("kb_path")),
                            str((f.get("attributes") or {}).get("kb_sha256")),
                            f["status"],
                        )
                        for f in files
                    ]
                )
            self._stop_event.wait(self._interval)

    def stop(self) -> None:
        self._stop_event.set()
        self.join(timeout=60)

    def missing(self, scenario: Scenario) -> list[str]:
        """``sample #i: label`` for each document of both KBs absent from a sample."""
        problems = []
        stay = scenario.must_stay()
        for index, sample in enumerate(self.samples):
            completed = [(p, s) for p, s, status in sample if status == "completed"]
            for label, paths, sha in stay:
                if not any(p in paths and (sha is None or s == sha) for p, s in completed):
                    problems.append(f"sample #{index}: {label} missing")
        return problems


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


# -- one crash -------------------------------------------------------------------------


@dataclass
class CrashResult:
    scenario: str
    kill_at: int  # the nth write request of the apply
    step: str  # what that request was
    killed: bool
    orphans_after_kill: int
    rerun_code: int
    orphans_after_rerun: int
    missing: list[str]
    problems: list[str]
    samples: int
    seconds: float

    @property
    def ok(self) -> bool:
        return (
            self.killed
            and self.rerun_code == 0
            and not self.missing
            and not self.problems
            and self.orphans_after_rerun == 0
        )


def reference_steps(sandbox: Sandbox, scenario: Scenario, root: Path, latency_ms: int) -> list[str]:
    """The write requests of an uninterrupted apply of the new KB, in order."""
    prepared = prepare(sandbox, scenario, root)
    plan = json.loads(kbsync(sandbox, prepared.new_kb, "--dry-run", "--json").stdout)
    counts = {k: v for k, v in plan["summary"].items() if v and k != "total"}
    if dict(scenario.expected) != counts:
        raise RuntimeError(f"{scenario.name}: planned {counts}, expected {scenario.expected}")
    sandbox.faults(latency_ms=latency_ms)
    before = sandbox.total()
    outcome = kbsync(sandbox, prepared.new_kb, "--yes", "--concurrency", "1")
    sandbox.faults()
    if outcome.code != 0:
        raise RuntimeError(f"the reference apply failed: {outcome.stderr}")
    return sandbox.write_log(sandbox.total() - before)


def crash(
    sandbox: Sandbox, scenario: Scenario, root: Path, kill_at: int, step: str, latency_ms: int
) -> CrashResult:
    """Prepare, kill the apply at its ``kill_at``-th write, rerun, and check everything."""
    started = time.monotonic()
    prepared = prepare(sandbox, scenario, root)
    poller = Poller(sandbox, prepared.store_id)
    poller.start()
    try:
        sandbox.faults(latency_ms=latency_ms)
        killed = kill_at_write(sandbox, prepared.new_kb, kill_at, "--concurrency", "1")
        sandbox.faults(latency_ms=max(1, latency_ms // 10))  # still slow enough to sample
        orphans_after_kill = len(sandbox.orphans(prepared.store_id))
        rerun = kbsync(sandbox, prepared.new_kb, "--yes")
    finally:
        poller.stop()
        sandbox.faults()
    problems = desired_problems(sandbox, prepared.new_kb, prepared.store_id)
    if rerun.code != 0:
        problems.append(f"rerun exit {rerun.code}: {rerun.stderr[-500:]}")
    again = plans_nothing(sandbox, prepared.new_kb)
    if again:
        problems.append(again)
    return CrashResult(
        scenario.name,
        kill_at,
        step,
        killed,
        orphans_after_kill,
        rerun.code,
        len(sandbox.orphans(prepared.store_id)),
        poller.missing(scenario),
        problems,
        len(poller.samples),
        time.monotonic() - started,
    )


# -- one faulted run -------------------------------------------------------------------


@dataclass
class FaultResult:
    seed: int
    first_code: int
    first_error: str | None  # the one error line of a run that exited 1
    runs_to_converge: int  # 1: the faulted run itself; 2: one more (fault-free) run
    problems: list[str]
    seconds: float

    @property
    def ok(self) -> bool:
        return not self.problems


def fault_base(n: int = 10) -> dict[str, bytes]:
    return {f"d{i:02}.md": doc(f"Topic {i}") for i in range(n)}


def fault_change(seed: int, base: Mapping[str, bytes]) -> dict[str, bytes]:
    """A seeded mix of creates, updates, deletes and a move on top of ``base``."""
    changed = dict(base)
    names = sorted(base)
    for i in range(2):
        changed[f"new{seed}-{i}.md"] = doc(f"New topic {seed}.{i}")
    for name in names[seed % 4 : seed % 4 + 2]:
        changed[name] = doc(f"{name} revised for seed {seed}")
    del changed[names[-1]]
    changed[f"moved/{names[-2]}"] = changed.pop(names[-2])
    return changed


def fault_run(
    sandbox: Sandbox,
    root: Path,
    seed: int,
    *,
    rate: float = 0.3,
    kinds: tuple[str, ...] = FAULT_KINDS,
    timeout_s: float = 1.0,
    retry_after_ms: int = 100,
    from_write: int = 0,
) -> FaultResult:
    """Sync a base KB, change it, apply under faults; if that exits 1, once more without.

    ``from_write``: switch the faults on only once the apply's Nth write request has
    reached the sandbox (to aim at the middle of an apply rather than its plan)."""
    started = time.monotonic()
    sandbox.reset()
    kb = write_kb(root / f"seed{seed}" / "kb", fault_base(), "name: crash\n")
    first = kbsync(sandbox, kb, "--yes")
    if first.code != 0:
        raise RuntimeError(f"the base KB did not sync: {first.stderr}")
    write_kb(kb, fault_change(seed, fault_base()), "name: crash\n")
    env = {"KBSYNC_TIMEOUT": str(timeout_s)}
    settings = {"rate": rate, "kinds": list(kinds), "seed": seed, "retry_after_ms": retry_after_ms}
    try:
        if from_write:
            faulted = _faults_from_write(sandbox, kb, from_write, settings, env)
        else:
            sandbox.faults(**settings)
            faulted = kbsync(sandbox, kb, "--yes", env=env)
    finally:
        sandbox.faults()
    problems = []
    bad = faulted.clean_failure()
    if bad:
        problems.append(bad)
    runs = 1
    if faulted.code == 1:
        runs = 2
        second = kbsync(sandbox, kb, "--yes", env=env)
        if second.code != 0:
            problems.append(f"the next run exit {second.code}: {second.stderr[-500:]}")
    store_id = sandbox.store_id(KB_NAME)
    assert store_id is not None
    problems += desired_problems(sandbox, kb, store_id)
    problems += [f"orphan {f}" for f in sandbox.orphans(store_id)]
    again = plans_nothing(sandbox, kb)
    if again:
        problems.append(again)
    error = faulted.error_lines[0] if faulted.code == 1 and faulted.error_lines else None
    return FaultResult(seed, faulted.code, error, runs, problems, time.monotonic() - started)


def _faults_from_write(
    sandbox: Sandbox, kb: Path, nth: int, settings: dict[str, Any], env: Mapping[str, str]
) -> Outcome:
    base = sandbox.writes_seen()
    proc = subprocess.Popen(
        _command(kb, "--yes"),
        env=kbsync_env(sandbox, env),
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    switched = False
    while proc.poll() is None and not switched:
        if sandbox.writes_seen() - base >= nth:
            sandbox.faults(**settings)
            switched = True
        time.sleep(0.003)
    stdout, stderr = proc.communicate(timeout=240)
    return Outcome(proc.returncode, stdout, stderr)
