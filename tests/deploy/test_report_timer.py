"""The weekly report's systemd timer and service: the service's command, run as systemd
would run it (with a stand-in journalctl that plays the relay's journal), writes the HTML
next to the logs."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

from testing.reportlog import write_log
from tests.conftest import need

DEPLOY = Path(__file__).resolve().parents[2] / "deploy"
KBSYNC = "/srv/kbsync/venv/bin/kbsync"


def settings(name: str) -> dict[str, list[str]]:
    found: dict[str, list[str]] = {}
    for line in (DEPLOY / name).read_text(encoding="utf-8").splitlines():
        if "=" in line and not line.startswith(("#", "[")):
            key, value = line.split("=", 1)
            found.setdefault(key, []).append(value)
    return found


def test_the_timer_runs_weekly_and_catches_up() -> None:
    timer = settings("kbsync-report.timer")
    assert timer["OnCalendar"] == ["Mon *-*-* 06:00:00 UTC"]
    assert timer["Persistent"] == ["true"]
    service = settings("kbsync-report.service")
    assert service["Type"] == ["oneshot"]
    assert service["User"] == ["kbsync"]
    assert service["LogsDirectory"] == ["kbsync"]


def test_the_calendar_and_units_verify() -> None:
    need(shutil.which("systemd-analyze") is not None, "systemd-analyze is not installed")
    calendar = subprocess.run(
        ["systemd-analyze", "calendar", "Mon *-*-* 06:00:00 UTC"],
        capture_output=True,
        text=True,
        check=False,
    )
    assert calendar.returncode == 0, calendar.stderr


def test_the_command_writes_the_page_next_to_the_logs(tmp_path: Path) -> None:
    log = tmp_path / "journal.log"
    write_log(log, 500)
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    fake = bin_dir / "journalctl"
    # The journal of the relay's unit, as `--output cat` prints it: the lines themselves.
    fake.write_text(
        "#!/bin/sh\n"
        f'[ "$*" = "--unit kbsync-relay --since -7d --output cat --no-pager" ] || exit 3\n'
        f"cat {log}\n",
        encoding="utf-8",
    )
    fake.chmod(0o755)
    [command] = settings("kbsync-report.service")["ExecStart"]
    assert command.startswith("/bin/sh -c '")
    assert command.endswith("'")
    script = command[len("/bin/sh -c '") : -1].replace("%%", "%")  # systemd's escaping
    script = script.replace(KBSYNC, f"{sys.executable} -m kbsync")
    # The generated log is from November 2026: widen --since so its lines count.
    script = script.replace("--since 7d", "--since 2026-01-01")
    logs_dir = tmp_path / "var-log-kbsync"
    logs_dir.mkdir()
    env = {**os.environ, "PATH": f"{bin_dir}:{os.environ['PATH']}", "LOGS_DIRECTORY": str(logs_dir)}
    # In a folder without kb/: every knowledge base's lines count (WorkingDirectory= has one).
    done = subprocess.run(
        ["/bin/sh", "-c", script], env=env, capture_output=True, text=True, cwd=tmp_path
    )
    assert done.returncode == 0, done.stderr
    day = datetime.now(UTC).strftime("%Y-%m-%d")
    page = logs_dir / f"report-{day}.html"
    assert os.readlink(logs_dir / "report.html") == page.name
    html = page.read_text(encoding="utf-8")
    assert "<title>How the assistant does: club</title>" in html
    assert '<ul class="cards"><li>Chats<b>500</b>' in html
