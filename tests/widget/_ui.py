"""Page helpers: the widget lives in an open shadow root, which Playwright's CSS locators pierce."""

from __future__ import annotations

from typing import Any

HOST_PAGE = """<!doctype html>
<html lang="{lang}"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>host</title>{css}</head>
<body><h1>Host page</h1><p>Some text on the host page.</p>{body}
<script src="/widget.js" data-api="{api}" {attrs} defer></script></body></html>"""


def host_page(
    *, lang: str = "en", css: str = "", body: str = "", api: str = "/api", attrs: str = ""
) -> str:
    return HOST_PAGE.format(
        lang=lang, css=f"<style>{css}</style>" if css else "", body=body, api=api, attrs=attrs
    )


def serve_page(page: Any, url: str, html: str, headers: dict[str, str] | None = None) -> None:
    """Answer ``url`` with ``html`` inside the browser, so the page shares the relay's origin."""
    page.route(
        url,
        lambda route: route.fulfill(
            status=200, content_type="text/html", body=html, headers=headers or {}
        ),
    )


def launcher(page: Any) -> Any:
    return page.locator("kb-chat button.l")


def textarea(page: Any) -> Any:
    return page.locator("kb-chat textarea")


def answers(page: Any) -> Any:
    """Assistant bubbles, greeting excluded."""
    return page.locator("kb-chat .log .m.b:not(:first-child)")


def notices(page: Any) -> Any:
    return page.locator("kb-chat .log .e")


def open_chat(page: Any, url: str) -> None:
    page.goto(url)
    launcher(page).click()
    textarea(page).wait_for(state="visible")


def ask(page: Any, question: str) -> None:
    textarea(page).fill(question)
    textarea(page).press("Enter")


def wait_idle(page: Any, timeout: float = 20_000) -> None:
    """Wait until no answer is streaming (the Send button is back)."""
    page.locator("kb-chat button.send").wait_for(state="visible", timeout=timeout)


def stored(page: Any) -> Any:
    return page.evaluate(
        "() => Object.keys(localStorage).filter(k => k.startsWith('kbchat:'))"
        ".map(k => JSON.parse(localStorage.getItem(k)))[0] || null"
    )


def watch_streaming(page: Any) -> Any:
    """Record the length of the streaming answer's text each time the log changes."""
    page.evaluate(
        """() => {
        const log = document.querySelector('kb-chat').shadowRoot.querySelector('.log');
        window.__lengths = [];
        new MutationObserver(() => {
            const busy = log.querySelector('.m.b[aria-busy=true] .t');
            if (busy && busy.textContent) window.__lengths.push(busy.textContent.length);
        }).observe(log, {childList: true, subtree: true, characterData: true});
    }"""
    )
    return lambda: page.evaluate("window.__lengths")
