"""A Bot API call's parameters, from wherever the client put them.

The Bot API takes parameters four ways: the query string, ``application/json``,
``application/x-www-form-urlencoded`` and ``multipart/form-data``; in the form
encodings, numbers are strings and objects (``reply_markup``, ``allowed_updates``) are
JSON text. ``Params`` reads them all the same way and names a bad one the way the Bot API
does (``Bad Request: chat_id is empty``).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qsl

from litestar import Request

from sandbox.telegram._errors import bad_request


async def read_params(request: Request[Any, Any, Any]) -> dict[str, Any]:
    params: dict[str, Any] = dict(request.query_params)
    media = (request.headers.get("content-type") or "").split(";", 1)[0].strip().lower()
    if request.method != "POST":
        return params
    if media == "application/json":
        raw = await request.body()
        if raw.strip():
            try:
                body = json.loads(raw)
            except ValueError:
                raise bad_request("can't parse JSON object") from None
            if not isinstance(body, dict):
                raise bad_request("can't parse JSON object")
            params.update(body)
    elif media == "application/x-www-form-urlencoded":
        raw = await request.body()
        params.update(parse_qsl(raw.decode("utf-8", "replace"), keep_blank_values=True))
    elif media == "multipart/form-data":
        form = await request.form()
        params.update({key: value for key, value in form.items() if isinstance(value, str)})
    return params


@dataclass(frozen=True)
class Params:
    values: dict[str, Any]

    def has(self, name: str) -> bool:
        return self.values.get(name) not in (None, "")

    def integer(self, name: str, *, default: int | None = None) -> int:
        value = self.values.get(name)
        if value is None or value == "":
            if default is None:
                raise bad_request(f"{name} is empty")
            return default
        if isinstance(value, bool):
            raise bad_request(f'field "{name}" must be of type Integer')
        try:
            return int(value)
        except (TypeError, ValueError):
            raise bad_request(f'field "{name}" must be of type Integer') from None

    def optional_integer(self, name: str) -> int | None:
        return self.integer(name) if self.has(name) else None

    def text(self, name: str, *, default: str | None = None) -> str:
        value = self.values.get(name)
        if value is None:
            if default is None:
                raise bad_request(f"{name} is empty")
            return default
        if not isinstance(value, str | int | float) or isinstance(value, bool):
            raise bad_request(f'field "{name}" must be of type String')
        return str(value)

    def flag(self, name: str) -> bool:
        value = self.values.get(name)
        return value is True or (isinstance(value, str) and value.lower() in ("true", "1"))

    def json(self, name: str) -> Any:
        """An object parameter: itself in a JSON body, JSON text in a form."""
        value = self.values.get(name)
        if isinstance(value, str):
            if not value:
                return None
            try:
                return json.loads(value)
            except ValueError:
                raise bad_request(f"can't parse {name} JSON object") from None
        return value

    def chat_id(self) -> int:
        """``chat_id``: an integer, or ``@username`` (which this fake never knows)."""
        value = self.values.get("chat_id")
        if value is None or value == "":
            raise bad_request("chat_id is empty")
        if isinstance(value, str) and value.startswith("@"):
            raise bad_request("chat not found")
        try:
            return int(value)
        except (TypeError, ValueError):
            raise bad_request("chat not found") from None
