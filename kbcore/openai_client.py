"""The one OpenAI client configuration every seam uses (sync, answer, check, eval).

Read once from the standard variables: ``OPENAI_API_KEY``, ``OPENAI_BASE_URL``,
``OPENAI_ORG_ID``, ``OPENAI_PROJECT_ID``. Each seam builds its client from
``ClientSettings.client_kwargs()``, so a key with several projects writes and reads the
same project (the SDK sends ``OpenAI-Organization`` and ``OpenAI-Project`` from them).
``OPENAI_PROJECT`` is not a variable the SDK knows; it is refused with a sentence rather
than silently ignored.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit, urlunsplit

from kbcore.errors import KbsyncError

MISSING_KEY = (
    "OPENAI_API_KEY is not set; export your key, or point OPENAI_BASE_URL "
    "at a sandbox (kbsync sandbox) with any key."
)


class ClientConfigError(KbsyncError):
    """An OpenAI client variable is missing or wrong; the message names it."""


@dataclass(frozen=True)
class ClientSettings:
    api_key: str | None = field(default=None, repr=False)
    base_url: str | None = None
    organization: str | None = None
    project: str | None = None

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> ClientSettings:
        environ = os.environ if env is None else env

        def text(name: str) -> str | None:
            return environ.get(name, "").strip() or None

        if text("OPENAI_PROJECT") and not text("OPENAI_PROJECT_ID"):
            raise ClientConfigError(
                "OPENAI_PROJECT is set but the OpenAI client reads OPENAI_PROJECT_ID; "
                "rename the variable to OPENAI_PROJECT_ID."
            )
        return cls(
            api_key=text("OPENAI_API_KEY"),
            base_url=text("OPENAI_BASE_URL"),
            organization=text("OPENAI_ORG_ID"),
            project=text("OPENAI_PROJECT_ID"),
        )

    def require_key(self) -> str:
        """The key, or ``ClientConfigError`` with the one sentence every seam prints."""
        if not self.api_key:
            raise ClientConfigError(MISSING_KEY)
        return self.api_key

    def client_kwargs(self, *, timeout: Any, placeholder_key: bool = False) -> dict[str, Any]:
        """Keyword arguments for ``openai.OpenAI``/``AsyncOpenAI``: never the SDK's retries
        (each seam retries itself) and never a variable the SDK would read on its own.

        ``placeholder_key``: a relay may start without a key under ``kbsync dev`` and say
        "not ready"; every other seam requires it."""
        api_key = self.api_key or ("missing-OPENAI_API_KEY" if placeholder_key else None)
        if api_key is None:
            api_key = self.require_key()
        return {
            "api_key": api_key,
            "base_url": self.base_url,
            "organization": self.organization,
            "project": self.project,
            "timeout": timeout,
            "max_retries": 0,
        }

    @property
    def shown_base_url(self) -> str:
        """The base URL for output: any ``user:password@`` is redacted."""
        return redact_url(self.base_url or "https://api.openai.com/v1")


def redact_url(url: str) -> str:
    """``url`` without credentials: ``https://u:p@host/`` → ``https://***@host/``."""
    parts = urlsplit(url)
    if "@" not in parts.netloc:
        return url
    host = parts.netloc.rsplit("@", 1)[1]
    return urlunsplit(parts._replace(netloc=f"***@{host}"))
