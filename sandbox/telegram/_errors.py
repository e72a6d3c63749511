"""Bot API errors: ``{"ok": false, "error_code", "description", "parameters"?}``.

The Bot API answers every failure with that envelope and the same HTTP status as
``error_code``; a flood-control refusal carries ``parameters.retry_after`` (seconds).
"""

from __future__ import annotations

from typing import Any


class BotApiError(Exception):
    """Raised in a method handler; the route turns it into the Bot API envelope."""

    def __init__(self, code: int, description: str, *, retry_after: int | None = None) -> None:
        super().__init__(description)
        self.code = code
        self.description = description
        self.retry_after = retry_after

    def body(self) -> dict[str, Any]:
        body: dict[str, Any] = {
            "ok": False,
            "error_code": self.code,
            "description": self.description,
        }
        if self.retry_after is not None:
            body["parameters"] = {"retry_after": self.retry_after}
        return body


def bad_request(reason: str) -> BotApiError:
    return BotApiError(400, f"Bad Request: {reason}")


def not_found() -> BotApiError:
    return BotApiError(404, "Not Found")


def too_many_requests(retry_after: int) -> BotApiError:
    return BotApiError(
        429, f"Too Many Requests: retry after {retry_after}", retry_after=retry_after
    )


def conflict(reason: str) -> BotApiError:
    return BotApiError(409, f"Conflict: {reason}")
