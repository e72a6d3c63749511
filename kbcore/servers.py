"""Start real servers (sandbox, relay, nginx, …) as subprocesses on free loopback ports."""

from __future__ import annotations

import grp
import os
import pwd
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


def wait_http(
    url: str, *, timeout: float = 20.0, proc: subprocess.Popen[bytes] | None = None
) -> None:
    deadline = time.monotonic() + timeout
    last: Exception | None = None
    while time.monotonic() < deadline:
        if proc is not None and proc.poll() is not None:
            raise RuntimeError(f"server exited with {proc.returncode} before {url} answered")
        try:
            with urllib.request.urlopen(url, timeout=2) as response:
                if response.status < 500:
                    return
        except urllib.error.HTTPError as error:
            if error.code < 500:
                return
            last = error
        except OSError as error:
            last = error
        time.sleep(0.05)
    raise RuntimeError(f"{url} did not answer within {timeout} s: {last}")


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
) -> Iterator[Server]:
    full_env = {**os.environ, "PYTHONUNBUFFERED": "1", **(env or {})}
    with run_command(
        [sys.executable, *args], port=port, ready_path=ready_path, log=log, env=full_env, cwd=cwd
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
) -> Iterator[Server]:
    """Start ``command`` (its output to ``output``, else ``log``), wait for ``ready_path``,
    and stop it afterwards; ``env=None`` inherits the environment."""
    with (output or log).open("wb") as sink:
        proc = subprocess.Popen(
            list(command), stdout=sink, stderr=subprocess.STDOUT, env=env, cwd=cwd
        )
        server = Server(proc, port, log)
        try:
            wait_http(server.url + ready_path, proc=proc)
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
) -> Iterator[Server]:
    """``python -m relay`` on a loopback port, ready once ``ready_path`` answers."""
    port = port or free_port()
    args = ["-m", "relay", "--host", "127.0.0.1", "--port", str(port), *extra_args]
    with run_server(args, port=port, ready_path=ready_path, log=log, env=env, cwd=cwd) as server:
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
