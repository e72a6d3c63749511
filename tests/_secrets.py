"""Find secret values (``OPENAI_API_KEY``, ``RELAY_SECRET``) in what a test captured.

``SecretScan`` collects text from every place a secret could escape to (log lines,
captured stdout/stderr, HTTP response bodies, CLI output, error messages, server log
files) and ``leaks()`` names each place that holds one. A reported leak never repeats
the secret: the excerpt shows ``[NAME]`` where the value was.

>>> scan = SecretScan({"RELAY_SECRET": "s3cret-value"})
>>> scan.add("log", "signed with s3cret-value")
>>> [leak.where for leak in scan.leaks()]
['log']
"""

from __future__ import annotations

import base64
import contextlib
import json
import os
from collections.abc import AsyncIterator, Iterable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import quote

import pytest

VARIABLES = ("OPENAI_API_KEY", "RELAY_SECRET")
MIN_LENGTH = 8  # shorter values would match ordinary text
_CONTEXT = 40


@dataclass(frozen=True)
class Leak:
    variable: str
    where: str
    excerpt: str

    def __str__(self) -> str:
        return f"{self.variable} found in {self.where}: ...{self.excerpt}..."


def variants(value: str) -> set[str]:
    """The value as it could appear in text: raw, JSON-escaped, URL-encoded, base64."""
    raw = value.encode()
    forms = {
        value,
        json.dumps(value)[1:-1],
        quote(value, safe=""),
        base64.b64encode(raw).decode().rstrip("="),
        base64.urlsafe_b64encode(raw).decode().rstrip("="),
    }
    return {form for form in forms if len(form) >= MIN_LENGTH}


def from_environ(environ: Mapping[str, str] | None = None) -> dict[str, str]:
    environ = os.environ if environ is None else environ
    return {name: environ[name] for name in VARIABLES if environ.get(name)}


class SecretScan:
    """Secrets by variable name, and the captured texts by where they came from."""

    def __init__(self, secrets: Mapping[str, str] | None = None) -> None:
        self.secrets: dict[str, set[str]] = {}
        self.texts: list[tuple[str, str]] = []
        for name, value in (secrets or {}).items():
            self.secret(name, value)

    def secret(self, variable: str, value: str | None) -> None:
        """Look for ``value`` too (ignored when empty or too short to be a real secret)."""
        if value and len(value) >= MIN_LENGTH:
            self.secrets.setdefault(variable, set()).add(value)

    def add(self, where: str, text: str | bytes | None) -> None:
        if not text:
            return
        if isinstance(text, bytes):
            text = text.decode("utf-8", errors="replace")
        self.texts.append((where, text))

    def add_files(self, paths: Iterable[Path]) -> None:
        for path in paths:
            try:
                self.add(f"file {path}", path.read_bytes())
            except OSError:
                continue

    def leaks(self) -> list[Leak]:
        found: list[Leak] = []
        forms = [
            (variable, form)
            for variable, values in self.secrets.items()
            for value in values
            for form in variants(value)
        ]
        for where, text in self.texts:
            for variable, form in forms:
                at = text.find(form)
                if at < 0:
                    continue
                before = text[max(0, at - _CONTEXT) : at]
                after = text[at + len(form) : at + len(form) + _CONTEXT]
                excerpt = f"{before}[{variable}]{after}"
                for _, other in forms:  # never print any secret in the report
                    excerpt = excerpt.replace(other, "[secret]")
                found.append(Leak(variable, where, excerpt.replace("\n", "\\n")))
                break
        return found

    def check(self) -> None:
        """Raise ``AssertionError`` listing every leak (the secrets themselves masked)."""
        leaks = self.leaks()
        if leaks:
            lines = "\n".join(f"  {leak}" for leak in leaks[:20])
            raise AssertionError(f"{len(leaks)} secret leak(s):\n{lines}")


def watch(scan: SecretScan, monkeypatch: pytest.MonkeyPatch) -> None:
    """Record what leaves the code under test while the test runs: HTTP response bodies
    (httpx, so Litestar's TestClient too), ``CliRunner`` and ``subprocess.run`` output,
    the message of every ``KbsyncError``; and learn the secrets every relay starts with."""
    import subprocess

    import httpx
    from click.testing import CliRunner

    from kbcore.errors import KbsyncError
    from relay._runtime import Runtime

    def tee(response: httpx.Response, chunk: bytes) -> None:
        scan.add(f"response body of {response.request.method} {response.request.url}", chunk)

    iter_raw, aiter_raw = httpx.Response.iter_raw, httpx.Response.aiter_raw

    def iter_raw_seen(self: httpx.Response, chunk_size: int | None = None) -> Iterator[bytes]:
        for chunk in iter_raw(self, chunk_size):
            tee(self, chunk)
            yield chunk

    async def aiter_raw_seen(
        self: httpx.Response, chunk_size: int | None = None
    ) -> AsyncIterator[bytes]:
        async for chunk in aiter_raw(self, chunk_size):
            tee(self, chunk)
            yield chunk

    invoke = CliRunner.invoke

    def invoke_seen(self: CliRunner, *args: Any, **kwargs: Any) -> Any:
        result = invoke(self, *args, **kwargs)
        scan.add("CliRunner output", result.output)
        with contextlib.suppress(ValueError):
            scan.add("CliRunner stderr", result.stderr)
        return result

    run = subprocess.run

    def run_seen(*args: Any, **kwargs: Any) -> Any:
        completed = run(*args, **kwargs)
        scan.add(f"output of {completed.args!r}", completed.stdout)
        scan.add(f"stderr of {completed.args!r}", completed.stderr)
        return completed

    error_init = KbsyncError.__init__

    def error_init_seen(self: KbsyncError, *args: Any) -> None:
        error_init(self, *args)
        scan.add(f"{type(self).__name__} message", " ".join(str(a) for a in args))

    runtime_init = Runtime.__init__

    def runtime_init_seen(self: Runtime, config: Any, **kwargs: Any) -> None:
        scan.secret("OPENAI_API_KEY", config.openai_api_key)
        scan.secret("RELAY_SECRET", config.relay_secret)
        runtime_init(self, config, **kwargs)

    monkeypatch.setattr(httpx.Response, "iter_raw", iter_raw_seen)
    monkeypatch.setattr(httpx.Response, "aiter_raw", aiter_raw_seen)
    monkeypatch.setattr(CliRunner, "invoke", invoke_seen)
    monkeypatch.setattr(subprocess, "run", run_seen)
    monkeypatch.setattr(KbsyncError, "__init__", error_init_seen)
    monkeypatch.setattr(Runtime, "__init__", runtime_init_seen)


def collect(scan: SecretScan, item: pytest.Item, tmp_path: Path) -> None:
    """At teardown: the secrets in the environment now, what pytest captured for the test's
    setup and call (stdout, stderr, log records), and every ``*.log`` under ``tmp_path``
    (the servers of ``testing/servers.py`` log there)."""
    for name, value in from_environ().items():
        scan.secret(name, value)
    # pytest files each phase's captured output here as it ends; there is no public reader.
    for when, key, content in getattr(item, "_report_sections", ()):
        scan.add(f"captured {key} ({when})", content)
    scan.add_files(tmp_path.rglob("*.log"))
