"""The relay's exception tree, rooted in the project's ``KbsyncError``.

``UpstreamError`` is raised only by the OpenAI seam (``_upstream.py``); it carries the
status and code the relay answers with, never the upstream's own words or headers.
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


class UpstreamError(RelayError):
    """OpenAI (or the sandbox) failed; ``status`` is what the relay answers before the stream."""

    status = 502
    code = "upstream_error"

    def __init__(self, message: str, *, retry_after: int | None = None) -> None:
        super().__init__(message)
        self.retry_after = retry_after


class UpstreamRateLimited(UpstreamError):
    status = 429
    code = "upstream_rate_limited"


class UpstreamTimeout(UpstreamError):
    status = 504
    code = "upstream_timeout"


class UpstreamUnavailable(UpstreamError):
    status = 502
    code = "upstream_unavailable"


class UpstreamRejected(UpstreamError):
    """The upstream refused the request (4xx other than 429): a relay or KB setup problem."""

    status = 502
    code = "upstream_rejected"


class VectorStoreGone(UpstreamError):
    """The KB's vector store was deleted (e.g. re-created by a sync); the relay looks again."""

    status = 503
    code = "vector_store_missing"


class ConversationGone(UpstreamError):
    """The conversation behind a valid token no longer exists upstream."""

    status = 400
    code = "conversation_not_found"


class ConversationBusy(UpstreamError):
    """An answer in this conversation is still running upstream (``conversation_locked``)."""

    status = 409
    code = "conversation_busy"


class UpstreamQuota(UpstreamError):
    """The API key's quota is exhausted (``insufficient_quota``): retrying soon cannot help."""

    status = 503
    code = "upstream_quota"
