"""The relay's exception tree, rooted in the project's ``KbsyncError``.

Upstream failures are the answer engine's (``answer.UpstreamError``).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from litestar import Response

from kbcore.errors import KbsyncError


def refuse(
    status: int,
    code: str,
    message: str,
    *,
    retry_after: int | None = None,
    headers: Mapping[str, str] | None = None,
) -> Response[Any]:
    """The relay's one error body, ``{"error": {"code", "message"}}``, for every refusal."""
    all_headers = dict(headers or {})
    if retry_after is not None:
        all_headers["Retry-After"] = str(retry_after)
    return Response(
        {"error": {"code": code, "message": message}},
        status_code=status,
        headers=all_headers or None,
        media_type="application/json",
    )


class RelayError(KbsyncError):
    """An expected relay failure."""


class ConfigError(RelayError):
    """A configuration variable has a bad value; the message names the variable."""


class InvalidToken(RelayError):
    """A conversation token that does not verify under this relay's secret and KB."""

    code = "invalid_conversation"


class ConversationExpired(InvalidToken):
    """A valid token issued longer ago than ``CONVERSATION_TTL``."""

    code = "conversation_expired"


class ConversationFull(InvalidToken):
    """A valid token of a conversation that has had ``MAX_TURNS`` messages."""

    code = "conversation_full"


class ConversationReplayed(InvalidToken):
    """A valid token behind the newest one its conversation was given (``state``
    remembers each conversation's turn): an old token replayed, or used twice."""

    code = "conversation_replayed"
