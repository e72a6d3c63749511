"""Take the README's widget screenshots into docs/screenshots/.

Starts a sandbox, syncs the example knowledge base ``kb/`` into it with the real CLI
(so every document carries its ``kb_title``), starts a relay serving the demo page, and
drives Debian's Chromium; nothing leaves the machine. The source chips show what a
visitor sees: each cited document's title, a link when ``kb/assistant.yaml`` sets
``sources.url``.

    .venv/bin/python scripts/screenshots.py [--out docs/screenshots]

Like ``bench/``, this imports the packages and ``testing``, never ``tests/``.
"""

from __future__ import annotations

import argparse
import os
import secrets
import subprocess
import sys
import tempfile
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from kbsync._report import ReportOptions, build
from kbsync._report_html import to_html
from testing.reportlog import write_log
from testing.sandbox import fail_every, set_faults
from testing.servers import free_port, relay_server, sandbox_server

ROOT = Path(__file__).resolve().parent.parent

KB = ROOT / "kb"
API_KEY = "sk-sandbox-screenshots"  # the sandbox takes any key; nothing reaches OpenAI
CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--no-first-run"]
DESKTOP = {"viewport": {"width": 1100, "height": 760}, "color_scheme": "light"}
PHONE = {
    "viewport": {"width": 375, "height": 667},
    "is_mobile": True,
    "has_touch": True,
    "device_scale_factor": 2,
    "color_scheme": "light",
}


def sync_kb(base_url: str, api_key: str) -> None:
    """Sync kb/ into the sandbox as an editor would: ``kbsync --kb kb --yes``."""
    env = {**os.environ, "OPENAI_BASE_URL": base_url, "OPENAI_API_KEY": api_key}
    command = [sys.executable, "-m", "kbsync", "--kb", str(KB), "--yes"]
    subprocess.run(command, env=env, cwd=ROOT, check=True)


def relay_env(base_url: str, port: int) -> dict[str, str]:
    return {
        "OPENAI_BASE_URL": base_url,
        "OPENAI_API_KEY": API_KEY,
        "KB_DIR": str(KB),
        "RELAY_SECRET": secrets.token_urlsafe(32),
        "ALLOWED_ORIGINS": f"http://127.0.0.1:{port}",
        "RATE_LIMIT": "1000/minute",
        "RELAY_DEMO": "1",
    }


# The widget's own parts (it lives in an open shadow root, which these selectors pierce).
def launcher(page: Any) -> Any:
    return page.locator("kb-chat button.l")


def ask(page: Any, question: str) -> None:
    page.locator("kb-chat textarea").fill(question)
    page.locator("kb-chat textarea").press("Enter")
    # The Send button comes back when the answer has ended.
    page.locator("kb-chat button.send").wait_for(state="visible", timeout=30_000)


def settle(page: Any) -> None:
    """No focus ring, no hover: the screenshot shows the resting state."""
    page.locator("kb-chat textarea").blur()
    page.mouse.move(5, 5)


def shoot(browser: Any, url: str, sandbox_url: str, out: Path) -> None:
    def page_for(**options: Any) -> Any:
        context = browser.new_context(reduced_motion="reduce", **options)
        return context.new_page()

    page = page_for(**DESKTOP)
    page.goto(url)
    launcher(page).wait_for()
    page.screenshot(path=out / "closed.png")

    launcher(page).click()
    # An empty chat: the starter questions of kb/assistant.yaml.
    page.locator("kb-chat .q button").first.wait_for()
    settle(page)
    page.screenshot(path=out / "starters.png")

    for question in [
        "What are the opening hours on Saturday?",
        "How much is a monthly membership?",
    ]:
        ask(page, question)
    settle(page)
    page.screenshot(path=out / "answer.png")

    # 👍 on the first answer; 👎 on the last, with its reasons offered and one chosen.
    answers = page.locator("kb-chat .log .m.b:not(:first-child)")
    answers.first.get_by_role("button", name="Helpful", exact=True).click()
    answers.last.get_by_role("button", name="Not helpful", exact=True).click()
    answers.last.get_by_role("button", name="Outdated").click()
    settle(page)
    page.screenshot(path=out / "feedback.png")

    page.get_by_role("button", name="New chat").click()
    fail_every(sandbox_url, "500")
    ask(page, "Is the sauna open on Sunday?")
    set_faults(sandbox_url)
    settle(page)
    page.screenshot(path=out / "error.png")

    # The phone shows the widget in Russian, as on a Russian page (data-lang="ru").
    phone = page_for(**PHONE)
    phone.add_init_script("window.KbChatConfig = {lang: 'ru'}")
    phone.goto(url)
    launcher(phone).click()
    ask(phone, "Сколько стоит разовое посещение?")
    settle(phone)
    phone.screenshot(path=out / "phone.png")


def shoot_report(browser: Any, out: Path, work: Path) -> None:
    """The report of a generated month (3,000 chats, two variants), on a desktop and a phone."""
    log = work / "relay.month.log"
    write_log(log, 3000)
    page_file = work / "report.html"
    options = ReportOptions(logs=(str(log),), since=None)
    page_file.write_text(to_html(build(options, now=datetime.now(UTC)), "en"), encoding="utf-8")
    desktop = browser.new_context(**DESKTOP).new_page()
    desktop.goto(page_file.as_uri())
    desktop.screenshot(path=out / "report.png", full_page=True)
    phone = browser.new_context(**PHONE).new_page()
    phone.goto(page_file.as_uri())
    phone.screenshot(path=out / "report-phone.png")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=ROOT / "docs" / "screenshots")
    args = parser.parse_args()
    if not CHROMIUM.exists():
        print(f"{CHROMIUM} is missing: apt-get install chromium", file=sys.stderr)
        return 1
    args.out.mkdir(parents=True, exist_ok=True)
    from playwright.sync_api import sync_playwright

    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        with sandbox_server(work / "sandbox.log") as sandbox:
            port = free_port()
            env = relay_env(sandbox.url + "/v1", port)
            sync_kb(env["OPENAI_BASE_URL"], env["OPENAI_API_KEY"])
            with (
                relay_server(work / "relay.log", env, port=port) as relay,
                sync_playwright() as playwright,
            ):
                browser = playwright.chromium.launch(
                    executable_path=str(CHROMIUM), args=CHROMIUM_ARGS, headless=True
                )
                shoot(browser, relay.url + "/", sandbox.url, args.out)
                shoot_report(browser, args.out, work)
                browser.close()
    names = ["closed", "starters", "answer", "feedback", "error", "phone", "report", "report-phone"]
    for name in names:
        print(args.out / f"{name}.png")
    return 0


if __name__ == "__main__":
    sys.exit(main())
