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
from typing import TYPE_CHECKING, Protocol

from sync import _output

if TYPE_CHECKING:
    import rich.progress


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
        slow = time.monotonic() - self._started > 2.0
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
    def __init__(self, bar: rich.progress.Progress, task: rich.progress.TaskID) -> None:
        self._bar, self._task = bar, task

    def advance(self, amount: int = 1) -> None:
        self._bar.advance(self._task, amount)

    def update(self, completed: int) -> None:
        self._bar.update(self._task, completed=completed)


class _Rich:
    def __init__(self) -> None:
        from rich.console import Console
        from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn

        self._bar = Progress(
            TextColumn("{task.description:>10}"),
            BarColumn(),
            MofNCompleteColumn(),
            console=Console(stderr=True),
            transient=False,
        )

    def step(self, label: str, total: int, *, show: Callable[[int], str] = str) -> Step:
        if not total:
            return _SilentStep()
        return _RichStep(self._bar, self._bar.add_task(label, total=total))

    def __enter__(self) -> Progress:
        self._bar.start()
        return self

    def __exit__(self, *_: object) -> None:
        self._bar.stop()
