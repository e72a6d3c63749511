"""``kbsync dev``: the whole stack on one machine, for a first look and for editing kb/.

Without ``OPENAI_API_KEY`` it starts the sandbox (state in ``.kbsync/sandbox``) and
points everything at it; with a key it uses OpenAI. Then it syncs kb/ (documents the
API refuses are reported, and the stack starts with the rest), starts the relay with
the demo page (its JSON log in ``.kbsync/relay.log``, questions included, and a short
line per request in the terminal), and keeps kb/ synced while it runs: a watcher that
stops is started again, never taking the relay down with it. Each part is a child
process in its own process group (``kbsync._children``), so Ctrl-C reaches only this
supervisor, which stops the children in order (watcher, relay, sandbox) and exits 130.
"""

from __future__ import annotations

import os
import secrets
import signal
import socket
import sys
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from types import FrameType
from typing import NoReturn

from kbcore.defaults import LOOPBACK, RELAY_PORT
from kbcore.errors import KbsyncError
from kbcore.output import display_path, info, plural, result, warn
from kbsync import _devlog
from kbsync._children import Child, ignoring_signals, join, start, stop
from kbsync._leads import dev_sink_env
from kbsync._telegram import dev_telegram_env
from kbsync.ready import wait_http
from relay._config import read_env_file, secret_problem
from sandbox import DEFAULT_PORT as SANDBOX_PORT
from sync import FAILED_PREFIX

SANDBOX_KEY = "sk-kbsync-dev-sandbox"
_STARTUP_SECONDS = 60.0
RESTARTS = 3  # a watcher stopping this often ...
RESTART_WINDOW = 60.0  # ... within this many seconds is not started again


@dataclass(frozen=True)
class DevOptions:
    kb_dir: Path
    port: int = RELAY_PORT
    sandbox_port: int = SANDBOX_PORT
    state_dir: Path = Path(".kbsync")


class _Terminated(Exception):
    """SIGTERM arrived: stop like Ctrl-C, but it is a normal end (exit 0)."""


def dev(options: DevOptions) -> int:
    """Run sandbox (when needed), sync, relay and watcher until Ctrl-C or SIGTERM."""
    kb_dir = options.kb_dir.resolve()
    env = _base_env()
    use_sandbox = not env.get("OPENAI_API_KEY")
    _check_port(options.port, "the relay", "--port")
    if use_sandbox:
        _check_port(options.sandbox_port, "the sandbox", "--sandbox-port")
    options.state_dir.mkdir(parents=True, exist_ok=True)
    env["KB_DIR"] = str(kb_dir)
    env["RELAY_SECRET"] = relay_secret_for(env, options.state_dir)
    env["RELAY_DEMO"] = "1"
    if not env.get("LOG_QUESTIONS", "").strip():
        env["LOG_QUESTIONS"] = "1"  # so that kbsync gaps and report work on the demo

    children: list[Child] = []
    leads_lines: list[str] = []
    telegram_lines: list[str] = []  # the bot on the sandbox's Bot API fake
    previous = signal.signal(signal.SIGTERM, _raise_terminated)
    try:
        if use_sandbox:
            sandbox_url = f"http://{LOOPBACK}:{options.sandbox_port}"
            data = options.state_dir / "sandbox"
            log = options.state_dir / "sandbox.log"
            info(f"No OPENAI_API_KEY: using the local sandbox at {sandbox_url}/v1")
            info(f"  (its state is in {display_path(data)}, its log in {display_path(log)})")
            port = str(options.sandbox_port)
            args = [*_python("sandbox"), "--host", LOOPBACK, "--port", port, "--data", str(data)]
            sandbox = start("sandbox", args, env, log=log)
            children.append(sandbox)
            _wait_http(sandbox, f"{sandbox_url}/_sandbox/stats")
            env["OPENAI_API_KEY"] = SANDBOX_KEY
            env["OPENAI_BASE_URL"] = f"{sandbox_url}/v1"
            env.pop("VECTOR_STORE_ID", None)  # an id from OpenAI means nothing here
            leads_lines = dev_sink_env(sandbox_url, env)  # leads reach the CRM fakes
            telegram_lines = dev_telegram_env(sandbox_url, env)
        else:
            info(f"Using {env.get('OPENAI_BASE_URL') or 'OpenAI'} (OPENAI_API_KEY is set).")

        info(f"Syncing {display_path(kb_dir)} …")
        _first_sync(kb_dir, env)

        relay_url = f"http://{LOOPBACK}:{options.port}"
        relay_log = options.state_dir / "relay.log"
        # through kbsync: its relay has the Telegram bot plugged in (webhook, hand-off)
        relay_args = [*_kbsync(), "relay", "--host", LOOPBACK, "--port", str(options.port)]
        relay = start("relay", relay_args, env, log=relay_log, show=_devlog.human)
        children.append(relay)
        _wait_http(relay, f"{relay_url}/readyz", ready_only=True)
        watch_args = [*_kbsync(), "watch", "--kb", str(kb_dir), "--apply"]
        children.append(start("watch", watch_args, env))
        if telegram_lines:
            bot_args = [*_kbsync(), "telegram", "poll", "--kb", str(kb_dir)]
            bot_log = options.state_dir / "telegram.log"
            children.append(start("telegram bot", bot_args, env, log=bot_log))
        result(f"Open {relay_url}/")
        for line in telegram_lines:
            result(line)
        for line in second_terminal(env, use_sandbox):
            result(line)
        info(
            f"The relay's log (questions included) is {display_path(relay_log)}: "
            f"kbsync gaps {display_path(relay_log)} reads it."
        )
        for line in leads_lines:
            info(line)
        info("Edits to kb/ are synced as you save them. Press Ctrl-C to stop.")
        _supervise(children, lambda: start("watch", watch_args, env))
    except _Terminated:
        info("Stopping (SIGTERM) …")
        return 0
    finally:
        with ignoring_signals():
            stop(children)
        signal.signal(signal.SIGTERM, previous)


def _first_sync(kb_dir: Path, env: dict[str, str]) -> None:
    """Sync once before the relay starts. Documents the API refused are listed and the
    stack starts with the rest (the watcher sends them once they are fixed); any other
    failure stops ``kbsync dev``."""
    sync = start("sync", [*_kbsync(), "--kb", str(kb_dir), "--yes"], env, keep=True)
    code = sync.proc.wait()
    join(sync)
    if code == 0:
        return
    failed = [line for line in sync.kept if line.startswith(FAILED_PREFIX)]
    if not failed:
        raise KbsyncError(
            f"the first sync of {display_path(kb_dir)} failed (exit code {code}); "
            "fix what it says above and run kbsync dev again."
        )
    them = "it" if len(failed) == 1 else "them"
    warn(
        f"{plural(len(failed), 'document')} could not be synced (listed above); kbsync dev "
        f"starts with the rest. Fix or remove {them}: the watcher syncs each save."
    )


def second_terminal(env: Mapping[str, str], use_sandbox: bool) -> list[str]:
    """The lines to paste into another terminal so that ``kbsync`` there (gaps, report,
    eval, check) finds this stack: the command on PATH, and the sandbox's address."""
    lines = [
        "In another terminal, paste these lines to use kbsync with this stack:",
        f'  export PATH="{Path(sys.executable).parent}:$PATH"',
    ]
    if use_sandbox:
        lines.append(
            f"  export OPENAI_BASE_URL={env['OPENAI_BASE_URL']} OPENAI_API_KEY={SANDBOX_KEY}"
        )
    return lines


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
            probe.bind((LOOPBACK, port))
        except OSError:
            raise KbsyncError(
                f"port {port} (for {what}) is already in use: stop what uses it or pass {option} N."
            ) from None


def _python(module: str) -> list[str]:
    return [sys.executable, "-m", module]


def _kbsync() -> list[str]:
    # The console script may not be on PATH (a venv not activated): go through this Python.
    return [sys.executable, "-m", "kbsync"]


def _wait_http(child: Child, url: str, *, ready_only: bool = False) -> None:
    """Wait until ``url`` answers (with ``ready_only``: answers 2xx), or the child dies."""
    wait_http(
        url,
        name=child.name,
        exit_code=child.proc.poll,
        timeout=_STARTUP_SECONDS,
        ready_only=ready_only,
    )


def _supervise(children: list[Child], restart_watch: Callable[[], Child]) -> NoReturn:
    """Watch the children until one that the stack needs stops (then raise). A watcher
    that stops is started again, up to ``RESTARTS`` times in ``RESTART_WINDOW``."""
    stopped: list[float] = []
    while True:
        for index, child in enumerate(children):
            code = child.proc.poll()
            if code is None:
                continue
            if child.name != "watch":
                raise KbsyncError(
                    f"the {child.name} stopped unexpectedly (exit code {code}); "
                    "see its output above."
                )
            join(child)
            now = time.monotonic()
            stopped = [t for t in stopped if now - t < RESTART_WINDOW] + [now]
            if len(stopped) > RESTARTS:
                info(
                    f"the watcher stopped again (exit code {code}); edits are no longer "
                    "synced, the relay goes on. Fix what it said above, then restart kbsync dev."
                )
                del children[index]
                break
            info(f"the watcher stopped (exit code {code}); starting it again.")
            children[index] = restart_watch()
        time.sleep(0.25)


def _raise_terminated(signum: int, frame: FrameType | None) -> None:
    raise _Terminated
