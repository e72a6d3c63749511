"""Progress of the long steps (hashed, uploaded, processed), always on stderr.

On a terminal: a rich progress bar. In CI (``CI=true``) or when stderr is not a
terminal: a few plain lines per step (start, every tenth, end), so that logs stay short.
"""

from __future__ import annotations

import os
import sys
import threading
import time
from collections.abc import Callable
from types import TracebackType
from typing import Protocol

from kbcore import output as _output

SLOW_STEP = 2.0  # seconds: a plain step this old also shows its tenths


class Step(Protocol):
    def advance(self, amount: int = 1) -> None: ...

    def update(self, completed: int) -> None: ...


class Progress(Protocol):
    def step(self, label: str, total: int, *, show: Callable[[int], str] = str) -> Step: ...

    def __enter__(self) -> Progress: ...

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        trace: TracebackType | None,
    ) -> None: ...


def wants_plain() -> bool:
    return os.environ.get("CI", "").lower() in {"1", "true", "yes"} or not sys.stderr.isatty()


def make(*, quiet: bool = False) -> Progress:
    """The right progress for where we run; ``quiet`` shows nothing."""
    if quiet:
        return _Silent()
    if wants_plain():
        return _Plain()
    return _Rich()


class _PlainStep:
    def __init__(self, label: str, total: int, show: Callable[[int], str]) -> None:
        self._label, self._total, self._fmt = label, total, show
        self._done = 0
        self._shown = -1
        self._started = time.monotonic()
        self._lock = threading.Lock()

    def advance(self, amount: int = 1) -> None:
        with self._lock:
            self._done += amount
            self._show()

    def update(self, completed: int) -> None:
        with self._lock:
            self._done = completed
            self._show()

    def _show(self) -> None:
        # The last line always; tenths only when the step is slow enough to need them.
        tenth = 10 * self._done // self._total
        finished = self._done >= self._total
        slow = time.monotonic() - self._started >= SLOW_STEP
        if tenth == self._shown or not (finished or slow):
            return
        self._shown = tenth
        _output.info(f"{self._label}: {self._fmt(self._done)}/{self._fmt(self._total)}")


class _Plain:
    def step(self, label: str, total: int, *, show: Callable[[int], str] = str) -> Step:
        return _PlainStep(label, total, show) if total else _SilentStep()

    def __enter__(self) -> Progress:
        return self

    def __exit__(self, *_: object) -> None:
        return None


class _SilentStep:
    def advance(self, amount: int = 1) -> None:
        return None

    def update(self, completed: int) -> None:
        return None


class _Silent(_Plain):
    def step(self, label: str, total: int, *, show: Callable[[int], str] = str) -> Step:
        return _SilentStep()


class _RichStep:
    """One bar, shown live only while it runs: nothing else may print to the terminal
    meanwhile, so the plan, the prompt and the report never mix with a live display."""

    def __init__(self, label: str, total: int, show: Callable[[int], str]) -> None:
        from rich.console import Console
        from rich.progress import BarColumn, Progress, TextColumn

        self._show, self._total = show, total
        self._bar = Progress(
            TextColumn("{task.description:>10}"),
            BarColumn(),
            TextColumn("{task.fields[done]}"),
            console=Console(stderr=True),
            redirect_stdout=False,
            redirect_stderr=False,
        )
        self._task = self._bar.add_task(label, total=total, done=self._done_text(0))
        self._bar.start()

    def _done_text(self, completed: int) -> str:
        return f"{self._show(completed)}/{self._show(self._total)}"

    def advance(self, amount: int = 1) -> None:
        task = self._bar.tasks[0]
        self.update(int(task.completed) + amount)

    def update(self, completed: int) -> None:
        self._bar.update(self._task, completed=completed, done=self._done_text(completed))
        if completed >= self._total:
            self.stop()

    def stop(self) -> None:
        if self._bar.live.is_started:
            self._bar.stop()


class _Rich:
    def __init__(self) -> None:
        self._steps: list[_RichStep] = []

    def step(self, label: str, total: int, *, show: Callable[[int], str] = str) -> Step:
        for earlier in self._steps:
            earlier.stop()
        if not total:
            return _SilentStep()
        step = _RichStep(label, total, show)
        self._steps.append(step)
        return step

    def __enter__(self) -> Progress:
        return self

    def __exit__(self, *_: object) -> None:
        for step in self._steps:
            step.stop()
