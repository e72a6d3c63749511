"""``kbsync check`` against the real sandbox: the steps, a refused parameter, and that
nothing it made is left behind (on success, on failure and on Ctrl-C)."""

from __future__ import annotations

import datetime as dt
import json
import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest

from testing.sandbox import only_model, sandbox_call
from testing.servers import ROOT, Server
from testing.waiting import wait_for
from tests.kbsync._helpers import files, kbsync, requests, stores, write_kb

pytestmark = pytest.mark.usefixtures("sandbox_env")

STEPS = ["key and model", "parameters", "vector store", "file_search answer"]
SETTINGS = "name: test\nmodel: gpt-5.4-mini\ntemperature: 0.3\nmax_output_tokens: 512\n"


def assert_nothing_left(sandbox: Server, before: tuple[int, int] = (0, 0)) -> None:
    assert (len(stores(sandbox)), len(files(sandbox))) == before


def test_every_step_passes_and_is_listed(tmp_path: Path, sandbox: Server) -> None:
    kb = write_kb(tmp_path, {"a.md": "alpha"}, SETTINGS)
    result = kbsync("check", "--kb", str(kb))
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    assert [line[8:28].rstrip() for line in lines[:4]] == STEPS
    assert all(line.startswith("  ok    ") for line in lines[:4])
    assert lines[0].endswith("model gpt-5.4-mini is available to this key")
    assert lines[1].endswith(
        "gpt-5.4-mini accepts instructions, temperature 0.3, max_output_tokens 512"
    )
    assert " ms  kb:test#check-" in lines[2]
    assert lines[2].endswith(": 1 document processed")
    assert " ms  cited kbsync-check-" in lines[3]
    assert lines[4].startswith("All 4 checks passed in ")
    assert len(lines) == 5
    assert_nothing_left(sandbox)
    # The temporary store was marked and expiring, and its document cited by the answer.
    sent = requests(sandbox)
    created = next(r for r in sent if r["method"] == "POST" and r["path"] == "/v1/vector_stores")
    metadata = created["body"]["metadata"]
    # kb_create: the one-off mark that lets a repeated create find the store it made
    assert re.fullmatch(r"[0-9a-f]{16}", metadata.pop("kb_create"))
    assert metadata == {"kb_name": "test", "kb_preview": "check"}
    assert created["body"]["expires_after"] == {"anchor": "last_active_at", "days": 1}
    assert created["body"]["name"].startswith("kb:test#check-")
    answers = [r for r in sent if r["method"] == "POST" and r["path"] == "/v1/responses"]
    assert len(answers) == 2  # the probe (no tools), then the answer with file_search
    assert "tools" not in answers[0]["body"]
    assert answers[0]["body"]["temperature"] == 0.3
    assert answers[1]["body"]["tools"][0]["type"] == "file_search"
    assert answers[1]["body"]["stream"] is True


def test_json_shape(tmp_path: Path, sandbox: Server) -> None:
    kb = write_kb(tmp_path, {"a.md": "alpha"}, SETTINGS)
    result = kbsync("check", "--kb", str(kb), "--json")
    assert result.exit_code == 0, result.output
    document = json.loads(result.stdout)
    assert set(document) == {"ok", "steps"}
    assert document["ok"] is True
    assert [step["name"] for step in document["steps"]] == STEPS
    for step in document["steps"]:
        assert set(step) == {"name", "ok", "ms", "detail"}
        assert step["ok"] is True
        assert isinstance(step["ms"], int)
        assert step["ms"] >= 0
        assert isinstance(step["detail"], str)
        assert step["detail"]
    assert_nothing_left(sandbox)


def test_a_reasoning_model_refuses_temperature(tmp_path: Path, sandbox: Server) -> None:
    only_model(sandbox, "gpt-5.4-mini", reasoning=True)
    kb = write_kb(tmp_path, {"a.md": "alpha"}, SETTINGS)
    result = kbsync("check", "--kb", str(kb))
    assert result.exit_code == 1
    lines = result.stdout.splitlines()
    assert lines[0].startswith("  ok    key and model")
    assert lines[1].startswith("  FAIL  parameters")
    assert lines[2:] == ["  skip  vector store", "  skip  file_search answer"]
    error = result.stderr.splitlines()
    assert len(error) == 2  # the "Checking …" line, then the one error line
    assert error[1].startswith(
        "error: kbsync check failed at step 'parameters': model gpt-5.4-mini refused "
        "the parameter 'temperature' ("
    )
    assert error[1].endswith("); change or remove it in kb/assistant.yaml.")
    as_json = kbsync("check", "--kb", str(kb), "--json")
    assert as_json.exit_code == 1
    document = json.loads(as_json.stdout)
    assert document["ok"] is False
    assert [(s["name"], s["ok"]) for s in document["steps"]] == [
        ("key and model", True),
        ("parameters", False),
    ]
    assert "'temperature'" in document["steps"][1]["detail"]
    assert_nothing_left(sandbox)
    # Without temperature the same model passes.
    (kb / "assistant.yaml").write_text("name: test\nmodel: gpt-5.4-mini\n")
    assert kbsync("check", "--kb", str(kb)).exit_code == 0


def test_an_unknown_model_fails_the_first_step(tmp_path: Path, sandbox: Server) -> None:
    kb = write_kb(tmp_path, {"a.md": "alpha"}, "name: test\nmodel: gpt-0-nonexistent\n")
    result = kbsync("check", "--kb", str(kb))
    assert result.exit_code == 1
    assert result.stdout.splitlines()[0].startswith("  FAIL  key and model")
    assert "Model 'gpt-0-nonexistent' does not exist for this API key" in result.stderr
    assert len(requests(sandbox)) == 1  # GET /v1/models/… and nothing else


def test_a_failure_after_the_store_was_made_leaves_nothing(tmp_path: Path, sandbox: Server) -> None:
    # Processing fails (the document is over the per-file token limit): step 3 fails
    # after the store and the File exist.
    sandbox_call(sandbox, "POST", "/_sandbox/faults", {"max_file_tokens": 1})
    kb = write_kb(tmp_path, {"a.md": "alpha"}, SETTINGS)
    result = kbsync("check", "--kb", str(kb))
    assert result.exit_code == 1
    assert result.stdout.splitlines()[2].startswith("  FAIL  vector store")
    assert "error: kbsync check failed at step 'vector store': the check's document failed " in (
        result.stderr
    )
    made = [r for r in requests(sandbox) if r["method"] == "POST"]
    assert [r["path"] for r in made][1:3] == ["/v1/vector_stores", "/v1/files"]
    assert_nothing_left(sandbox)


def test_it_never_touches_the_kbs_own_store(tmp_path: Path, sandbox: Server) -> None:
    kb = write_kb(tmp_path, {"a.md": "alpha"}, SETTINGS)
    assert kbsync("--kb", str(kb), "--yes").exit_code == 0
    (own,) = stores(sandbox)
    before = (1, len(files(sandbox)))
    mark = len(requests(sandbox))
    assert kbsync("check", "--kb", str(kb)).exit_code == 0
    assert_nothing_left(sandbox, before)
    assert not [r for r in requests(sandbox)[mark:] if own["id"] in r["path"]]


def wait_for_requests(sandbox: Server, method: str, path: str, count: int) -> None:
    """Until ``count`` requests ``method path`` have reached the sandbox (it logs each as
    it arrives, before its ``latency_ms``)."""
    wait_for(
        lambda: sum((r["method"], r["path"]) == (method, path) for r in requests(sandbox)) >= count,
        timeout=30,
        what=f"{count} × {method} {path}",
    )


@pytest.mark.parametrize(
    ("method", "path", "count"),
    [
        ("POST", "/v1/vector_stores", 1),  # the store's creation in flight
        ("POST", "/v1/files", 1),  # the upload in flight
        ("POST", "/v1/responses", 2),  # the answer in flight
    ],
    ids=["creating-store", "uploading", "answering"],
)
def test_ctrl_c_mid_run_leaves_nothing(
    tmp_path: Path, sandbox: Server, base_url: str, method: str, path: str, count: int
) -> None:
    kb = write_kb(tmp_path, {"a.md": "alpha"}, SETTINGS)
    sandbox_call(sandbox, "POST", "/_sandbox/faults", {"latency_ms": 400})
    env: dict[str, Any] = {**os.environ, "OPENAI_BASE_URL": base_url, "PYTHONUNBUFFERED": "1"}
    proc = subprocess.Popen(
        [sys.executable, "-m", "kbsync", "check", "--kb", str(kb)],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    try:
        wait_for_requests(sandbox, method, path, count)  # its reply is 400 ms away
        proc.send_signal(signal.SIGINT)
        out, err = proc.communicate(timeout=60)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == 130, err.decode()
    assert err.decode().splitlines()[-1] == "interrupted"
    assert "All 4 checks passed" not in out.decode()
    sandbox_call(sandbox, "POST", "/_sandbox/faults", {"latency_ms": 0})
    # Requests still in flight finish server-side, and a late-made store would show: no
    # signal says "nothing more will arrive", so this waits out their latency.
    time.sleep(0.5)
    assert_nothing_left(sandbox)


def test_a_model_near_its_shutdown_is_warned(tmp_path: Path, sandbox: Server) -> None:
    soon = (dt.datetime.now(dt.UTC).date() + dt.timedelta(days=5)).isoformat()
    later = (dt.datetime.now(dt.UTC).date() + dt.timedelta(days=61)).isoformat()
    table = [
        {"id": "gpt-test-old", "shutdown_date": soon},
        {"id": "gpt-test-later", "shutdown_date": later},
    ]
    sandbox_call(sandbox, "POST", "/_sandbox/models", {"models": table})
    kb = write_kb(tmp_path, {"a.md": "alpha"}, "name: test\nmodel: gpt-test-old\n")
    result = kbsync("check", "--kb", str(kb))
    assert result.exit_code == 0, result.output
    warning = f"model gpt-test-old shuts down on {soon} (in 5 days) in kb/assistant.yaml."
    assert f"warning: {warning}" in result.stderr.splitlines()
    assert result.stdout.splitlines()[0].endswith(
        f"model gpt-test-old is available to this key, but {warning}"
    )
    (kb / "assistant.yaml").write_text("name: test\nmodel: gpt-test-later\n")
    result = kbsync("check", "--kb", str(kb))
    assert result.exit_code == 0
    assert "shuts down" not in result.output


def test_upload_lag_is_waited_out(tmp_path: Path, sandbox: Server) -> None:
    # A File younger than 1.5 s is "No file found" to vector stores (eventual consistency).
    sandbox_call(sandbox, "POST", "/_sandbox/faults", {"consistency_ms": 1500})
    kb = write_kb(tmp_path, {"a.md": "alpha"}, SETTINGS)
    result = kbsync("check", "--kb", str(kb))
    assert result.exit_code == 0, result.output
    attaches = [
        r
        for r in requests(sandbox)
        if r["method"] == "POST" and r["path"].endswith("/file_batches")
    ]
    assert len(attaches) >= 2  # the first met the lag and was sent again
    assert_nothing_left(sandbox)
