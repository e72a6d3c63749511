"""One client for a running sandbox: its control surface (``/_sandbox/*``) and its API.

Functions take anything with a ``url`` (a ``Server``, a ``Sandbox``) or the URL itself.
``Sandbox`` adds an SDK client and what the harnesses read of the store, with the
product's own rules for which store is the KB's and which uploads are orphans.
"""

from __future__ import annotations

import json
import urllib.request
from typing import Any, Protocol

import openai

from kbcore import wire
from kbcore.store import StoreRef, choose_store
from testing.waiting import wait_for

API_KEY = "sk-test-kbsync-0123456789"


class Located(Protocol):
    @property
    def url(self) -> str: ...


def _base(target: Located | str) -> str:
    return (target if isinstance(target, str) else target.url).rstrip("/")


def sandbox_call(
    target: Located | str, method: str, path: str, body: Any = None, *, timeout: float = 30
) -> Any:
    """A JSON call to the sandbox: its control surface (``/_sandbox``) or its API (``/v1``)."""
    data = None if body is None else json.dumps(body).encode()
    headers = {"Content-Type": "application/json", "Authorization": f"Bearer {API_KEY}"}
    request = urllib.request.Request(
        _base(target) + path, data=data, method=method, headers=headers
    )
    with urllib.request.urlopen(request, timeout=timeout) as response:
        return json.loads(response.read() or b"null")


def set_faults(target: Located | str, **settings: Any) -> dict[str, Any]:
    """Replace the whole fault configuration (what is not named is off); returns it.

    ``set_faults(s)`` switches every fault off; ``set_faults(s, rate=1.0, kinds=["500"])``."""
    applied: dict[str, Any] = sandbox_call(target, "POST", "/_sandbox/faults", settings)
    return applied


def fail_every(target: Located | str, kind: str, **settings: Any) -> dict[str, Any]:
    """Every API request meets the fault ``kind`` (seeded, so runs repeat)."""
    return set_faults(target, rate=1.0, kinds=[kind], seed=1, **settings)


def reset(target: Located | str) -> None:
    """No state, no counters, no faults, the default model table."""
    sandbox_call(target, "POST", "/_sandbox/reset", {})


def stats(target: Located | str) -> dict[str, Any]:
    """``GET /_sandbox/stats``: ``total``, ``requests`` by route, ``streams``."""
    counted: dict[str, Any] = sandbox_call(target, "GET", "/_sandbox/stats")
    return counted


def stream_counts(target: Located | str) -> dict[str, int]:
    """Response streams so far: ``open`` now, ``completed``, ``aborted``."""
    counts: dict[str, int] = stats(target)["streams"]
    return counts


def wait_for_streams(target: Located | str, expected: dict[str, int]) -> None:
    """Until the stream counts are ``expected`` (a stream's end is counted after its
    response has gone, and after the conversation it held is free again)."""
    wait_for(lambda: stream_counts(target) == expected, timeout=5, what=f"streams {expected}")
    assert stream_counts(target) == expected


def requests_log(target: Located | str, limit: int | None = None) -> list[dict[str, Any]]:
    """The requests the sandbox logged, oldest first (the last ``limit`` of them)."""
    query = "" if limit is None else f"?limit={limit}"
    logged: list[dict[str, Any]] = sandbox_call(target, "GET", "/_sandbox/requests" + query)[
        "requests"
    ]
    return logged


def only_model(
    target: Located | str, model_id: str, *, reasoning: bool = False, context_tokens: int = 16000
) -> None:
    """Replace the sandbox's model table with the one model ``model_id``."""
    entry = {"id": model_id, "reasoning": reasoning, "context_tokens": context_tokens}
    sandbox_call(target, "POST", "/_sandbox/models", {"models": [entry]})


class Sandbox:
    """A running sandbox at ``url``: the calls above, an SDK client, and the store."""

    def __init__(self, url: str) -> None:
        self.url = url.rstrip("/")
        self.client = openai.OpenAI(
            api_key=API_KEY, base_url=self.url + "/v1", max_retries=0, timeout=30
        )

    def call(self, method: str, path: str, body: Any = None) -> Any:
        return sandbox_call(self, method, path, body)

    def reset(self) -> None:
        reset(self)

    def faults(self, **settings: Any) -> None:
        set_faults(self, **settings)

    def total(self) -> int:
        total: int = stats(self)["total"]
        return total

    def store_files(self, store_id: str) -> list[dict[str, Any]]:
        """Every file of the store, straight from the HTTP API (all pages)."""
        files: list[dict[str, Any]] = []
        after = ""
        while True:
            page = self.call(
                "GET", f"/v1/vector_stores/{store_id}/files?limit=100&order=asc{after}"
            )
            files += page["data"]
            if not page["has_more"] or not page["data"]:
                return files
            after = f"&after={page['data'][-1]['id']}"

    def uploads(self) -> list[dict[str, Any]]:
        data: list[dict[str, Any]] = self.call("GET", "/v1/files?purpose=assistants&limit=10000")[
            "data"
        ]
        return data

    def store_id(self, kb_name: str) -> str | None:
        """The KB's store, chosen by the product's rule (``kbcore.store``)."""
        listed = self.call("GET", "/v1/vector_stores?limit=100")["data"]
        refs = (StoreRef(s["id"], s.get("metadata") or {}) for s in listed)
        chosen = choose_store(kb_name, refs)
        return chosen.id if chosen else None

    def orphans(self, store_id: str) -> list[str]:
        """The store's orphaned uploads, by the product's rule (``kbcore.wire.orphans``)."""
        uploads = ((f["id"], f["filename"]) for f in self.uploads())
        attached = (f["id"] for f in self.store_files(store_id))
        return list(wire.orphans(uploads, store_id, attached))
