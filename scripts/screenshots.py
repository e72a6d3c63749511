"""Take the README's widget screenshots into docs/screenshots/.

Starts a sandbox, syncs the example knowledge base ``kb/`` into it with the real CLI,
starts a relay serving the demo page, and drives Debian's Chromium; nothing leaves the
machine.

    .venv/bin/python scripts/screenshots.py [--out docs/screenshots]
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import urllib.request
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from kbcore.servers import free_port, relay_server, sandbox_server  # noqa: E402
from tests.widget import _ui as ui  # noqa: E402
from tests.widget._stack import relay_env  # noqa: E402
from tests.widget.conftest import CHROMIUM, CHROMIUM_ARGS  # noqa: E402

KB = ROOT / "kb"
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


def faults(sandbox_url: str, **values: object) -> None:
    body = {"rate": 0.0, "kinds": [], "seed": 1, "latency_ms": 0, "token_delay_ms": 0, **values}
    request = urllib.request.Request(
        sandbox_url + "/_sandbox/faults",
        data=json.dumps(body).encode(),
        method="POST",
        headers={"Content-Type": "application/json"},
    )
    urllib.request.urlopen(request, timeout=10).read()


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
    ui.launcher(page).wait_for()
    page.screenshot(path=out / "closed.png")

    ui.launcher(page).click()
    for question in [
        "What are the opening hours on Saturday?",
        "How much is a monthly membership?",
    ]:
        ui.ask(page, question)
        ui.wait_idle(page)
    settle(page)
    page.screenshot(path=out / "answer.png")

    page.get_by_role("button", name="New chat").click()
    faults(sandbox_url, rate=1.0, kinds=["500"])
    ui.ask(page, "Is the sauna open on Sunday?")
    ui.wait_idle(page)
    faults(sandbox_url)
    settle(page)
    page.screenshot(path=out / "error.png")

    # The phone shows the widget in Russian, as on a Russian page (data-lang="ru").
    phone = page_for(**PHONE)
    phone.add_init_script("window.KbChatConfig = {lang: 'ru'}")
    phone.goto(url)
    ui.launcher(phone).click()
    ui.ask(phone, "Сколько стоит разовое посещение?")
    ui.wait_idle(phone)
    settle(phone)
    phone.screenshot(path=out / "phone.png")


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
            env = relay_env(sandbox.url + "/v1", KB, port)
            sync_kb(env["OPENAI_BASE_URL"], env["OPENAI_API_KEY"])
            with (
                relay_server(work / "relay.log", env, port=port) as relay,
                sync_playwright() as playwright,
            ):
                browser = playwright.chromium.launch(
                    executable_path=str(CHROMIUM), args=CHROMIUM_ARGS, headless=True
                )
                shoot(browser, relay.url + "/", sandbox.url, args.out)
                browser.close()
    for name in ["closed", "answer", "error", "phone"]:
        print(args.out / f"{name}.png")
    return 0


if __name__ == "__main__":
    sys.exit(main())
