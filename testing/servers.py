"""Start real servers (sandbox, relay, nginx, …) as subprocesses on free loopback ports."""

from __future__ import annotations

import grp
import os
import pwd
import shutil
import socket
import subprocess
import sys
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from kbsync.ready import wait_http
from testing.waiting import wait_for

ROOT = Path(__file__).resolve().parent.parent


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


@dataclass
class Server:
    proc: subprocess.Popen[bytes]
    port: int
    log: Path

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def output(self) -> str:
        return self.log.read_text(errors="replace")


@contextmanager
def run_server(
    args: Sequence[str],
    *,
    port: int,
    ready_path: str,
    log: Path,
    env: dict[str, str] | None = None,
    cwd: Path = ROOT,
    ready_only: bool = False,
    timeout: float = 20.0,
) -> Iterator[Server]:
    """``python ARGS`` with ``env`` over this environment (unbuffered output)."""
    full_env = {**os.environ, "PYTHONUNBUFFERED": "1", **(env or {})}
    command = [sys.executable, *args]
    with run_command(
        command,
        port=port,
        ready_path=ready_path,
        log=log,
        env=full_env,
        cwd=cwd,
        ready_only=ready_only,
        timeout=timeout,
        name=" ".join(["python", *args[:2]]),
    ) as server:
        yield server


@contextmanager
def run_command(
    command: Sequence[str],
    *,
    port: int,
    ready_path: str,
    log: Path,
    output: Path | None = None,
    env: dict[str, str] | None = None,
    cwd: Path | None = None,
    ready_only: bool = False,
    timeout: float = 20.0,
    name: str | None = None,
) -> Iterator[Server]:
    """Start ``command`` (its output to ``output``, else ``log``), wait for ``ready_path``
    (with ``ready_only``, for a 2xx from it), and stop it afterwards; ``env=None``
    inherits the environment."""
    with (output or log).open("wb") as sink:
        proc = subprocess.Popen(
            list(command), stdout=sink, stderr=subprocess.STDOUT, env=env, cwd=cwd
        )
        server = Server(proc, port, log)
        try:
            wait_http(
                server.url + ready_path,
                name=name or Path(command[0]).name,
                exit_code=proc.poll,
                timeout=timeout,
                ready_only=ready_only,
                output=str(output or log),
            )
            yield server
        finally:
            proc.terminate()
            try:
                proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()


@contextmanager
def sandbox_server(
    log: Path, data_dir: Path | None = None, port: int | None = None
) -> Iterator[Server]:
    port = port or free_port()
    args = ["-m", "sandbox", "--host", "127.0.0.1", "--port", str(port)]
    if data_dir is not None:
        args += ["--data", str(data_dir)]
    with run_server(args, port=port, ready_path="/_sandbox/stats", log=log) as server:
        yield server


@contextmanager
def relay_server(
    log: Path,
    env: dict[str, str],
    *,
    port: int | None = None,
    ready_path: str = "/readyz",
    cwd: Path = ROOT,
    extra_args: Sequence[str] = (),
    ready_only: bool = False,
    timeout: float = 20.0,
) -> Iterator[Server]:
    """``python -m relay`` on a loopback port, ready once ``ready_path`` answers (with
    ``ready_only``, answers 2xx: ``/readyz`` is 503 until the vector store is found)."""
    port = port or free_port()
    args = ["-m", "relay", "--host", "127.0.0.1", "--port", str(port), *extra_args]
    with run_server(
        args,
        port=port,
        ready_path=ready_path,
        log=log,
        env=env,
        cwd=cwd,
        ready_only=ready_only,
        timeout=timeout,
    ) as server:
        yield server


def nginx_config(
    prefix: Path, http: str, *, worker_connections: int = 64, access_log: str = "off"
) -> Path:
    """Write ``prefix/nginx.conf``: an nginx that keeps everything under ``prefix`` and
    serves the ``http`` block's contents (upstreams, servers); returns its path."""
    user = ""
    if os.geteuid() == 0:  # workers would drop to nobody, who cannot enter a private tmp dir
        user = f"user {pwd.getpwuid(0).pw_name} {grp.getgrgid(0).gr_name};"
    temp = "\n".join(
        f"    {kind}_temp_path {prefix / kind};"
        for kind in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi")
    )
    conf = prefix / "nginx.conf"
    conf.write_text(
        f"""{user}
worker_processes 1;
events {{ worker_connections {worker_connections}; }}
http {{
    access_log {access_log};
{temp}
{http}
}}
"""
    )
    return conf


def nginx_command(binary: str, prefix: Path, conf: Path, log: Path, *globals_: str) -> list[str]:
    """The command that runs ``conf`` in the foreground, its error log at ``log``."""
    directives = " ".join(["daemon off;", f"pid {prefix / 'nginx.pid'};", *globals_])
    return [binary, "-p", f"{prefix}/", "-e", str(log), "-c", str(conf), "-g", directives]


def nginx_binary() -> str | None:
    """Debian's nginx (``/usr/sbin`` is not on every user's PATH), or ``None``."""
    binary = shutil.which("nginx") or "/usr/sbin/nginx"
    return binary if Path(binary).exists() else None


@contextmanager
def redis_server(binary: str, folder: Path) -> Iterator[str]:
    """A throwaway ``redis-server`` (no persistence) on a free loopback port; its URL.
    It runs in ``folder`` and logs to ``folder/redis.log``."""
    port = free_port()
    command = [
        binary,
        "--port",
        str(port),
        "--bind",
        "127.0.0.1",
        "--save",
        "",
        "--appendonly",
        "no",
    ]
    with (folder / "redis.log").open("wb") as log:
        proc = subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT, cwd=folder)
        try:
            wait_for(lambda: _accepts(port), timeout=10, what=f"redis-server (see {log.name})")
            yield f"redis://127.0.0.1:{port}/0"
        finally:
            proc.terminate()
            proc.wait(timeout=10)


def _accepts(port: int) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=1):
            return True
    except OSError:
        return False
