"""When OpenAI says the API key's quota is spent: one rule for every seam (sync, answer).

OpenAI answers ``429`` with ``{"error": {"code": "insufficient_quota", "type":
"insufficient_quota"}}`` when the account is out of credit, and a streamed answer ends with
an ``error`` event of that code. It is not a rate limit: waiting seconds cannot help, so no
seam retries it or tells a visitor to "try again in 1 s". The rule reads the SDK's ``code``
and ``type`` and, when a proxy left the body wrapped, the body's own ``error`` object.
"""

from __future__ import annotations

from typing import Any

INSUFFICIENT_QUOTA = "insufficient_quota"


def is_quota_code(code: object) -> bool:
    """A streamed ``error`` event's (or an error body's) code says the quota is spent."""
    return code == INSUFFICIENT_QUOTA


def is_quota_error(exc: Any) -> bool:
    """An ``openai.APIStatusError`` (any object with ``code``, ``type``, ``body``) whose
    error says the quota is spent, whatever its status."""
    body = getattr(exc, "body", None)
    error = body.get("error", body) if isinstance(body, dict) else None
    found = (
        getattr(exc, "code", None),
        getattr(exc, "type", None),
        *((error.get("code"), error.get("type")) if isinstance(error, dict) else ()),
    )
    return any(is_quota_code(value) for value in found)
