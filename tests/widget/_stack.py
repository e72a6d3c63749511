"""The KB the widget tests talk to: documents seeded into a sandbox, a KB folder, relay settings."""

from __future__ import annotations

import shutil
from pathlib import Path

import testing.kb
from kbcore.kb import load_kb
from kbcore.wire import KB_NAME as KB_NAME_KEY
from kbcore.wire import KB_PATH, KB_SHA256, KB_TITLE, store_name
from testing.sandbox import API_KEY

KB_NAME = "clubsante-widget"
DOCS = Path(__file__).resolve().parent / "docs"
# Where a visitor reads a cited document: the widget's source chips link there.
SOURCES_URL = "https://club.example/docs/{path}"


def seed(base_url: str, kb_dir: Path) -> str:
    """Upload every document of ``kb_dir`` into a new vector store, as kbsync would attach
    them (path, hash and title attributes); return the store's id."""
    import openai

    kb = load_kb(kb_dir)
    client = openai.OpenAI(api_key=API_KEY, base_url=base_url, max_retries=0, timeout=30)
    files = []
    for doc in kb.documents:
        uploaded = client.files.create(
            file=(doc.abs_path.name, doc.abs_path.read_bytes()), purpose="assistants"
        )
        attributes = {KB_PATH: doc.path, KB_SHA256: doc.sha256, KB_TITLE: doc.title}
        files.append({"file_id": uploaded.id, "attributes": attributes})
    store = client.vector_stores.create(name=store_name(KB_NAME), metadata={KB_NAME_KEY: KB_NAME})
    batch = client.vector_stores.file_batches.create_and_poll(store.id, files=files)
    if batch.status != "completed":
        raise RuntimeError(f"seeding the sandbox failed: {batch!r}")
    return store.id


def write_kb(folder: Path) -> Path:
    """A KB folder holding the documents under ``docs/``, with a ``sources.url``."""
    shutil.copytree(DOCS, folder / "files", dirs_exist_ok=True)
    return testing.kb.write_kb(
        folder,
        settings=f'name: {KB_NAME}\nsources:\n  url: "{SOURCES_URL}"\n',
        instructions="You answer questions about Club Santé from its documents only.\n",
    )


def relay_env(base_url: str, kb_dir: Path, port: int) -> dict[str, str]:
    return {
        "OPENAI_BASE_URL": base_url,
        "OPENAI_API_KEY": API_KEY,
        "KB_DIR": str(kb_dir),
        "RELAY_SECRET": "widget-tests-secret-0123456789abcdef",
        "ALLOWED_ORIGINS": f"http://127.0.0.1:{port}",
        "RATE_LIMIT": "1000/minute",
        "RELAY_DEMO": "1",
    }
