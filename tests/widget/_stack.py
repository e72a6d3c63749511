"""The KB the widget tests talk to: documents seeded into a sandbox, a KB folder, relay settings.

Shared by the fixtures and by ``scripts/screenshots.py``.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

API_KEY = "sk-test-kbsync-0123456789"
KB_NAME = "clubsante-widget"
DOCS = Path(__file__).resolve().parent / "docs"


def seed(base_url: str) -> str:
    """Upload every document under ``docs/`` into a new vector store; return its id."""
    import openai

    client = openai.OpenAI(api_key=API_KEY, base_url=base_url, max_retries=0, timeout=30)
    files = []
    for doc in sorted(DOCS.rglob("*.md")):
        data = doc.read_bytes()
        uploaded = client.files.create(file=(doc.name, data), purpose="assistants")
        attributes = {
            "kb_path": doc.relative_to(DOCS).as_posix(),
            "kb_sha256": hashlib.sha256(data).hexdigest(),
        }
        files.append({"file_id": uploaded.id, "attributes": attributes})
    store = client.vector_stores.create(name=f"kb:{KB_NAME}", metadata={"kb_name": KB_NAME})
    batch = client.vector_stores.file_batches.create_and_poll(store.id, files=files)
    if batch.status != "completed":
        raise RuntimeError(f"seeding the sandbox failed: {batch!r}")
    return store.id


def write_kb(folder: Path) -> Path:
    (folder / "files").mkdir(parents=True, exist_ok=True)
    (folder / "assistant.yaml").write_text(f"name: {KB_NAME}\n")
    (folder / "instructions.md").write_text(
        "You answer questions about Club Santé from its documents only.\n"
    )
    return folder


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
