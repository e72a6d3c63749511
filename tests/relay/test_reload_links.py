"""Issue 12 item 1 on the relay's side: a symbolic link swapped into kb/ by a pull is
never read; the relay keeps its last good spec and logs why."""

from __future__ import annotations

import json
import os
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

SECRET_MARK = "RELAY_SECRET=leaked-if-you-can-read-this"


def test_instructions_swapped_for_a_link_never_reach_the_model(
    relay: TestClient[Any],
    kb: Path,
    sandbox: Server,
    tmp_path: Path,
    caplog: pytest.LogCaptureFixture,
) -> None:
    holder: Runtime = relay.app.state.relay
    good = holder.spec.spec
    assert good is not None
    outside = tmp_path / "environ"
    outside.write_text(SECRET_MARK + "\n")  # stands in for /proc/self/environ
    instructions = kb / "instructions.md"
    swapped = kb / "instructions.tmp"
    os.symlink(outside, swapped)
    os.replace(swapped, instructions)  # what a pull that commits a link does

    wait_for(lambda: holder.spec.error is not None, what="the refused reload")
    assert holder.spec.spec is good
    assert "symbolic link" in (holder.spec.error or "")
    logged = [json.loads(r.getMessage()) for r in caplog.records if r.name == "relay"]
    refused = [r for r in logged if r["event"] == "spec_invalid"]
    assert refused, "the relay must log why it kept the last good spec"
    assert any("instructions.md" in p and "symbolic link" in p for p in refused[-1]["problems"])

    events, _ = parse_sse(relay.post("/api/chat", json={"message": QUESTION}).text)
    assert events[-1].event == "done"
    log = sandbox_call(sandbox, "GET", "/_sandbox/requests?limit=20")["requests"]
    sent = [r for r in log if r["path"] == "/v1/responses"][-1]["body"]["instructions"]
    assert sent == good.instructions
    assert SECRET_MARK not in json.dumps(log)
