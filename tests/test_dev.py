"""``kbsync dev``, driven as a person would: start it, chat, edit kb/, press Ctrl-C."""

from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import stat
import subprocess
import sys
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import pytest

from kbsync._dev import relay_secret
from kbsync.ready import wait_http
from testing.kb import write_kb
from testing.sandbox import API_KEY, requests_log
from testing.servers import ROOT, Server, free_port
from testing.waiting import wait_for
from tests.conftest import need
from tests.deploy._sse import answer, chat

KBSYNC = [sys.executable, "-m", "kbsync"]

POOL_BEFORE = "The swimming pool opens at seven in the morning and closes at ten in the evening."
POOL_AFTER = "Since the renovation the swimming pool opens at half past six in the morning."


def _write_kb(root: Path, extra: Mapping[str, str | bytes] | None = None) -> Path:
    files: dict[str, str | bytes] = {
        "pool.md": f"# Pool\n\n{POOL_BEFORE}\n",
        "sauna.md": "# Sauna\n\nThe sauna is closed on Mondays.\n",
        **(extra or {}),
    }
    instructions = "Answer from the documents.\n"
    return write_kb(root / "kb", files, settings="name: dev-test\n", instructions=instructions)


def _env(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("OPENAI_", "RELAY_"))}
    env.pop("KB_DIR", None)
    return {**env, "PYTHONUNBUFFERED": "1", **extra}


def _descendants(pid: int) -> set[int]:
    parents: dict[int, int] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat_line = (entry / "stat").read_text()
        except OSError:
            continue
        parents[int(entry.name)] = int(stat_line.rsplit(")", 1)[1].split()[1])
    found: set[int] = set()
    frontier = {pid}
    while frontier:
        frontier = {child for child, parent in parents.items() if parent in frontier} - found
        found |= frontier
    return found


def _running(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"


@dataclass(frozen=True)
class _Dev:
    proc: subprocess.Popen[bytes]
    port: int
    sandbox_port: int
    root: Path

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"


@contextmanager
def _running_dev(
    root: Path, env: dict[str, str], extra: Mapping[str, str | bytes] | None = None
) -> Iterator[_Dev]:
    if not Path("/proc/self/stat").exists():
        pytest.skip("needs /proc to see the child processes")
    _write_kb(root, extra)
    port, sandbox_port = free_port(), free_port()
    with (root / "dev.out").open("wb") as stdout, (root / "dev.err").open("wb") as stderr:
        proc = subprocess.Popen(
            [*KBSYNC, "dev", "--port", str(port), "--sandbox-port", str(sandbox_port)],
            cwd=root,
            env=env,
            stdout=stdout,
            stderr=stderr,
        )
    try:
        url = f"http://127.0.0.1:{port}/readyz"
        wait_http(url, name="kbsync dev", exit_code=proc.poll, timeout=90, output=str(root))
        # "Open …" is printed once every child, the watcher included, has been started,
        # then the lines for a second terminal, the PATH line among them.
        out = root / "dev.out"
        wait_for(
            lambda: "export PATH=" in out.read_text() or proc.poll() is not None,
            timeout=30,
            what="kbsync dev to open",
        )
        assert proc.poll() is None, "kbsync dev stopped before it opened"
        yield _Dev(proc, port, sandbox_port, root)
    finally:
        if proc.poll() is None:
            for child in _descendants(proc.pid):
                os.kill(child, signal.SIGKILL)
            proc.kill()
        proc.wait()


@pytest.fixture
def dev_stack(tmp_path: Path) -> Iterator[_Dev]:
    """``kbsync dev`` on a fresh machine: no OPENAI_API_KEY, so on its own sandbox."""
    # RATE_LIMIT reaches the relay through kbsync dev's environment; off for polling.
    with _running_dev(tmp_path, _env(RATE_LIMIT="off")) as running:
        yield running


@pytest.mark.slow
def test_dev_runs_the_whole_stack_and_stops_cleanly(dev_stack: _Dev) -> None:
    proc, port, root, url = dev_stack.proc, dev_stack.port, dev_stack.root, dev_stack.url
    base_url = f"http://127.0.0.1:{dev_stack.sandbox_port}/v1"
    wait_for(lambda: "OPENAI_BASE_URL" in (root / "dev.out").read_text(), what="the exports")
    lines = (root / "dev.out").read_text().splitlines()
    assert lines[0] == f"Open {url}/"
    assert lines[-3:] == [
        "In another terminal, paste these lines to use kbsync with this stack:",
        f'  export PATH="{Path(sys.executable).parent}:$PATH"',
        f"  export OPENAI_BASE_URL={base_url} OPENAI_API_KEY=sk-kbsync-dev-sandbox",
    ]

    items = list(chat(url, "When does the swimming pool open?"))
    kinds = [item.kind for item in items]
    assert kinds[0] == "conversation"
    assert kinds[-1] == "done"
    assert "seven in the morning" in "".join(i.json()["text"] for i in items if i.kind == "delta")

    # Issue 24 items 4 and 9: a short line per request in the terminal, the JSON (with the
    # question) in .kbsync/relay.log, which kbsync gaps reads; the exports work elsewhere.
    err = root / "dev.err"
    wait_for(lambda: "[relay] POST /api/chat 200 in " in err.read_text(), what="the chat line")
    relay_lines = [line for line in err.read_text().splitlines() if line.startswith("[relay]")]
    assert not [line for line in relay_lines if "{" in line], relay_lines
    chat_line = next(line for line in relay_lines if "POST /api/chat" in line)
    assert chat_line.endswith(("cited", "1 source cited")), chat_line
    records = [
        json.loads(line)
        for line in (root / ".kbsync" / "relay.log").read_text().splitlines()
        if line.startswith("{")
    ]
    chats = [r for r in records if r.get("route") == "/api/chat"]
    assert [c["question"] for c in chats] == ["When does the swimming pool open?"]
    elsewhere = {**_env(), "OPENAI_BASE_URL": base_url, "OPENAI_API_KEY": "sk-kbsync-dev-sandbox"}
    gaps = subprocess.run(
        [*KBSYNC, "gaps", ".kbsync/relay.log"],
        cwd=root,
        env=elsewhere,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert gaps.returncode == 0, gaps.stderr
    report = subprocess.run(
        [*KBSYNC, "report", "--json", ".kbsync/relay.log"],
        cwd=root,
        env=elsewhere,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert report.returncode == 0, report.stderr
    assert report.stdout.startswith("{")
    second = subprocess.run(
        [*KBSYNC, "--dry-run"], cwd=root, env=elsewhere, capture_output=True, text=True, timeout=60
    )
    assert second.returncode == 0, second.stderr
    assert second.stdout.splitlines()[-1] == "No changes: the vector store is in sync with kb/."

    log = root / "dev.err"
    applied = log.read_text().count("[watch] Applied")
    (root / "kb" / "files" / "pool.md").write_text(f"# Pool\n\n{POOL_AFTER}\n")
    wait_for(
        lambda: log.read_text().count("[watch] Applied") > applied,
        timeout=30,
        what=f"the watcher to apply the edit; log:\n{log.read_text()}",
    )
    text = answer(url, "When does the swimming pool open since the renovation?")
    assert "half past six" in text, log.read_text()

    # An edit to the instructions applies to the next question (the relay reloads them).
    (root / "kb" / "instructions.md").write_text("Answer from the documents, Captain.\n")

    def asked_with_new_instructions() -> bool:
        answer(url, "Is the sauna open on Mondays?")
        return "Captain" in _last_instructions(dev_stack)

    wait_for(asked_with_new_instructions, timeout=20, what="the relay to reload instructions")

    state = root / ".kbsync"
    secret = state / "relay-secret"
    assert stat.S_IMODE(secret.stat().st_mode) == 0o600
    assert (state / "sandbox").is_dir()

    children = _descendants(proc.pid)
    assert len(children) >= 3  # sandbox, relay, watcher
    proc.send_signal(signal.SIGINT)
    assert proc.wait(timeout=30) == 130  # Ctrl-C (make dev treats it as a normal end)
    wait_for(lambda: not any(_running(pid) for pid in children), timeout=5, what="children")
    with socket.socket() as probe:
        # Free again (REUSEADDR: closed connections may linger in TIME_WAIT; a listener may not).
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        probe.bind(("127.0.0.1", port))


def _last_instructions(dev: _Dev) -> str:
    """The instructions of the last request the relay sent to the sandbox."""
    requests = requests_log(f"http://127.0.0.1:{dev.sandbox_port}", 50)
    bodies = [r["body"] for r in requests if r["path"] == "/v1/responses"]
    return str(bodies[-1].get("instructions", "")) if bodies else ""


@pytest.mark.slow
def test_dev_stops_on_sigterm_with_exit_0(dev_stack: _Dev) -> None:
    proc = dev_stack.proc
    children = _descendants(proc.pid)
    proc.terminate()
    assert proc.wait(timeout=30) == 0
    wait_for(lambda: not any(_running(pid) for pid in children), timeout=5, what="children")


@pytest.mark.slow
def test_dev_with_a_key_uses_that_api_and_starts_no_sandbox(
    sandbox: Server, tmp_path: Path
) -> None:
    env = _env(OPENAI_API_KEY=API_KEY, OPENAI_BASE_URL=sandbox.url + "/v1")
    with _running_dev(tmp_path, env) as dev:
        text = answer(dev.url, "When does the swimming pool open?")
        assert "seven in the morning" in text
        assert len(_descendants(dev.proc.pid)) == 2  # relay and watcher
        assert not (tmp_path / ".kbsync" / "sandbox").exists()
        dev.proc.terminate()
        assert dev.proc.wait(timeout=30) == 0
    err = (tmp_path / "dev.err").read_text()
    assert f"Using {sandbox.url}/v1 (OPENAI_API_KEY is set)." in err


def _dev_failing(
    cwd: Path, *args: str, api_key: str | None = None
) -> subprocess.CompletedProcess[str]:
    """``kbsync dev ARGS`` in ``cwd``, expected to stop at start-up (captured, text)."""
    env = _env(OPENAI_API_KEY=api_key) if api_key is not None else _env()
    return subprocess.run(
        [*KBSYNC, "dev", *args], cwd=cwd, env=env, capture_output=True, text=True, timeout=60
    )


def test_a_taken_port_is_one_clear_line(tmp_path: Path) -> None:
    kb = _write_kb(tmp_path)
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        done = _dev_failing(
            tmp_path, "--kb", str(kb), "--port", str(port), api_key="sk-test-unused"
        )
    assert done.returncode == 1
    assert done.stderr == (
        f"error: port {port} (for the relay) is already in use: stop what uses it "
        "or pass --port N.\n"
    )
    assert not (tmp_path / ".kbsync").exists()


def test_a_taken_sandbox_port_is_one_clear_line(tmp_path: Path) -> None:
    kb = _write_kb(tmp_path)
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        ports = ["--port", str(free_port()), "--sandbox-port", str(port)]
        done = _dev_failing(tmp_path, "--kb", str(kb), *ports)
    assert done.returncode == 1
    assert done.stderr == (
        f"error: port {port} (for the sandbox) is already in use: stop what uses it "
        "or pass --sandbox-port N.\n"
    )


def test_a_missing_kb_is_one_clear_line(tmp_path: Path) -> None:
    done = _dev_failing(tmp_path, "--port", str(free_port()))
    assert done.returncode == 1
    assert done.stderr == (
        "error: kb: the knowledge base folder does not exist; pass --kb DIR or set KB_DIR.\n"
    )


def test_the_relay_secret_is_kept_private_and_reused(tmp_path: Path) -> None:
    first = relay_secret(tmp_path)
    assert len(first) >= 32
    assert relay_secret(tmp_path) == first
    assert stat.S_IMODE((tmp_path / "relay-secret").stat().st_mode) == 0o600


@pytest.mark.slow
def test_dev_starts_without_a_refused_document_and_outlives_its_watcher(tmp_path: Path) -> None:
    """Issue 24 items 1 and 2: a document the API refuses does not stop kbsync dev from
    starting, and a watcher that dies is started again while the relay goes on."""
    extra = {"scan.pdf": b"%PDF-1.4 not really"}
    with _running_dev(tmp_path, _env(RATE_LIMIT="off"), extra) as dev:
        err = tmp_path / "dev.err"
        lines = err.read_text().splitlines()
        failed = [line for line in lines if line.startswith("[sync] failed: ")]
        assert len(failed) == 1
        assert failed[0].startswith("[sync] failed: scan.pdf: processing failed: invalid_file: ")
        assert (
            "warning: 1 document could not be synced (listed above); kbsync dev starts with "
            "the rest. Fix or remove it: the watcher syncs each save."
        ) in lines
        assert "seven in the morning" in answer(dev.url, "When does the swimming pool open?")

        (watcher,) = [pid for pid in _descendants(dev.proc.pid) if _is_watcher(pid)]
        os.kill(watcher, signal.SIGKILL)
        wait_for(
            lambda: "the watcher stopped (exit code -9); starting it again." in err.read_text(),
            timeout=30,
            what="the watcher to be started again",
        )
        assert dev.proc.poll() is None
        applied = err.read_text().count("[watch] Applied")
        (tmp_path / "kb" / "files" / "pool.md").write_text(f"# Pool\n\n{POOL_AFTER}\n")
        wait_for(
            lambda: err.read_text().count("[watch] Applied") > applied,
            timeout=60,
            what="the new watcher to apply an edit",
        )
        assert "half past six" in answer(dev.url, "When does the pool open since the renovation?")


def _is_watcher(pid: int) -> bool:
    try:
        args = Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")
    except OSError:
        return False
    return b"watch" in args and b"--apply" in args


@pytest.mark.parametrize(("code", "make_code", "says_error"), [(130, 0, False), (1, 2, True)])
def test_make_dev_ends_quietly_on_ctrl_c_only(
    tmp_path: Path, code: int, make_code: int, says_error: bool
) -> None:
    """Issue 24 item 9: Ctrl-C (kbsync dev's 130) is no ``make: *** Error 130``; any other
    failure of kbsync dev is still make's error."""
    need(shutil.which("make") is not None, "make is not installed")
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    fake = bin_dir / "kbsync"
    fake.write_text(f"#!/bin/sh\nexit {code}\n")
    fake.chmod(0o755)
    stamp = tmp_path / "installed"
    stamp.touch()
    done = subprocess.run(
        ["make", "-C", str(ROOT), "dev", f"BIN={bin_dir}", f"STAMP={stamp}"],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == make_code, done.stdout + done.stderr
    assert ("Error" in done.stderr) is says_error, done.stderr
