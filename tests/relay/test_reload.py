"""Hot reload of kb/instructions.md and kb/assistant.yaml (in-process)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from litestar.testing import TestClient

from relay._runtime import Runtime
from testing.club import QUESTION
from testing.sandbox import sandbox_call
from testing.servers import Server
from testing.sse import parse_sse
from testing.waiting import wait_for


def runtime(http: TestClient[Any]) -> Runtime:
    value: Runtime = http.app.state.relay
    return value


def last_instructions(sandbox: Server) -> str:
    log = sandbox_call(sandbox, "GET", "/_sandbox/requests?limit=20")["requests"]
    sent: str = [r for r in log if r["path"] == "/v1/responses"][-1]["body"]["instructions"]
    return sent


def ask(http: TestClient[Any]) -> None:
    events, _ = parse_sse(http.post("/api/chat", json={"message": QUESTION}).text)
    assert events[-1].event == "done"


def test_new_instructions_reach_the_next_question(
    relay: TestClient[Any], kb: Path, sandbox: Server
) -> None:
    ask(relay)
    assert last_instructions(sandbox).startswith("You answer questions")
    (kb / "instructions.md").write_text("Revision two: answer briefly.\n")
    wait_for(
        lambda: runtime(relay).spec.spec.instructions.startswith("Revision two"),  # type: ignore[union-attr]
        what="the reload",
    )
    ask(relay)
    assert last_instructions(sandbox).startswith("Revision two")


def test_settings_reload_too(relay: TestClient[Any], kb: Path, sandbox: Server) -> None:
    (kb / "assistant.yaml").write_text(
        "name: relaytest\ntemperature: 0.2\nfile_search:\n  max_num_results: 2\n"
    )
    wait_for(lambda: runtime(relay).spec.spec.temperature == 0.2, what="the reload")  # type: ignore[union-attr]
    ask(relay)
    log = sandbox_call(sandbox, "GET", "/_sandbox/requests?limit=20")["requests"]
    body = [r for r in log if r["path"] == "/v1/responses"][-1]["body"]
    assert body["temperature"] == 0.2
    assert body["tools"][0]["max_num_results"] == 2


def test_broken_edit_keeps_the_last_good_spec(
    relay: TestClient[Any], kb: Path, sandbox: Server, caplog: pytest.LogCaptureFixture
) -> None:
    holder = runtime(relay).spec
    good = holder.spec
    assert good is not None
    (kb / "assistant.yaml").write_text("name: relaytest\n\ntemperatur: 0.2\n")
    wait_for(lambda: holder.error is not None, what="the failed reload")
    assert holder.spec is good
    assert "assistant.yaml:3" in holder.error  # type: ignore[operator]
    logged = [json.loads(r.getMessage()) for r in caplog.records if r.name == "relay"]
    invalid = [r for r in logged if r["event"] == "spec_invalid"]
    assert invalid
    assert any("assistant.yaml:3" in p for p in invalid[-1]["problems"])
    ask(relay)  # still answering, with the last good spec
    assert relay.get("/readyz").status_code == 200
    (kb / "assistant.yaml").write_text("name: relaytest\n")
    wait_for(lambda: holder.error is None, what="the good edit")


def test_instructions_removed_then_restored(relay: TestClient[Any], kb: Path) -> None:
    holder = runtime(relay).spec
    text = (kb / "instructions.md").read_text()
    (kb / "instructions.md").unlink()
    wait_for(lambda: holder.error is not None, what="the failed reload")
    assert holder.spec is not None
    ask(relay)
    (kb / "instructions.md").write_text(text + "More.\n")
    wait_for(lambda: holder.error is None, what="the restored file")
    assert holder.spec.instructions.endswith("More.")
