"""The demo page under its strict Content-Security-Policy, in Chromium: the widget loads
from its content-addressed URL with its integrity hash and answers from the sandbox; one
changed byte and the browser refuses to run it (issue 12 item 9)."""

from __future__ import annotations

import hashlib
import re
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.widget import _ui as ui
from tests.widget.conftest import Live, NewPage

pytestmark = pytest.mark.browser

WIDGET = Path(__file__).resolve().parents[2] / "relay" / "widget" / "widget.js"

# Every CSP violation the page reports, recorded before any of the page's own scripts run.
RECORD_VIOLATIONS = """
window.__violations = [];
document.addEventListener('securitypolicyviolation', e => {
  window.__violations.push(e.violatedDirective + ' ' + e.blockedURI);
});
"""


def pinned_src(live: Live) -> str:
    html = httpx.get(live.url + "/").text
    match = re.search(r'<script src="(/widget/[0-9a-f]{16}\.js)" integrity="(sha384-[^"]+)"', html)
    assert match, "the demo page does not load the widget from its content-addressed URL"
    return match.group(1)


def test_demo_page_under_csp_loads_the_pinned_widget_and_answers(
    new_page: NewPage, live: Live
) -> None:
    response = httpx.get(live.url + "/")
    csp = response.headers["content-security-policy"]
    assert "script-src 'self'" in csp
    assert "connect-src 'self'" in csp
    assert "unsafe-inline" not in csp.split("script-src")[1].split(";")[0]
    assert "unsafe-eval" not in csp
    src = pinned_src(live)
    assert src == f"/widget/{hashlib.sha256(WIDGET.read_bytes()).hexdigest()[:16]}.js"

    page = new_page()
    page.add_init_script(RECORD_VIOLATIONS)
    loaded: list[str] = []
    page.on("response", lambda r: loaded.append(r.url) if "/widget" in r.url else None)
    ui.open_chat(page, live.url + "/")
    ui.ask(page, "When is the club open on Saturday?")
    ui.wait_idle(page)
    assert "Saturday from 8:00" in ui.answers(page).last.inner_text()
    assert loaded == [live.url + src]  # the pinned URL, not /widget.js
    assert page.evaluate("window.__violations") == []


def test_a_tampered_widget_is_refused(new_page: NewPage, live: Live) -> None:
    src = pinned_src(live)
    tampered = bytearray(WIDGET.read_bytes())
    at = tampered.index(b"kb-chat")
    tampered[at] = ord("K")  # one byte: the element would be <Kb-chat>
    served: list[str] = []

    def serve_tampered(route: Any) -> None:
        served.append(route.request.url)
        route.fulfill(
            status=200,
            body=bytes(tampered),
            headers={
                "content-type": "text/javascript; charset=utf-8",
                "access-control-allow-origin": "*",
                "cache-control": "no-store",
            },
        )

    page = new_page()
    console: list[str] = []
    page.on("console", lambda message: console.append(message.text))
    page.route(live.url + src, serve_tampered)
    page.goto(live.url + "/")
    page.wait_for_load_state("load")
    page.wait_for_timeout(500)
    assert served == [live.url + src]
    assert ui.launcher(page).count() == 0
    assert page.evaluate("document.querySelector('kb-chat, Kb-chat')") is None
    assert any("integrity" in line for line in console), console
