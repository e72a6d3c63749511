"""Turn an ``openai`` exception into one ``RemoteError`` sentence (at the seam only).

Messages name what was being done and what to do next; they never include the API key
(the 401 message does not echo the server's text, which may show part of the key).
"""

from __future__ import annotations

import re

import openai

from kbcore.errors import RemoteError
from kbcore.quota import INSUFFICIENT_QUOTA as QUOTA_CODE
from kbcore.quota import is_quota_error

BILLING_URL = "https://platform.openai.com/settings/organization/billing"
# The status codes worth repeating when the server does not say (as the SDK decides).
RETRYABLE_STATUS = frozenset({408, 409, 429})
_NO_SUCH_FILE = re.compile(r"No file found with id '(?P<id>[^']+)'")


class RunStopped(RemoteError):
    """No later request of this run can succeed: the run stops at once, whole."""


class QuotaExhausted(RunStopped):
    """The key's quota is spent (``429 insufficient_quota``): waiting does not help."""

    def __init__(self) -> None:
        super().__init__(
            f"OpenAI refused: the API key's quota is exhausted ({QUOTA_CODE}); add credit or "
            f"raise the limit at {BILLING_URL}, then run kbsync again."
        )


class FileNotFound(RemoteError):
    """A request named a File the API does not know (yet: uploads are eventually
    consistent, so a File a few seconds old can be ``404`` to attach)."""

    def __init__(self, file_id: str, message: str) -> None:
        super().__init__(message)
        self.file_id = file_id


def is_quota(exc: openai.APIStatusError) -> bool:
    return is_quota_error(exc)  # kbcore.quota: the one rule, the answer engine's too


def should_retry(exc: openai.APIStatusError) -> bool:
    """The server's ``x-should-retry`` when it sends one, else by status (408, 409, 429, 5xx)."""
    hint = exc.response.headers.get("x-should-retry")
    if hint == "true":
        return True
    if hint == "false":
        return False
    return exc.status_code in RETRYABLE_STATUS or exc.status_code >= 500


def missing_file(exc: openai.APIStatusError) -> str | None:
    """The id of the File a ``404 No file found with id '…'`` names, if that is what it is."""
    if exc.status_code != 404:
        return None
    found = _NO_SUCH_FILE.search(_message(exc))
    return found["id"] if found else None


def translate(exc: openai.OpenAIError, what: str, attempts: int) -> RemoteError:
    """One sentence naming ``what`` failed, after how many ``attempts``, and what to do."""
    tries = f" after {attempts} attempts" if attempts > 1 else ""
    if isinstance(exc, openai.AuthenticationError):
        return RemoteError(f"The API refused the key while {what} (401); check OPENAI_API_KEY.")
    if isinstance(exc, openai.PermissionDeniedError):
        return RemoteError(
            f"The API key may not do this: {what} was forbidden (403); "
            "check the key's project and permissions (OPENAI_PROJECT_ID)."
        )
    if isinstance(exc, openai.APIStatusError) and is_quota(exc):
        return QuotaExhausted()
    if isinstance(exc, openai.RateLimitError):
        return RemoteError(
            f"The API kept rate-limiting {what}{tries} (429); wait a minute and run kbsync again."
        )
    if isinstance(exc, openai.APIStatusError):
        detail = _message(exc)
        if exc.status_code >= 500:
            return RemoteError(
                f"The API failed while {what}{tries} ({exc.status_code}: {detail}); "
                "run kbsync again later."
            )
        return RemoteError(f"The API refused {what} ({exc.status_code}: {detail}).")
    if isinstance(exc, openai.APIConnectionError):
        return RemoteError(
            f"Could not reach the API while {what}{tries} ({exc.message}); check "
            "OPENAI_BASE_URL and the network."
        )
    return RemoteError(f"The OpenAI client failed while {what}: {exc}")


def _message(exc: openai.APIStatusError) -> str:
    body = exc.body
    if isinstance(body, dict):
        error = body.get("error", body)
        if isinstance(error, dict) and isinstance(error.get("message"), str):
            return str(error["message"])
    return exc.message
