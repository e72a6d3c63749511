"""An in-process relay over a KB whose assistant.yaml turns leads on."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
from litestar.testing import TestClient

from relay._config import Config
from relay._token import PendingCall, TokenSigner
from relay.app import create_app
from testing.kb import write_kb
from testing.leads import LEADS_YAML
from testing.sandbox import API_KEY
from testing.waiting import wait_for

SECRET = "relay-test-secret-0123456789abcdef"
GOOD = {"name": "Anna", "phone": "8 916 123-45-67"}


def lead_kb(root: Path, settings: str = LEADS_YAML) -> Path:
    return write_kb(root / "kb", {"a.md": "# A\n\nThe club opens at 7.\n"}, settings=settings)


def token(kb_name: str = "club", pending: PendingCall | None = None, **kwargs: Any) -> str:
    return TokenSigner(SECRET).sign(kb_name, "conv_test", 1, pending=pending, **kwargs)


def offer(call_id: str = "call_1") -> PendingCall:
    return PendingCall(call_id, "offer_contact_form")


@contextmanager
def lead_relay(
    monkeypatch: pytest.MonkeyPatch,
    kb: Path,
    base_url: str,
    state_db: Path,
    env: dict[str, str] | None = None,
    **overrides: Any,
) -> Iterator[TestClient[Any]]:
    monkeypatch.setenv("STATE_DB", str(state_db))
    for name, value in (env or {}).items():
        monkeypatch.setenv(name, value)
    config = Config(
        openai_api_key=API_KEY,
        openai_base_url=base_url,
        kb_dir=kb,
        relay_secret=SECRET,
        **{"rate_limit": None, **overrides},
    )
    with TestClient(create_app(config), timeout=30) as http:
        wait_for(lambda: http.app.state.relay.spec.spec is not None, what="the spec loaded")
        yield http
