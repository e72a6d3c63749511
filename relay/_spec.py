"""The assistant spec, loaded with sync's loader and reloaded when its files change.

A reload swaps the whole (frozen) spec in one assignment, so a request sees either the
old spec or the new one. A broken edit keeps the last good spec and logs the error.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from pathlib import Path

from watchfiles import Change, awatch

from kbcore.business import VARIANTS_DIR
from kbcore.errors import KbError
from kbcore.kb import AssistantSpec, load_spec
from relay import _log

WATCHED = ("instructions.md", "assistant.yaml")


class SpecHolder:
    def __init__(self, kb_dir: Path, on_change: Callable[[AssistantSpec], None] | None = None):
        self.kb_dir = kb_dir
        self.spec: AssistantSpec | None = None
        self.error: str | None = None
        self._on_change = on_change

    def load(self) -> AssistantSpec | None:
        """Load now; on failure keep the current spec, remember and log the error."""
        try:
            spec = load_spec(self.kb_dir)
        except KbError as exc:
            if self.error == str(exc):
                return self.spec  # already said
            self.error = str(exc)
            _log.event(
                logging.ERROR,
                "spec_invalid",
                kb_dir=str(self.kb_dir),
                problems=exc.problems,
                kept=self.spec.digest if self.spec else None,
            )
            return self.spec
        except OSError as exc:
            error = f"{self.kb_dir}: {exc.strerror or exc}"
            if self.error != error:
                self.error = error
                _log.event(logging.ERROR, "spec_unreadable", kb_dir=str(self.kb_dir), error=error)
            return self.spec
        previous, self.spec, self.error = self.spec, spec, None
        if previous is None or previous.digest != spec.digest:
            _log.event(
                logging.INFO,
                "spec_loaded",
                kb_dir=str(self.kb_dir),
                name=spec.name,
                model=spec.model,
                digest=spec.digest,
                reload=previous is not None,
            )
            if self._on_change is not None:
                self._on_change(spec)
        return spec

    async def watch(self, stop: asyncio.Event) -> None:
        """Reload on every change of the watched files until ``stop`` is set."""

        variants = self.kb_dir / VARIANTS_DIR

        def relevant(_: Change, path: str) -> bool:
            changed = Path(path)
            return changed.name in WATCHED or (
                changed.parent == variants and changed.suffix == ".md"
            )

        # Watch the folders, not the files: editors and `git pull` replace files by renaming.
        # kb/variants/ too (its .md files are instructions), when it exists at start.
        folders = [self.kb_dir, *([variants] if variants.is_dir() else [])]
        async for _ in awatch(
            *folders, watch_filter=relevant, recursive=False, stop_event=stop, step=50
        ):
            self.load()
