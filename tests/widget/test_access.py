"""Phone layout, keyboard-only use, languages and options."""

from __future__ import annotations

from typing import Any

import pytest

from tests.widget import _ui as ui
from tests.widget.conftest import Live, NewPage

pytestmark = pytest.mark.browser

PHONE = {
    "viewport": {"width": 375, "height": 667},
    "is_mobile": True,
    "has_touch": True,
    "device_scale_factor": 2,
    "reduced_motion": "reduce",  # also: no opening slide to wait for before measuring
}


def focused(page: Any) -> str:
    """The element focused inside the widget as ``tag.class``, or the page's own focus."""
    return str(
        page.evaluate(
            """() => {
            const a = document.activeElement;
            const inner = a && a.shadowRoot ? a.shadowRoot.activeElement : null;
            const e = inner || a;
            return e ? (e.tagName.toLowerCase() + (e.className ? '.' + e.className : '')) : '';
        }"""
        )
    )


def test_phone_gets_a_full_screen_sheet_without_autofocus(new_page: NewPage, live: Live) -> None:
    page = new_page(**PHONE)
    ui.open_chat(page, live.url + "/")
    box = page.locator("kb-chat .p").bounding_box()
    assert box is not None
    assert {key: round(value) for key, value in box.items()} == {
        "x": 0,
        "y": 0,
        "width": 375,
        "height": 667,
    }
    assert ui.launcher(page).is_hidden()
    assert focused(page) != "textarea"  # no keyboard popping up over the page
    panel = page.locator("kb-chat .p")
    assert panel.evaluate("p => getComputedStyle(p).animationName") == "none"  # reduced motion

    ui.textarea(page).tap()
    ui.ask(page, "How long is the swimming pool?")
    ui.wait_idle(page)
    assert "25 metres" in ui.answers(page).last.inner_text()
    page.get_by_role("button", name="Close chat").click()
    assert ui.launcher(page).is_visible()
    assert page.locator("kb-chat .p").is_hidden()


def test_desktop_gets_a_floating_panel(new_page: NewPage, live: Live) -> None:
    page = new_page()
    ui.open_chat(page, live.url + "/")
    box = page.locator("kb-chat .p").bounding_box()
    assert box is not None
    assert box["width"] < 500
    assert box["x"] > 640  # bottom right
    assert focused(page) == "textarea"


def test_keyboard_only(new_page: NewPage, live: Live) -> None:
    page = new_page()
    page.goto(live.url + "/")
    ui.launcher(page).wait_for()
    page.keyboard.press("Tab")  # the demo page has nothing focusable before the widget
    assert focused(page) == "button.l"
    outline = ui.launcher(page).evaluate("b => getComputedStyle(b).outlineStyle")
    assert outline == "solid"  # visible focus
    page.keyboard.press("Enter")
    assert focused(page) == "textarea"

    page.keyboard.type("first line")
    page.keyboard.press("Shift+Enter")
    page.keyboard.type("second line")
    assert ui.textarea(page).input_value() == "first line\nsecond line"
    page.keyboard.press("ControlOrMeta+a")
    page.keyboard.type("How much is a day pass?")
    page.keyboard.press("Enter")
    ui.wait_idle(page)
    assert "15 euros" in ui.answers(page).last.inner_text()
    assert ui.textarea(page).input_value() == ""

    page.keyboard.press("Escape")
    assert page.locator("kb-chat .p").is_hidden()
    assert focused(page) == "button.l"
    assert ui.launcher(page).get_attribute("aria-expanded") == "false"
    page.keyboard.press("Enter")
    assert page.locator("kb-chat .p").is_visible()


def test_controls_are_labelled(new_page: NewPage, live: Live) -> None:
    page = new_page()
    ui.open_chat(page, live.url + "/")
    log = page.locator("kb-chat .log")
    assert log.get_attribute("role") == "log"
    assert log.get_attribute("aria-live") == "polite"
    for name in ["Close chat", "New chat", "Send"]:
        assert page.get_by_role("button", name=name).count() >= 1
    assert page.get_by_role("textbox", name="Your question").is_visible()
    assert page.get_by_role("dialog", name="Club Santé").is_visible()


RU_QUESTION = "Когда открыт бассейн?"


def test_russian_from_the_page_language(new_page: NewPage, live: Live) -> None:
    page = new_page(locale="en-US")
    ui.serve_page(page, live.url + "/ru", ui.host_page(lang="ru"))
    page.goto(live.url + "/ru")
    assert ui.launcher(page).get_attribute("aria-label") == "Открыть чат"
    ui.launcher(page).click()
    assert ui.textarea(page).get_attribute("placeholder") == "Введите вопрос…"
    assert page.locator("kb-chat .h h2").inner_text() == "Задайте вопрос"
    assert page.get_by_role("button", name="Новый чат").is_visible()
    ui.ask(page, RU_QUESTION)
    ui.wait_idle(page)
    answer = ui.answers(page).last
    assert "Бассейн" in answer.locator(".t").inner_text()
    assert answer.locator(".s").inner_text().startswith("Источники:")


def test_english_and_overrides(new_page: NewPage, live: Live) -> None:
    page = new_page(locale="ru-RU")
    attrs = (
        'data-lang="en" data-title="Help desk" data-greeting="Hi there." '
        'data-i18n=\'{"send": "Ask", "open": "Questions?"}\' '
        'data-position="left" data-accent="#aa0000"'
    )
    ui.serve_page(page, live.url + "/en", ui.host_page(lang="ru", attrs=attrs))
    page.goto(live.url + "/en")
    assert ui.launcher(page).get_attribute("aria-label") == "Questions?"
    ui.launcher(page).click()
    assert page.locator("kb-chat .h h2").inner_text() == "Help desk"
    assert page.locator("kb-chat .log .m.b").first.inner_text() == "Hi there."
    assert page.get_by_role("button", name="Ask").is_visible()
    assert ui.textarea(page).get_attribute("placeholder") == "Type your question…"
    box = page.locator("kb-chat .p").bounding_box()
    assert box is not None
    assert box["x"] < 100  # data-position="left"
    accent = ui.launcher(page).evaluate("b => getComputedStyle(b).backgroundColor")
    assert accent == "rgb(170, 0, 0)"


def test_browser_language_is_the_fallback(new_page: NewPage, live: Live) -> None:
    page = new_page(locale="ru-RU")
    ui.serve_page(page, live.url + "/nolang", ui.host_page(lang=""))
    page.goto(live.url + "/nolang")
    assert ui.launcher(page).get_attribute("aria-label") == "Открыть чат"


def test_inline_mode_and_api(new_page: NewPage, live: Live) -> None:
    page = new_page()
    html = ui.host_page(
        body='<div id="help" style="width:500px"></div>',
        attrs='data-mode="inline" data-target="#help"',
    )
    ui.serve_page(page, live.url + "/inline", html)
    page.goto(live.url + "/inline")
    assert page.locator("#help kb-chat").count() == 1
    assert ui.launcher(page).count() == 0
    assert ui.textarea(page).is_visible()
    assert page.get_by_role("region", name="Ask us").is_visible()
    ui.ask(page, "How much is a day pass?")
    ui.wait_idle(page)
    page.evaluate("KbChat.reset()")
    assert page.locator("kb-chat .log > *").count() == 1


def test_window_api_opens_and_closes(new_page: NewPage, live: Live) -> None:
    page = new_page()
    page.goto(live.url + "/")
    ui.launcher(page).wait_for()
    page.evaluate("KbChat.open()")
    assert ui.textarea(page).is_visible()
    page.evaluate("KbChat.close()")
    assert ui.textarea(page).is_hidden()
    page.evaluate("KbChat.toggle()")
    assert ui.textarea(page).is_visible()


def test_fullscreen_mode_fills_the_window(new_page: NewPage, live: Live) -> None:
    page = new_page(viewport={"width": 900, "height": 700})
    ui.serve_page(page, live.url + "/full", ui.host_page(attrs='data-mode="fullscreen"'))
    page.goto(live.url + "/full")
    ui.textarea(page).wait_for()
    box = page.locator("kb-chat .p").bounding_box()
    assert box is not None
    assert {key: round(value) for key, value in box.items()} == {
        "x": 0,
        "y": 0,
        "width": 900,
        "height": 700,
    }
    assert ui.launcher(page).count() == 0
    assert page.get_by_role("button", name="Close chat").count() == 0


@pytest.mark.parametrize(
    ("scheme", "background"), [("light", "rgb(255, 255, 255)"), ("dark", "rgb(27, 29, 34)")]
)
def test_colour_scheme(new_page: NewPage, live: Live, scheme: str, background: str) -> None:
    page = new_page(color_scheme=scheme)
    ui.open_chat(page, live.url + "/")
    assert page.locator("kb-chat .p").evaluate("p => getComputedStyle(p).backgroundColor") == (
        background
    )


def test_config_object_before_the_script(new_page: NewPage, live: Live) -> None:
    page = new_page()
    config = (
        "<script>window.KbChatConfig = {lang: 'ru', title: 'Клуб', "
        "i18n: {ru: {send: 'Спросить'}, en: {send: 'Ask'}}};</script>"
    )
    ui.serve_page(page, live.url + "/config", ui.host_page(lang="en", body=config))
    page.goto(live.url + "/config")
    ui.launcher(page).click()
    assert page.locator("kb-chat .h h2").inner_text() == "Клуб"
    assert page.get_by_role("button", name="Спросить").is_visible()
    assert page.get_by_role("button", name="Новый чат").is_visible()
