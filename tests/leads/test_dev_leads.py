"""``kbsync dev`` turns leads on against the sandbox's CRM fakes and says where to look."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from kbsync.ready import wait_http
from testing.kb import write_kb
from testing.leads import LEADS_YAML, crm, lead_body, post_lead
from testing.servers import free_port
from testing.waiting import wait_for
from tests.test_dev import _descendants


@pytest.mark.slow
def test_a_lead_left_in_kbsync_dev_arrives_at_the_fakes(tmp_path: Path) -> None:
    write_kb(tmp_path / "kb", {"a.md": "# Club\n\nThe club opens at seven.\n"}, settings=LEADS_YAML)
    env = {k: v for k, v in os.environ.items() if not k.startswith(("OPENAI_", "RELAY_", "LEADS_"))}
    env = {**env, "PYTHONUNBUFFERED": "1", "RATE_LIMIT": "off"}
    env.pop("KB_DIR", None)
    env.pop("STATE_DB", None)
    port, sandbox_port = free_port(), free_port()
    err = tmp_path / "dev.err"
    with (tmp_path / "dev.out").open("wb") as stdout, err.open("wb") as stderr:
        proc = subprocess.Popen(
            [sys.executable, "-m", "kbsync", "dev", "--port", str(port),
             "--sandbox-port", str(sandbox_port)],
            cwd=tmp_path, env=env, stdout=stdout, stderr=stderr,
        )  # fmt: skip
    try:
        relay = f"http://127.0.0.1:{port}"
        wait_http(f"{relay}/readyz", name="kbsync dev", exit_code=proc.poll, timeout=90,
                  output=str(tmp_path))  # fmt: skip
        sandbox = f"http://127.0.0.1:{sandbox_port}"
        wait_for(lambda: "_sandbox/crm/received" in err.read_text(), what="where to look")
        assert (
            f"Leads go to the sandbox's CRM fakes: {sandbox}/_sandbox/crm/received shows what "
            "each received; `kbsync leads` lists the outbox."
        ) in err.read_text().splitlines()
        status, body = post_lead(relay, lead_body(7))
        assert status == 202
        got = wait_for(lambda: (r := crm(sandbox))["bitrix24"]["leads"] and r, what="the lead")
        assert [lead["ORIGIN_ID"] for lead in got["bitrix24"]["leads"]] == [body["lead"]]
        assert (tmp_path / ".kbsync" / "state.db").is_file()
    finally:
        if proc.poll() is None:
            for child in _descendants(proc.pid):
                os.kill(child, signal.SIGKILL)
            proc.kill()
        proc.wait()
