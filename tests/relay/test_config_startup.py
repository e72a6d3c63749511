"""Starting the relay (issue 24 item 5): without ``OPENAI_API_KEY`` it refuses in one
line naming the variable; a port in use is one line; it says where it listens."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
from pathlib import Path

from testing.kb import write_kb
from testing.sandbox import API_KEY
from testing.servers import free_port

RELAY = [sys.executable, "-m", "relay"]
SECRET = "startup-test-secret-0123456789abcdef"


def _env(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("OPENAI_", "RELAY_"))}
    return {**env, "PYTHONUNBUFFERED": "1", "RELAY_SECRET": SECRET, **extra}


def _run(cwd: Path, env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [*RELAY, *args], cwd=cwd, env=env, capture_output=True, text=True, timeout=60
    )


def test_no_api_key_is_one_line_naming_the_variable(tmp_path: Path) -> None:
    write_kb(tmp_path / "kb", {"a.md": "alpha"})
    done = _run(tmp_path, _env(), "--port", str(free_port()))
    assert done.returncode == 1
    assert done.stdout == ""
    assert done.stderr == (
        "error: OPENAI_API_KEY is not set; export your key, or point OPENAI_BASE_URL at a "
        "sandbox (kbsync sandbox) with any key.\n"
    )


def test_a_port_in_use_is_one_line(tmp_path: Path) -> None:
    write_kb(tmp_path / "kb", {"a.md": "alpha"})
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        done = _run(tmp_path, _env(OPENAI_API_KEY=API_KEY), "--port", str(port))
    assert done.returncode == 1
    assert done.stderr == (
        f"error: Cannot listen on 127.0.0.1:{port} (Address already in use): stop what uses "
        "the port, or pass --port N (or set PORT).\n"
    )


def test_it_says_where_it_listens_and_ctrl_c_is_a_normal_end(tmp_path: Path) -> None:
    write_kb(tmp_path / "kb", {"a.md": "alpha"})
    port = free_port()
    proc = subprocess.Popen(
        [*RELAY, "--port", str(port)],
        cwd=tmp_path,
        env=_env(OPENAI_API_KEY=API_KEY, OPENAI_BASE_URL="http://127.0.0.1:9/v1"),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert proc.stderr is not None
        listening = f"Relay listening on http://127.0.0.1:{port}/ (Ctrl-C stops)."
        seen = []
        for line in proc.stderr:
            seen.append(line.rstrip("\n"))
            if line.rstrip("\n") == listening:
                break
        assert seen[-1] == listening, seen
        proc.send_signal(signal.SIGINT)
        rest = proc.stderr.read()
        assert proc.wait(timeout=30) == 0, rest
        assert "Traceback" not in rest
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
