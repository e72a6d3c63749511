"""Shared by the sync benchmarks: a private sandbox, KB folders under bench/_work, kbsync runs."""

from __future__ import annotations

import os
import platform
import shutil
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from testing.kb import write_kb
from testing.sandbox import API_KEY, Sandbox
from testing.servers import sandbox_server

ROOT = Path(__file__).resolve().parent.parent
WORK = ROOT / "bench" / "_work"


def machine() -> str:
    cpus = os.cpu_count()
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    return (
        f"{platform.system()} {platform.machine()}, {cpus} CPUs, Python "
        f"{platform.python_version()}, load average {load:.1f} at start"
    )


@contextmanager
def sandbox() -> Iterator[Sandbox]:
    WORK.mkdir(parents=True, exist_ok=True)
    with sandbox_server(WORK / "sandbox.log") as server:
        yield Sandbox(server.url)


def make_kb(name: str, files: int, *, size: int = 300) -> Path:
    """``bench/_work/<name>/kb`` with ``files`` small Markdown documents (fresh each time)."""
    root = WORK / name
    shutil.rmtree(root, ignore_errors=True)
    filler = ("lorem ipsum dolor sit amet " * (size // 27 + 1))[:size]
    documents = {
        f"part{n // 1000:02}/doc{n:05}.md": f"# Document {n}\n\n{filler}\n" for n in range(files)
    }
    return write_kb(
        root / "kb",
        documents,
        settings=f"name: {name}\n",
        instructions="Answer from the documents.\n",
    )


def cleanup(name: str) -> None:
    shutil.rmtree(WORK / name, ignore_errors=True)


@dataclass
class Run:
    code: int
    seconds: float
    max_rss_mb: float
    stdout: str
    stderr: str


def kbsync(box: Sandbox, kb: Path, *args: str) -> Run:
    """Run ``kbsync --kb KB ARGS`` as its own process; wall time and its peak RSS."""
    return kbsync_argv(box, "--kb", str(kb), *args)


def kbsync_argv(box: Sandbox, *argv: str) -> Run:
    """Run the ``kbsync`` CLI with ``argv`` as its own process; wall time and peak RSS."""
    env = {
        **os.environ,
        "OPENAI_API_KEY": API_KEY,
        "OPENAI_BASE_URL": box.url + "/v1",
        "CI": "true",
    }
    env.pop("VECTOR_STORE_ID", None)
    command = [sys.executable, "-m", "kbsync", *argv]
    out, err = WORK / "kbsync.out", WORK / "kbsync.err"
    with out.open("wb") as stdout, err.open("wb") as stderr:
        started = time.perf_counter()
        proc = subprocess.Popen(command, cwd=ROOT, env=env, stdout=stdout, stderr=stderr)
        _, status, usage = os.wait4(proc.pid, 0)
        seconds = time.perf_counter() - started
    proc.returncode = os.waitstatus_to_exitcode(status)
    text_out, text_err = out.read_text(), err.read_text()
    out.unlink()
    err.unlink()
    # ru_maxrss is in kilobytes on Linux (bytes on macOS).
    divisor = 1024 * 1024 if sys.platform == "darwin" else 1024
    return Run(proc.returncode, seconds, usage.ru_maxrss / divisor, text_out, text_err)


def must(run: Run, what: str) -> Run:
    if run.code != 0:
        raise SystemExit(f"{what} failed with exit code {run.code}:\n{run.stderr[-2000:]}")
    return run
