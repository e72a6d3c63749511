"""The child processes of ``kbsync dev``: started in their own process group (Ctrl-C
reaches only the supervisor, which stops them in order), their output shown line by
line with their name, or kept in a log file, or both.
"""

from __future__ import annotations

import signal
import subprocess
import threading
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO

from kbcore.output import info

STOP_SECONDS = 10.0

Show = Callable[[str], "str | None"]  # a line as printed → what the terminal shows, or nothing


@dataclass
class Child:
    name: str
    args: tuple[str, ...]
    proc: subprocess.Popen[bytes]
    pump: threading.Thread | None = None
    kept: list[str] = field(default_factory=list)  # its lines, when asked to keep them


def start(
    name: str,
    args: Sequence[str],
    env: dict[str, str],
    *,
    log: Path | None = None,
    show: Show | None = None,
    keep: bool = False,
) -> Child:
    """Start ``args``. With only ``log``, its output goes to that file; with ``show``
    (default: every line as it is), each line is shown as ``[name] …`` and also
    appended to ``log`` when given; ``keep`` remembers the lines (``Child.kept``)."""
    if log is not None and show is None:
        with log.open("ab") as sink:
            proc = subprocess.Popen(
                args, env=env, stdout=sink, stderr=subprocess.STDOUT, start_new_session=True
            )
        return Child(name, tuple(args), proc)
    proc = subprocess.Popen(
        args, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, start_new_session=True
    )
    assert proc.stdout is not None
    child = Child(name, tuple(args), proc)
    child.pump = threading.Thread(
        target=_pump, args=(child, proc.stdout, show or _as_is, log, keep), daemon=True
    )
    child.pump.start()
    return child


def _as_is(line: str) -> str:
    return line


def _pump(child: Child, stream: IO[bytes], show: Show, log: Path | None, keep: bool) -> None:
    sink = log.open("ab") if log is not None else None
    try:
        for raw in stream:
            if sink is not None:
                sink.write(raw)
                sink.flush()
            line = raw.decode(errors="replace").rstrip()
            if keep:
                child.kept.append(line)
            shown = show(line)
            if shown is not None:
                info(f"[{child.name}] {shown}")
    finally:
        if sink is not None:
            sink.close()


def stop(children: Sequence[Child]) -> None:
    """Stop each child, the last started first (SIGTERM, then SIGKILL after a while)."""
    for child in reversed(children):
        if child.proc.poll() is None:
            child.proc.terminate()
            try:
                child.proc.wait(timeout=STOP_SECONDS)
            except subprocess.TimeoutExpired:
                child.proc.kill()
                child.proc.wait()
        join(child)


def join(child: Child) -> None:
    """Wait until the child's output has all been shown."""
    if child.pump is not None:
        child.pump.join(timeout=STOP_SECONDS)


@contextmanager
def ignoring_signals() -> Iterator[None]:
    """A second Ctrl-C (or SIGTERM) while stopping must not leave children running."""
    previous = {sig: signal.signal(sig, signal.SIG_IGN) for sig in (signal.SIGINT, signal.SIGTERM)}
    try:
        yield
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
