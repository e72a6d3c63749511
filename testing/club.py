"""The Club Santé knowledge base the relay's tests and benchmarks answer from: its
documents seeded into a sandbox vector store as a sync would attach them, and a
``kb/`` folder that names it."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from kbcore import wire
from testing.kb import write_kb

PRICES_MD = (
    "# Prices\n\n"
    "A single visit costs 1500 rubles. A monthly membership costs 5000 rubles and "
    "includes the pool and the gym. Students get a 20 percent discount on the monthly "
    "membership.\n"
)

SCHEDULE_MD = (
    "# Opening hours\n\n"
    "The club is open from 7:00 to 23:00 on weekdays and from 9:00 to 21:00 at weekends. "
    "The swimming pool closes thirty minutes before the club.\n"
)

DOCS: dict[str, str] = {
    "prices.md": PRICES_MD,
    "hours/schedule.md": SCHEDULE_MD,
    "rules.md": (
        "# Club rules\n\n"
        "A rubber swimming cap is required in the pool. Towels are free at the reception. "
        "Children under 14 visit the club only with an adult.\n"
    ),
}

INSTRUCTIONS = "You answer questions about the Club Sante fitness club.\n"
QUESTION = "How much does a monthly membership cost?"


@dataclass(frozen=True)
class Seeded:
    vector_store_id: str
    file_paths: dict[str, str]  # file id -> kb_path


def title_of(text: str) -> str:
    """The document's own title as kbsync would stamp it: its first Markdown heading."""
    return text.splitlines()[0].removeprefix("# ").strip()


def seed(client: Any, kb_name: str, docs: dict[str, str] = DOCS) -> Seeded:
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
        attributes = {wire.KB_PATH: path, wire.KB_SHA256: "0" * 64, wire.KB_TITLE: title_of(text)}
        entries.append({"file_id": uploaded.id, "attributes": attributes})
    store = client.vector_stores.create(
        name=wire.store_name(kb_name), metadata={wire.KB_NAME: kb_name}
    )
    client.vector_stores.file_batches.create_and_poll(
        vector_store_id=store.id, files=entries, poll_interval_ms=10
    )
    return Seeded(str(store.id), paths)


def write_club_kb(
    kb: Path, name: str, *, instructions: str = INSTRUCTIONS, max_num_results: int = 4
) -> Path:
    """A ``kb/`` folder (no documents: they are seeded) whose store is ``name``'s."""
    settings = f"name: {name}\nfile_search:\n  max_num_results: {max_num_results}\n"
    return write_kb(kb, settings=settings, instructions=instructions)
