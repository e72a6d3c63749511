"""``--data DIR``: state survives a restart; writes are atomic."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import openai

from sandbox._persist import load, save_now
from sandbox._state import Store
from testing.sandbox import API_KEY, sandbox_call
from testing.servers import sandbox_server


def _client(url: str) -> openai.OpenAI:
    return openai.OpenAI(api_key=API_KEY, base_url=url + "/v1", max_retries=0, timeout=10)


def test_state_survives_a_restart(tmp_path: Path) -> None:
    data = tmp_path / "data"
    with sandbox_server(tmp_path / "one.log", data_dir=data) as server:
        client = _client(server.url)
        file = client.files.create(
            file=("pool.md", "Бассейн открыт с 7 утра.".encode()), purpose="assistants"
        )
        blob = data / "blobs" / file.id
        written = blob.stat().st_mtime_ns
        gone = client.files.create(file=("gone.md", b"to be deleted"), purpose="assistants")
        vs = client.vector_stores.create(name="kb:club", metadata={"kb_name": "club"})
        client.vector_stores.files.create_and_poll(
            vector_store_id=vs.id,
            file_id=file.id,
            attributes={"kb_path": "pool.md"},
            poll_interval_ms=20,
        )
        client.files.delete(gone.id)
        before = client.vector_stores.retrieve(vs.id)
        assert blob.stat().st_mtime_ns == written  # blobs are written once, on upload
    assert not list(data.glob("**/*.tmp"))
    assert sorted(p.name for p in (data / "blobs").iterdir()) == [file.id]

    with sandbox_server(tmp_path / "two.log", data_dir=data) as server:
        client = _client(server.url)
        assert [f.id for f in client.files.list()] == [file.id]
        assert client.files.content(file.id).content == "Бассейн открыт с 7 утра.".encode()
        after = client.vector_stores.retrieve(vs.id)
        assert after.model_dump() == before.model_dump()
        vs_file = client.vector_stores.files.retrieve(file.id, vector_store_id=vs.id)
        assert vs_file.status == "completed"
        assert vs_file.attributes == {"kb_path": "pool.md"}
        hits = client.vector_stores.search(vs.id, query="бассейн")
        assert [h.file_id for h in hits.data] == [file.id]
        # counters are per process
        assert sandbox_call(server, "GET", "/_sandbox/stats")["total"] == 5
        sandbox_call(server, "POST", "/_sandbox/reset", {})

    with sandbox_server(tmp_path / "three.log", data_dir=data) as server:
        assert _client(server.url).files.list().data == []


def test_unfinished_processing_resumes_after_restart(tmp_path: Path) -> None:
    data = tmp_path / "data"
    with sandbox_server(tmp_path / "one.log", data_dir=data) as server:
        client = _client(server.url)
        file = client.files.create(file=("a.md", b"text"), purpose="assistants")
        vs = client.vector_stores.create(name="s")
        sandbox_call(
            server, "POST", "/_sandbox/faults", {"rate": 1.0, "kinds": ["stuck"], "seed": 1}
        )
        client.vector_stores.files.create(vector_store_id=vs.id, file_id=file.id)
    with sandbox_server(tmp_path / "two.log", data_dir=data) as server:
        client = _client(server.url)
        done = client.vector_stores.files.poll(file.id, vector_store_id=vs.id, poll_interval_ms=20)
        assert done.status == "completed"


def test_every_store_field_is_saved(tmp_path: Path) -> None:
    store = Store(data_dir=tmp_path)
    store.conversations["conv_1"] = {"id": "conv_1", "object": "conversation", "metadata": {}}
    store.conversation_items["conv_1"] = [{"id": "msg_1", "type": "message"}]
    store.responses["resp_1"] = {"id": "resp_1", "object": "response"}
    store.response_input_items["resp_1"] = [{"id": "msg_2", "type": "message"}]
    store.changed()  # no running loop: written at once
    saved: dict[str, Any] = json.loads((tmp_path / "state.json").read_text())
    assert saved["conversations"] == store.conversations
    again = Store(data_dir=tmp_path)
    load(again)
    for name in ("conversations", "conversation_items", "responses", "response_input_items"):
        assert getattr(again, name) == getattr(store, name)
    save_now(again)
    assert not list(tmp_path.glob("*.tmp"))
