"""The secret scanner finds what it should, masks it, and fails a leaking test."""

from __future__ import annotations

import base64
import logging
import os
import subprocess
import sys
import textwrap
from pathlib import Path
from typing import Any
from urllib.parse import quote

from litestar import Litestar, get
from litestar.testing import TestClient

from testing.sandbox import API_KEY
from testing.servers import ROOT
from tests._secrets import SecretScan
from tests.relay.conftest import SECRET

SECRETS = {"OPENAI_API_KEY": API_KEY, "RELAY_SECRET": SECRET}


def test_finds_each_form_and_masks_it() -> None:
    scan = SecretScan(SECRETS)
    scan.add("log", f"Authorization: Bearer {API_KEY}")
    scan.add("url", f"https://x.example/?key={quote(SECRET, safe='')}")
    scan.add("header", base64.b64encode(SECRET.encode()).decode())
    scan.add("json", b'{"secret": "' + SECRET.encode() + b'"}')
    scan.add("clean", "nothing to see: sk-test-kbsync-01234 is only a prefix")
    leaks = scan.leaks()
    assert [(leak.variable, leak.where) for leak in leaks] == [
        ("OPENAI_API_KEY", "log"),
        ("RELAY_SECRET", "url"),
        ("RELAY_SECRET", "header"),
        ("RELAY_SECRET", "json"),
    ]
    assert "Bearer [OPENAI_API_KEY]" in str(leaks[0])
    report = "\n".join(str(leak) for leak in leaks)
    assert API_KEY not in report
    assert SECRET not in report


def test_short_values_are_not_secrets() -> None:
    scan = SecretScan({"RELAY_SECRET": "abc"})
    scan.add("log", "abc abc abc")
    assert scan.leaks() == []


def test_the_fixture_sees_response_bodies(secret_scan: SecretScan) -> None:
    @get("/echo", sync_to_thread=False)
    def echo() -> dict[str, Any]:
        return {"oops": SECRET}

    with TestClient(Litestar([echo])) as http:
        assert http.get("/echo").status_code == 200
    leaks = secret_scan.leaks()
    assert [leak.where for leak in leaks] == ["response body of GET http://testserver.local/echo"]
    secret_scan.texts.clear()  # the leak was the point; let the teardown check pass


def test_the_fixture_sees_log_lines_printing_and_errors(tmp_path: Path) -> None:
    """A real pytest run over leaking tests: each one errors at teardown, masked."""
    (tmp_path / "conftest.py").write_text("from tests.conftest import secret_scan  # noqa: F401\n")
    (tmp_path / "test_leaky.py").write_text(
        textwrap.dedent(
            f"""
            import logging, os, sys
            from kbcore.errors import KbsyncError

            def test_logs_it():
                logging.getLogger("relay").info("starting with %s", os.environ["OPENAI_API_KEY"])

            def test_prints_it():
                print("secret is", {SECRET!r})

            def test_writes_a_server_log(tmp_path):
                (tmp_path / "relay-1.log").write_text("key {API_KEY}")

            def test_raises_it():
                try:
                    raise KbsyncError("bad key {API_KEY}")
                except KbsyncError:
                    pass

            def test_clean():
                logging.getLogger("relay").info("nothing secret")
                print("hello")
            """
        )
    )
    env = {**os.environ, "OPENAI_API_KEY": API_KEY, "PYTHONPATH": str(ROOT)}
    # Popen, not subprocess.run: the fixture watching this test would scan run()'s output.
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "pytest",
            "-p",
            "no:cacheprovider",
            "-q",
            "--show-capture=no",
            "--rootdir",
            str(tmp_path),
            str(tmp_path),
        ],
        cwd=tmp_path,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    out, _ = proc.communicate(timeout=120)
    output = out.decode(errors="replace")
    assert proc.returncode == 1, output
    assert "5 passed, 4 errors" in output, output
    assert "OPENAI_API_KEY found in captured log (call)" in output
    assert "RELAY_SECRET found in captured stdout (call)" in output
    assert "relay-1.log: ...key [OPENAI_API_KEY]..." in output
    assert "OPENAI_API_KEY found in KbsyncError message" in output
    assert API_KEY not in output
    assert SECRET not in output
    logging.getLogger("relay").info("the outer test stays clean")
