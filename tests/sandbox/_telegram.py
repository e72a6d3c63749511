"""Helpers for the Bot API fake's tests: raw Bot API calls and the control routes."""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from typing import Any

from testing.sandbox import Located, sandbox_call

TOKEN = "7000000001:AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsaw"
VISITOR = {"id": 1001, "first_name": "Anna", "language_code": "ru"}
OPERATORS = -1001000000001


def bot_call(target: Located, method: str, body: Any = None) -> tuple[int, Any]:
    """A Bot API call with a JSON body: (HTTP status, envelope)."""
    data = json.dumps(body or {}).encode()
    request = urllib.request.Request(
        f"{target.url}/telegram/bot{TOKEN}/{method}",
        data=data,
        method="POST",
        headers={"Content-Type": "application/json"},
    )
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read())


def play(target: Located, **body: Any) -> Any:
    """Play a user (``POST /_sandbox/telegram/updates``)."""
    return sandbox_call(target, "POST", "/_sandbox/telegram/updates", body)


def sent(target: Located, after: int = 0) -> Any:
    return sandbox_call(target, "GET", f"/_sandbox/telegram/sent?after={after}")
