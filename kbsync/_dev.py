"""``kbsync dev``: the whole stack on one machine, for a first look and for editing kb/.

Without ``OPENAI_API_KEY`` it starts the sandbox (state in ``.kbsync/sandbox``) and
points everything at it; with a key it uses OpenAI. Then it syncs kb/, starts the
relay with the demo page, and keeps kb/ synced while it runs. Each part is a child
process in its own process group, so Ctrl-C reaches only this supervisor, which
stops the children in order (watcher, relay, sandbox).
"""

from __future__ import annotations

import os
import secrets
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from types import FrameType
from typing import IO, NoReturn

from kbcore.errors import KbsyncError
from kbcore.output import display_path, info, result
from kbsync.ready import wait_http
from relay._config import read_env_file, secret_problem

SANDBOX_KEY = "sk-kbsync-dev-sandbox"
_STARTUP_SECONDS = 60.0
_STOP_SECONDS = 10.0
_LOOPBACK = "127.0.0.1"


@dataclass(frozen=True)
class DevOptions:
    kb_dir: Path
    port: int = 8000
    sandbox_port: int = 8787
    state_dir: Path = Path(".kbsync")


class _Terminated(Exception):
    """SIGTERM arrived: stop like Ctrl-C, but it is a normal end (exit 0)."""


@dataclass
class _Child:
    name: str
    proc: subprocess.Popen[bytes]
    pump: threading.Thread | None = field(default=None)


def dev(options: DevOptions) -> int:
    """Run sandbox (when needed), sync, relay and watcher until Ctrl-C or SIGTERM."""
    kb_dir = options.kb_dir.resolve()
    if not (kb_dir / "instructions.md").is_file():
        raise KbsyncError(
            f"{display_path(options.kb_dir)}/instructions.md not found: "
            "run kbsync dev from the repository root, or pass --kb DIR."
        )
    env = _base_env()
    use_sandbox = not env.get("OPENAI_API_KEY")
    _check_port(options.port, "the relay", "--port")
    if use_sandbox:
        _check_port(options.sandbox_port, "the sandbox", "--sandbox-port")
    options.state_dir.mkdir(parents=True, exist_ok=True)
    env["KB_DIR"] = str(kb_dir)
    env["RELAY_SECRET"] = relay_secret_for(env, options.state_dir)
    env["RELAY_DEMO"] = "1"

    children: list[_Child] = []
    previous = signal.signal(signal.SIGTERM, _raise_terminated)
    try:
        if use_sandbox:
            sandbox_url = f"http://{_LOOPBACK}:{options.sandbox_port}"
            data = options.state_dir / "sandbox"
            log = options.state_dir / "sandbox.log"
            info(f"No OPENAI_API_KEY: using the local sandbox at {sandbox_url}/v1")
            info(f"  (its state is in {display_path(data)}, its log in {display_path(log)})")
            port = str(options.sandbox_port)
            args = [*_python("sandbox"), "--host", _LOOPBACK, "--port", port, "--data", str(data)]
            sandbox = _start("sandbox", args, env, log=log)
            children.append(sandbox)
            _wait_http(sandbox, f"{sandbox_url}/_sandbox/stats")
            env["OPENAI_API_KEY"] = SANDBOX_KEY
            env["OPENAI_BASE_URL"] = f"{sandbox_url}/v1"
            env.pop("VECTOR_STORE_ID", None)  # an id from OpenAI means nothing here
        else:
            info(f"Using {env.get('OPENAI_BASE_URL') or 'OpenAI'} (OPENAI_API_KEY is set).")

        info(f"Syncing {display_path(kb_dir)} …")
        sync = _start("sync", [*_kbsync(), "--kb", str(kb_dir), "--yes"], env)
        children.append(sync)
        code = sync.proc.wait()
        _join(sync)
        children.remove(sync)
        if code != 0:
            raise KbsyncError(
                f"the first sync of {display_path(kb_dir)} failed (exit code {code}); "
                "fix what it says above and run kbsync dev again."
            )

        relay_url = f"http://{_LOOPBACK}:{options.port}"
        relay = _start(
            "relay", [*_python("relay"), "--host", _LOOPBACK, "--port", str(options.port)], env
        )
        children.append(relay)
        _wait_http(relay, f"{relay_url}/readyz", ready_only=True)
        children.append(_start("watch", [*_kbsync(), "watch", "--kb", str(kb_dir), "--apply"], env))
        result(f"Open {relay_url}/")
        info("Edits to kb/ are synced as you save them. Press Ctrl-C to stop.")
        _supervise(children)
    except _Terminated:
        info("Stopping (SIGTERM) …")
        return 0
    finally:
        with _ignoring_signals():
            _stop(children)
        signal.signal(signal.SIGTERM, previous)


def relay_secret_for(env: Mapping[str, str], state_dir: Path) -> str:
    """``RELAY_SECRET`` if it is strong enough to start the relay, else the development
    secret kept in ``state_dir`` (a short or placeholder secret from a copied example
    file is replaced here rather than stopping ``kbsync dev``)."""
    given = env.get("RELAY_SECRET", "").strip()
    if given:
        problem = secret_problem("RELAY_SECRET", given)
        if problem is None:
            return given
        info(f"{problem.split(';')[0]}: kbsync dev uses its own development secret instead.")
    return relay_secret(state_dir)


def relay_secret(state_dir: Path) -> str:
    """The relay's signing secret for development, kept so chats survive restarts."""
    path = state_dir / "relay-secret"
    if path.is_file():
        secret = path.read_text(encoding="utf-8").strip()
        if secret:
            return secret
    secret = secrets.token_urlsafe(32)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as file:
        file.write(secret + "\n")
    return secret


def _base_env() -> dict[str, str]:
    """The environment for the children: ``.env`` under os.environ. Only ``kbsync dev``
    reads ``.env``; its children (the relay among them) get the values from here."""
    dotenv = Path(".env")
    values = read_env_file(dotenv) if dotenv.is_file() else {}
    return {**values, **os.environ, "PYTHONUNBUFFERED": "1"}


def _check_port(port: int, what: str, option: str) -> None:
    with socket.socket() as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind((_LOOPBACK, port))
        except OSError:
            raise KbsyncError(
                f"port {port} (for {what}) is already in use: stop what uses it or pass {option} N."
            ) from None


def _python(module: str) -> list[str]:
    return [sys.executable, "-m", module]


def _kbsync() -> list[str]:
    # The console script may not be on PATH (a venv not activated): go through this Python.
    return [sys.executable, "-m", "kbsync"]


def _start(name: str, args: Sequence[str], env: dict[str, str], log: Path | None = None) -> _Child:
    if log is not None:
        with log.open("ab") as sink:
            proc = subprocess.Popen(
                args, env=env, stdout=sink, stderr=subprocess.STDOUT, start_new_session=True
            )
        return _Child(name, proc)
    proc = subprocess.Popen(
        args, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, start_new_session=True
    )
    assert proc.stdout is not None
    pump = threading.Thread(target=_pump, args=(name, proc.stdout), daemon=True)
    pump.start()
    return _Child(name, proc, pump)


def _pump(name: str, stream: IO[bytes]) -> None:
    for line in stream:
        info(f"[{name}] {line.decode(errors='replace').rstrip()}")


def _wait_http(child: _Child, url: str, *, ready_only: bool = False) -> None:
    """Wait until ``url`` answers (with ``ready_only``: answers 2xx), or the child dies."""
    wait_http(
        url,
        name=child.name,
        exit_code=child.proc.poll,
        timeout=_STARTUP_SECONDS,
        ready_only=ready_only,
    )


def _supervise(children: list[_Child]) -> NoReturn:
    while True:
        for child in children:
            code = child.proc.poll()
            if code is not None:
                raise KbsyncError(
                    f"the {child.name} stopped unexpectedly (exit code {code}); "
                    "see its output above."
                )
        time.sleep(0.25)


def _stop(children: list[_Child]) -> None:
    for child in reversed(children):
        if child.proc.poll() is None:
            child.proc.terminate()
            try:
                child.proc.wait(timeout=_STOP_SECONDS)
            except subprocess.TimeoutExpired:
                child.proc.kill()
                child.proc.wait()
        _join(child)


def _join(child: _Child) -> None:
    if child.pump is not None:
        child.pump.join(timeout=_STOP_SECONDS)


@contextmanager
def _ignoring_signals() -> Iterator[None]:
    """A second Ctrl-C (or SIGTERM) while stopping must not leave children running."""
    previous = {sig: signal.signal(sig, signal.SIG_IGN) for sig in (signal.SIGINT, signal.SIGTERM)}
    try:
        yield
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)


def _raise_terminated(signum: int, frame: FrameType | None) -> None:
    raise _Terminated
