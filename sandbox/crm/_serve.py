"""One request to a fake: record it, deal its fault, do the work, answer (or not)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from litestar.types import Receive, Scope, Send

from sandbox.crm._state import CrmState, crm_of
from sandbox.crm._wire import cut, hang, read_body, reply


@dataclass(frozen=True)
class Answer:
    status: int
    body: Any
    media_type: str = "application/json"
    headers: dict[str, str] = field(default_factory=dict)


Handle = Callable[[CrmState, Scope, bytes], Answer]


@dataclass(frozen=True)
class Fake:
    """A fake's name and its service's own error shapes for the ``500`` and ``400`` faults."""

    name: str
    server_error: Answer
    refused: Answer

    async def serve(self, scope: Scope, receive: Receive, send: Send, handle: Handle) -> None:
        crm = crm_of(dict(scope))
        body = await read_body(receive)
        fault = crm.pick(self.name)
        crm.record(self.name, dict(scope), body, fault)
        if fault == "timeout":
            await hang(receive)
            return
        if fault in ("500", "400"):
            answer = self.server_error if fault == "500" else self.refused
        else:
            answer = handle(crm, scope, body)  # the work is done even when the reply is lost
            if fault == "drop_reply":
                await cut(send)
                return
        await reply(
            send, answer.status, answer.body, media_type=answer.media_type, headers=answer.headers
        )
