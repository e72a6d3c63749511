"""``reply_markup`` as the Bot API checks it: inline keyboards (``callback_data`` of 1-64
bytes or a ``url``), reply keyboards (``request_contact`` in private chats only), and the
removal of a reply keyboard."""

from __future__ import annotations

from typing import Any

from sandbox.telegram._errors import bad_request

_TEXT_ONLY = "can't parse inline keyboard button: Text buttons are unallowed in the inline keyboard"
_NO_TEXT = 'can\'t parse keyboard button: field "text" must be of type String'


def _rows(markup: dict[str, Any], key: str) -> list[list[Any]]:
    rows = markup.get(key)
    if not isinstance(rows, list) or not all(isinstance(row, list) for row in rows):
        raise bad_request(f'field "{key}" of the InlineKeyboardMarkup should be an Array of Arrays')
    return rows


def check_markup(markup: Any, *, private: bool) -> Any:
    """``markup`` as sent, or the Bot API's 400 for a malformed one."""
    if markup is None:
        return None
    if not isinstance(markup, dict):
        raise bad_request("can't parse reply keyboard markup JSON object")
    if "inline_keyboard" in markup:
        for row in _rows(markup, "inline_keyboard"):
            for button in row:
                if not isinstance(button, dict) or not isinstance(button.get("text"), str):
                    raise bad_request(_TEXT_ONLY)
                data = button.get("callback_data")
                if data is not None and not 1 <= len(str(data).encode()) <= 64:
                    raise bad_request("BUTTON_DATA_INVALID")
                if data is None and not isinstance(button.get("url"), str):
                    raise bad_request(_TEXT_ONLY)
        return markup
    if "keyboard" in markup:
        for row in _rows(markup, "keyboard"):
            for button in row:
                text = button if isinstance(button, str) else (button or {}).get("text")
                if not isinstance(text, str) or not text:
                    raise bad_request(
                        'can\'t parse keyboard button: field "text" must be of type String'
                    )
                if isinstance(button, dict) and button.get("request_contact") and not private:
                    raise bad_request("phone number can be requested in private chats only")
        return markup
    if markup.get("remove_keyboard") is True or "force_reply" in markup:
        return markup
    raise bad_request('can\'t find field "inline_keyboard"')
