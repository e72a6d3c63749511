"""One rule for the KB's vector store (kbcore.store), kept by both seams: sync and relay.

Two stores claiming one KB (a restored backup, a copy made by hand): ``kbsync`` and
the relay both refuse with the same sentence naming both ids, never a silent pick.
With ``VECTOR_STORE_ID`` naming one of them, both use that one.
"""

from __future__ import annotations

import json
import subprocess
import sys
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any

from testing.club import QUESTION
from testing.sandbox import API_KEY, sandbox_call
from testing.servers import ROOT, Server, relay_server
from testing.sse import parse_sse
from testing.waiting import wait_for
from tests.relay._helpers import seed, write_kb

KB_NAME = "storechoice"


def kbsync(kb: Path, base_url: str, *args: str, **env: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "kbsync", "--kb", str(kb), *args],
        capture_output=True,
        text=True,
        timeout=60,
        cwd=ROOT,
        env={**_env(base_url), **env, "CI": "true"},
    )


def _env(base_url: str) -> dict[str, str]:
    import os

    return {**os.environ, "OPENAI_API_KEY": API_KEY, "OPENAI_BASE_URL": base_url}


def relay_env(kb: Path, base_url: str, **env: str) -> dict[str, str]:
    return {
        "OPENAI_API_KEY": API_KEY,
        "OPENAI_BASE_URL": base_url,
        "KB_DIR": str(kb),
        "RELAY_SECRET": "relay-test-secret-0123456789abcdef",
        "RATE_LIMIT": "off",
        "ALLOWED_ORIGINS": "",
        "REDIS_URL": "",
        "VECTOR_STORE_ID": "",
        **env,
    }


def status(url: str) -> int:
    try:
        with urllib.request.urlopen(url, timeout=5) as response:
            return int(response.status)
    except urllib.error.HTTPError as error:
        return error.code


def refusals(server: Server) -> list[str]:
    lines = [line for line in server.output().splitlines() if line.startswith("{")]
    events = [json.loads(line) for line in lines]
    return [e["message"] for e in events if e.get("event") == "vector_store_refused"]


def chat(server: Server) -> list[Any]:
    request = urllib.request.Request(
        server.url + "/api/chat",
        data=json.dumps({"message": QUESTION}).encode(),
        headers={"Content-Type": "application/json"},
    )
    with urllib.request.urlopen(request, timeout=30) as response:
        events, _ = parse_sse(response.read().decode())
    return events


def test_two_stores_claiming_one_kb(
    sandbox: Server, base_url: str, client: Any, tmp_path: Path
) -> None:
    kb = write_kb(tmp_path / "kb", name=KB_NAME)
    (kb / "files" / "prices.md").write_text("# Prices\n\nA monthly membership is 5000 rubles.\n")
    first, second = seed(client, KB_NAME), seed(client, KB_NAME)
    a, b = sorted((first.vector_store_id, second.vector_store_id))
    sentence = (
        f"2 vector stores claim knowledge base 'storechoice' ({a}, {b}); "
        "set VECTOR_STORE_ID to the one to use, and delete the other."
    )

    planned = kbsync(kb, base_url, "--dry-run")
    assert planned.returncode == 1, planned.stdout + planned.stderr
    assert f"error: {sentence}" in planned.stderr.splitlines(), planned.stderr
    assert "Traceback" not in planned.stderr

    with relay_server(tmp_path / "relay.log", relay_env(kb, base_url), ready_path="/healthz") as r:
        wait_for(lambda: refusals(r), what=f"the relay's refusal; log:\n{r.output()}")
        assert refusals(r) == [sentence]
        assert status(r.url + "/readyz") == 503

    planned = kbsync(kb, base_url, "--dry-run", "--json", VECTOR_STORE_ID=b)
    assert planned.returncode == 0, planned.stdout + planned.stderr
    assert json.loads(planned.stdout)["vector_store_id"] == b

    env = relay_env(kb, base_url, VECTOR_STORE_ID=b)
    with relay_server(tmp_path / "relay-chosen.log", env) as relay:  # ready: /readyz 200
        events = chat(relay)
        assert events[-1].event == "done"
        assert refusals(relay) == []
    sent = sandbox_call(sandbox, "GET", "/_sandbox/requests?limit=200")["requests"]
    (answered,) = [r for r in sent if r["method"] == "POST" and r["path"] == "/v1/responses"]
    assert answered["body"]["tools"][0]["vector_store_ids"] == [b]
