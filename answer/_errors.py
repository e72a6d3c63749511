"""The answer engine's errors: what went wrong upstream, as a channel answers it.

``UpstreamError`` is raised only by the OpenAI seam (``answer._upstream``); it carries the
status and code a channel answers with (the relay's HTTP status before the stream, the
bot's apology), never the upstream's own words or headers.
"""

from __future__ import annotations

from kbcore.errors import KbsyncError


class AnswerError(KbsyncError):
    """An expected failure while answering."""


class UpstreamError(AnswerError):
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


class ParameterRefused(UpstreamRejected):
    """The model refused a parameter of the spec (a 400 naming it); for operators only.

    ``message`` is OpenAI's own: channels never show it to visitors (``Upstream`` raises
    this only with ``operator=True``)."""

    def __init__(self, param: str | None, message: str) -> None:
        super().__init__(f"The model refused the parameter {param!r}: {message}")
        self.param = param
        self.message = message
