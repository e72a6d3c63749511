"""One table of error codes (``kbcore.errorcodes``): the widget's copy equals it, every code
the relay's source can answer with is in it, and in Chromium the widget does for each code
what the table says (scripted relay)."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest

from kbcore.errorcodes import ACTIONS, ERROR_CODES, widget_table
from tests.widget import _ui as ui
from tests.widget._fake_relay import WIDGET, FakeRelay, Reply, event

ROOT = Path(__file__).resolve().parents[2]
# Where the relay's answers come from: its own refusals, the answer engine's upstream
# errors, the lead engine's refusals. A code literal in any of them must be in the table.
SOURCES = ("relay", "answer", "leads")
LITERALS = re.compile(
    r'\bcode\s*=\s*"([a-z_]+)"'
    r'|\b(?:refuse|Refused)\(\s*\d{3},\s*"([a-z_]+)"'
    r'|"code":\s*"([a-z_]+)"'
    r'|\{404: "([a-z_]+)", 405: "([a-z_]+)"\}\.get\([^,]+, "([a-z_]+)"\)'
)
MESSAGES = {
    "busy": "The assistant is busy right now. Please try again in a moment.",
    "quota": "The assistant is temporarily unavailable. Please try again later.",
    "tooLong": "Your message is too long. Please shorten it.",
    "failed": "Something went wrong. Please try again.",
    "locked": "The previous answer in this chat is still being written. "
    "Please wait a moment and try again.",
    "rate": "Too many questions in a short time. Please wait 3 s and try again.",
}


def widget_copy() -> dict[str, str]:
    text = WIDGET.read_text(encoding="utf-8")
    found = re.search(r"/\*codes\*/(.*?)/\*codes\*/", text, re.S)
    assert found, "widget.js lost its /*codes*/ marks"
    groups: dict[str, str] = json.loads(found[1])
    return {code: action for action, codes in groups.items() for code in codes.split()}


def test_the_widgets_copy_is_the_table() -> None:
    assert widget_copy() == widget_table()
    assert {entry.action for entry in ERROR_CODES.values()} <= set(ACTIONS)


def test_every_code_in_the_relays_source_is_in_the_table() -> None:
    found: dict[str, str] = {}
    for package in SOURCES:
        for path in sorted((ROOT / package).rglob("*.py")):
            for match in LITERALS.finditer(path.read_text(encoding="utf-8")):
                for code in filter(None, match.groups()):
                    found.setdefault(code, str(path.relative_to(ROOT)))
    assert {"rate_limited", "conversation_not_found", "upstream_quota"} <= set(found)
    missing = {code: where for code, where in found.items() if code not in ERROR_CODES}
    assert missing == {}, "add these codes to kbcore/errorcodes.py and the widget's CODES"


def answered(token: str) -> Reply:
    stream = event("conversation", {"conversation": token}) + event("delta", {"text": "Yes."})
    done = {"response_id": "resp_1", "usage": {"input_tokens": 1, "output_tokens": 1}}
    return Reply(chunks=[(stream + event("done", {**done, "incomplete": None})).encode()])


def refused(code: str) -> Reply:
    entry = ERROR_CODES[code]
    if entry.status == 0:  # only ever inside a stream
        stream = event("conversation", {"conversation": "tok-1"})
        return Reply(chunks=[(stream + event("error", {"code": code, "message": "x"})).encode()])
    headers = {"Retry-After": "3"} if entry.action in ("rate", "locked") else {}
    return Reply(status=entry.status, code=code, headers=headers)


CHAT_CODES = sorted(code for code, entry in ERROR_CODES.items() if entry.action != "form")


@pytest.mark.browser
@pytest.mark.parametrize("code", CHAT_CODES)
def test_the_widget_does_what_the_table_says(new_page: Any, relay: FakeRelay, code: str) -> None:
    action = ERROR_CODES[code].action
    relay.replies += [answered("tok-1"), refused(code), answered("tok-2")]
    page = new_page()
    ui.open_chat(page, relay.url + "/")
    ui.ask(page, "One?")
    ui.wait_idle(page)
    ui.ask(page, "Two?")
    ui.wait_idle(page)
    if action == "new":
        # A new chat by itself: the question asked again without the dead token, once.
        assert [body.get("conversation") for body in relay.bodies] == [None, "tok-1", None]
        assert page.locator("kb-chat .log .v").inner_text() == "New conversation"
        assert ui.notices(page).count() == 0
        assert ui.stored(page)["token"] == "tok-2"
        return
    assert ui.notices(page).locator("span").inner_text() == MESSAGES[action]
    retry = ui.notices(page).get_by_role("button", name="Retry")
    if action in ("rate", "locked") and ERROR_CODES[code].status:
        assert retry.is_disabled()  # until Retry-After has passed
    retry.click(timeout=10_000)
    ui.wait_idle(page)
    assert relay.bodies[-1] == {"message": "Two?", "conversation": "tok-1"}
    assert ui.answers(page).last.locator(".t").inner_text() == "Yes."


@pytest.mark.browser
def test_a_dead_token_is_never_retried(new_page: Any, relay: FakeRelay) -> None:
    """conversation_not_found twice in a row: the second time the widget says so, and its
    Retry opens a new conversation instead of sending the dead token again."""
    relay.replies += [
        answered("tok-1"),
        refused("conversation_not_found"),
        Reply(status=400, code="conversation_not_found"),
        answered("tok-2"),
    ]
    page = new_page()
    ui.open_chat(page, relay.url + "/")
    ui.ask(page, "One?")
    ui.wait_idle(page)
    ui.ask(page, "Two?")
    ui.wait_idle(page)
    assert ui.notices(page).locator("span").inner_text() == MESSAGES["failed"]
    ui.notices(page).get_by_role("button", name="Retry").click()
    ui.wait_idle(page)
    assert [body.get("conversation") for body in relay.bodies] == [None, "tok-1", None, None]
