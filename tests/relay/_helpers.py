"""Helpers for relay tests: SSE parsing, a seeded sandbox KB, a tmp kb/ folder."""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from kbcore import wire
from tests._club import PRICES_MD, SCHEDULE_MD

KB_NAME = "relaytest"
INSTRUCTIONS = "You answer questions about the Club Sante fitness club.\n"

DOCS: dict[str, str] = {
    "prices.md": PRICES_MD,
    "hours/schedule.md": SCHEDULE_MD,
    "rules.md": (
        "# Club rules\n\n"
        "A rubber swimming cap is required in the pool. Towels are free at the reception. "
        "Children under 14 visit the club only with an adult.\n"
    ),
}

QUESTION = "How much does a monthly membership cost?"


@dataclass(frozen=True)
class Seeded:
    vector_store_id: str
    file_paths: dict[str, str]  # file id -> kb_path


def title_of(text: str) -> str:
    """The document's own title as kbsync would stamp it: its first Markdown heading."""
    return text.splitlines()[0].removeprefix("# ").strip()


def seed(client: Any, kb_name: str = KB_NAME, docs: dict[str, str] = DOCS) -> Seeded:
    """Upload ``docs`` through the SDK into a vector store owned by ``kb_name``, with the
    attributes a sync gives them (``kb_path``, ``kb_sha256``, ``kb_title``)."""
    paths: dict[str, str] = {}
    entries: list[dict[str, Any]] = []
    for path, text in docs.items():
        name = path.rsplit("/", 1)[-1]
        uploaded = client.files.create(
            file=(name, text.encode(), "text/markdown"), purpose="assistants"
        )
        paths[uploaded.id] = path
        entries.append(
            {
                "file_id": uploaded.id,
                "attributes": {
                    wire.KB_PATH: path,
                    wire.KB_SHA256: "0" * 64,
                    wire.KB_TITLE: title_of(text),
                },
            }
        )
    store = client.vector_stores.create(
        name=wire.store_name(kb_name), metadata={wire.KB_NAME: kb_name}
    )
    client.vector_stores.file_batches.create_and_poll(
        vector_store_id=store.id, files=entries, poll_interval_ms=10
    )
    return Seeded(str(store.id), paths)


def write_kb(root: Path, *, name: str = KB_NAME, instructions: str = INSTRUCTIONS) -> Path:
    root.mkdir(parents=True, exist_ok=True)
    (root / "instructions.md").write_text(instructions, encoding="utf-8")
    (root / "assistant.yaml").write_text(
        f"name: {name}\nfile_search:\n  max_num_results: 4\n", encoding="utf-8"
    )
    (root / "files").mkdir(exist_ok=True)
    return root


@dataclass(frozen=True)
class Event:
    event: str
    data: dict[str, Any]


def parse_sse(text: str) -> tuple[list[Event], int]:
    """The events and the number of comment lines (keep-alives)."""
    events: list[Event] = []
    comments = 0
    for block in text.replace("\r\n", "\n").split("\n\n"):
        name, data = "message", []
        for line in block.split("\n"):
            if line.startswith(":"):
                comments += 1
            elif line.startswith("event:"):
                name = line[6:].strip()
            elif line.startswith("data:"):
                data.append(line[5:].strip())
        if data:
            events.append(Event(name, json.loads("\n".join(data))))
    return events, comments


def wait_for(check: Callable[[], Any], *, timeout: float = 15.0, what: str = "condition") -> Any:
    deadline = time.monotonic() + timeout
    while True:
        value = check()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout} s waiting for {what}")
        time.sleep(0.05)
