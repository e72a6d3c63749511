"""The one seam between the sinks and the network: a request in, a status and body out.

Failures are translated once, here: a refused or unreachable connection is
``SinkRetry`` (nothing was sent), a timeout or a connection cut after the request went
out is ``SinkRetry`` too (the sink may have acted: its next attempt must look before it
adds again). Tests pass another ``Transport`` (or point the URLs at the sandbox).
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol

import httpx2

from leads._errors import SinkRetry

TIMEOUT = 10.0  # seconds per request (LEADS_SINK_TIMEOUT)


@dataclass(frozen=True)
class Request:
    method: str
    url: str
    headers: Mapping[str, str] = field(default_factory=dict)
    body: bytes | None = None

    @classmethod
    def json(
        cls, method: str, url: str, payload: Any, headers: Mapping[str, str] | None = None
    ) -> Request:
        body = json.dumps(payload, ensure_ascii=False, separators=(",", ":")).encode()
        all_headers = {"Content-Type": "application/json", **(headers or {})}
        return cls(method, url, all_headers, body)


@dataclass(frozen=True)
class Response:
    status: int
    headers: Mapping[str, str]
    body: bytes

    def json(self) -> Any:
        """The body as JSON, or ``None`` when it is not JSON."""
        try:
            return json.loads(self.body)
        except ValueError:
            return None

    def retry_after(self) -> float | None:
        raw = self.headers.get("retry-after", "")
        try:
            return max(0.0, float(raw))
        except ValueError:
            return None


class Transport(Protocol):
    async def send(self, request: Request) -> Response: ...

    async def aclose(self) -> None: ...


class HttpTransport:
    """The real network, through one pooled ``httpx2`` client."""

    def __init__(self, *, timeout: float = TIMEOUT) -> None:
        self._client = httpx2.AsyncClient(
            timeout=httpx2.Timeout(timeout, connect=min(5.0, timeout)),
            follow_redirects=False,
            headers={"User-Agent": "kbsync-leads"},
        )

    async def send(self, request: Request) -> Response:
        try:
            reply = await self._client.request(
                request.method, request.url, headers=dict(request.headers), content=request.body
            )
        except httpx2.ConnectError as exc:
            raise SinkRetry(f"cannot connect ({type(exc).__name__})") from exc
        except httpx2.TimeoutException as exc:
            raise SinkRetry(f"no answer in time ({type(exc).__name__})") from exc
        except httpx2.HTTPError as exc:
            raise SinkRetry(f"the connection failed ({type(exc).__name__})") from exc
        return Response(
            reply.status_code, {k.lower(): v for k, v in reply.headers.items()}, reply.content
        )

    async def aclose(self) -> None:
        await self._client.aclose()
