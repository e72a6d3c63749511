"""Turn an ``openai`` exception into one ``RemoteError`` sentence (at the seam only).

Messages name what was being done and what to do next; they never include the API key
(the 401 message does not echo the server's text, which may show part of the key).
"""

from __future__ import annotations

import openai

from kbcore.errors import RemoteError


def translate(exc: openai.OpenAIError, what: str, attempts: int) -> RemoteError:
    """One sentence naming ``what`` failed, after how many ``attempts``, and what to do."""
    tries = f" after {attempts} attempts" if attempts > 1 else ""
    if isinstance(exc, openai.AuthenticationError):
        return RemoteError(f"The API refused the key while {what} (401); check OPENAI_API_KEY.")
    if isinstance(exc, openai.PermissionDeniedError):
        return RemoteError(
            f"The API key may not do this: {what} was forbidden (403); "
            "check the key's project and permissions (OPENAI_PROJECT)."
        )
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
