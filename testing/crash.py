"""Crash consistency: kill an apply at its Nth write request, rerun, check."""

from __future__ import annotations

import hashlib
import json
import threading
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from kbcore import wire
from kbcore.kb import load_kb
from kbcore.wire import upload_name
from sync.plan import attributes_for
from testing.kb import doc, write_kb
from testing.runs import (
    KB_NAME,
    desired_problems,
    kbsync,
    kill_at_write,
    plans_nothing,
    write_log,
)
from testing.sandbox import Sandbox
from testing.waiting import wait_for


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
        "new3.md": doc("Children's club"),
    }
    # No retry: the sandbox fails processing only for good (invalid_file), which the plan
    # shows as `failed` and never re-sends; a retry's apply is an
    # update's.
    return Scenario(
        "mixed",
        old,
        new,
        _SETTINGS % "ru",
        _SETTINGS % "ru-RU",
        duplicated=("dup.md",),
        expected={
            "create": 3,
            "update": 2,
            "move": 1,
            "delete": 2,
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
    old_kb = write_kb(
        root / "old" / "kb", scenario.old, settings=scenario.old_settings, replace=True
    )
    first = kbsync(sandbox, old_kb, "--yes")
    if first.code != 0:
        raise RuntimeError(f"the old KB did not sync: {first.stderr}")
    store_id = sandbox.store_id(KB_NAME)
    assert store_id is not None
    new_kb = write_kb(
        root / "new" / "kb", scenario.new, settings=scenario.new_settings, replace=True
    )
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
    def settled() -> bool:
        states = {f["id"]: f["status"] for f in sandbox.store_files(store_id)}
        return all(states.get(f) not in (None, "in_progress") for f in file_ids)

    wait_for(settled, timeout=timeout, every=0.05, what="the planted files to settle")


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
                            str((f.get("attributes") or {}).get(wire.KB_PATH)),
                            str((f.get("attributes") or {}).get(wire.KB_SHA256)),
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
    return write_log(sandbox, sandbox.total() - before)


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
