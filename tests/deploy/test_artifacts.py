"""The Dockerfile and the systemd unit. Docker cannot run here: what can be run without
it is run for real (the health-check command, a wheel built from the build context)."""

from __future__ import annotations

import fnmatch
import importlib.util
import json
import os
import re
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

from testing.servers import ROOT, free_port, relay_server
from tests.conftest import need

DEPLOY = ROOT / "deploy"


def _dockerfile() -> str:
    return (DEPLOY / "Dockerfile").read_text()


def _instruction(name: str) -> list[str]:
    """The logical lines (continuations joined) of one Dockerfile instruction."""
    logical = re.sub(r"\\\n\s*", " ", _dockerfile())
    return [line for line in logical.splitlines() if line.startswith(name + " ")]


def test_the_image_runs_the_relay_as_a_non_root_user() -> None:
    users = _instruction("USER")
    assert users
    assert users[-1].split()[1] not in {"root", "0"}
    assert json.loads(_instruction("CMD")[-1].removeprefix("CMD ")) == ["kbsync", "relay"]


def test_the_health_check_probes_healthz(tmp_path: Path) -> None:
    [healthcheck] = _instruction("HEALTHCHECK")
    command = json.loads(healthcheck.split(" CMD ", 1)[1])
    assert command[0] == "python"
    assert "/healthz" in command[-1]
    kb = tmp_path / "kb"
    kb.mkdir()
    (kb / "instructions.md").write_text("Answer briefly.\n")
    port = free_port()
    env = {
        "KB_DIR": str(kb),
        "OPENAI_API_KEY": "sk-test",
        "RELAY_SECRET": "artifact-test-secret-0123456789abcdef",
    }
    with relay_server(tmp_path / "relay.log", env, port=port, ready_path="/healthz", cwd=tmp_path):
        alive = subprocess.run(
            [sys.executable, *command[1:]], env={**os.environ, "PORT": str(port)}, timeout=30
        )
        assert alive.returncode == 0
    dead = subprocess.run(
        [sys.executable, *command[1:]],
        env={**os.environ, "PORT": str(port)},
        capture_output=True,
        timeout=30,
    )
    assert dead.returncode != 0


def _context_files() -> list[Path]:
    """The files ``docker build -f deploy/Dockerfile .`` sends, per Dockerfile.dockerignore."""
    rules = [
        line.strip()
        for line in (DEPLOY / "Dockerfile.dockerignore").read_text().splitlines()
        if line.strip() and not line.startswith("#")
    ]
    chosen: list[Path] = []
    for path in sorted(ROOT.rglob("*")):
        relative = path.relative_to(ROOT).as_posix()
        if not path.is_file() or relative.startswith((".git/", ".venv/")):
            continue
        included = True
        for rule in rules:
            negated = rule.startswith("!")
            pattern = rule.removeprefix("!").rstrip("/")
            if fnmatch.fnmatch(relative, pattern) or relative.startswith(pattern + "/"):
                included = negated
        if included:
            chosen.append(path)
    return chosen


def test_the_build_context_holds_everything_the_wheel_needs(tmp_path: Path) -> None:
    need(
        importlib.util.find_spec("hatchling") is not None,
        "hatchling is not installed (it is in the dev extra: pip install -e '.[dev]')",
    )
    context = tmp_path / "context"
    copied = {str(p.relative_to(ROOT)) for p in _context_files()}
    assert "pyproject.toml" in copied
    assert not any(name.startswith(("tests/", ".github/", "deploy/")) for name in copied)
    for name in copied:
        target = context / name
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(ROOT / name, target)
    # The build stage copies exactly these; the wheel must build from them alone.
    for line in _instruction("COPY"):
        if "--from=" in line:
            continue
        sources = line.split()[1:-1]
        for source in (s for s in sources if not s.startswith("--")):
            assert (context / source).exists(), f"{line}: {source} is not in the build context"
    wheels = tmp_path / "wheels"
    pip = [sys.executable, "-m", "pip", "wheel", "--quiet", "--no-deps", "--no-build-isolation"]
    built = subprocess.run(
        [*pip, "--no-index", "-w", str(wheels), str(context)],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert built.returncode == 0, built.stderr
    [wheel] = wheels.glob("kbsync-*.whl")
    names = zipfile.ZipFile(wheel).namelist()
    assert "relay/widget/widget.js" in names
    assert "sandbox/spec/openapi.subset.json" in names
    assert "kbsync/cli.py" in names
    assert "kbcore/kb.py" in names


def _unit() -> dict[str, list[str]]:
    settings: dict[str, list[str]] = {}
    for line in (DEPLOY / "kbsync-relay.service").read_text().splitlines():
        if "=" in line and not line.startswith(("#", "[")):
            key, value = line.split("=", 1)
            settings.setdefault(key, []).append(value)
    return settings


def test_the_systemd_unit_is_non_root_hardened_and_restarts() -> None:
    unit = _unit()
    assert unit["User"] == ["kbsync"]
    assert unit["EnvironmentFile"] == ["/etc/kbsync/relay.env"]
    assert unit["Restart"] == ["on-failure"]
    assert unit["ExecStart"][0].endswith("kbsync relay")
    for key in ("NoNewPrivileges", "ProtectSystem", "ProtectHome", "PrivateTmp"):
        assert unit[key][0] in {"yes", "strict"}, key
    assert unit["CapabilityBoundingSet"] == [""]


def test_the_example_env_file_names_every_setting() -> None:
    example = (DEPLOY / "kbsync.env.example").read_text()
    names = set(re.findall(r"^#?([A-Z][A-Z0-9_]+)=", example, flags=re.MULTILINE))
    for name in ("OPENAI_API_KEY", "RELAY_SECRET", "ALLOWED_ORIGINS", "TRUSTED_PROXIES"):
        assert name in names
    for name in ("REDIS_URL", "RATE_LIMIT", "KB_DIR", "VECTOR_STORE_ID"):
        assert name in names


def test_the_example_env_file_names_every_variable_the_relay_reads() -> None:
    example = (DEPLOY / "kbsync.env.example").read_text()
    names = set(re.findall(r"^#?([A-Z][A-Z0-9_]+)=", example, flags=re.MULTILINE))
    source = (ROOT / "relay" / "_config.py").read_text()
    read = set(re.findall(r'env\.\w+\(\s*"([A-Z][A-Z0-9_]+)"', source))
    assert {"TOKEN_BUDGET", "MAX_STREAMS_PER_CLIENT", "CONVERSATION_TTL"} <= read
    assert read - {"LOG_MESSAGES"} <= names  # LOG_MESSAGES: the older name of LOG_QUESTIONS


def test_the_example_env_file_as_is_refuses_to_start(tmp_path: Path) -> None:
    from relay._config import PLACEHOLDER_SECRET

    example = DEPLOY / "kbsync.env.example"
    assert f"\nRELAY_SECRET={PLACEHOLDER_SECRET}\n" in example.read_text()
    env = {"PATH": os.environ["PATH"], "HOME": str(tmp_path), "KB_DIR": str(tmp_path / "kb")}
    result = subprocess.run(
        [sys.executable, "-m", "relay", "--env-file", str(example)],
        env=env,
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert result.returncode == 1
    assert result.stderr.splitlines() == [
        "error: RELAY_SECRET is the example file's placeholder; set it to the output of "
        "python3 -c 'import secrets; print(secrets.token_urlsafe(32))'."
    ]
