"""One turn of a conversation, channel-free: the spec, the variant, the conversation (or
none yet), the visitor's input and the outputs of any pending tool calls in; a stream of
``answer`` events out.

The first word comes after one upstream round trip, on the first turn too: a first turn
is answered without a conversation while the conversation is created beside it, and the
turn's items are added to the conversation once the answer is complete, so the
conversation stays the state of record for every later turn.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncGenerator, Sequence
from dataclasses import dataclass, field
from typing import Any

from answer._errors import UpstreamError
from answer._events import AnswerEvent, Completed, TextDelta, ToolCalled
from answer._request import ToolOutput, answer_body, encode_json, input_items
from answer._upstream import Answer, Upstream
from kbcore.kb import AssistantSpec

log = logging.getLogger("kbsync.answer")


@dataclass(frozen=True)
class Turn:
    spec: AssistantSpec
    vector_store_id: str
    conversation_id: str | None  # None: the first turn of a new conversation
    message: str
    variant: str | None = None  # "main" or None: instructions.md
    tool_outputs: Sequence[ToolOutput] = field(default_factory=tuple)


class OpenTurn:
    """A started answer: ``conversation_id`` is known; iterate ``batches()``, always
    ``aclose()``."""

    def __init__(
        self,
        upstream: Upstream,
        answer: Answer,
        conversation_id: str,
        first_items: list[dict[str, Any]] | None,
    ) -> None:
        self.conversation_id = conversation_id
        self._upstream = upstream
        self._answer = answer
        self._first_items = first_items  # the first turn's input, to record once answered

    async def batches(self) -> AsyncGenerator[list[AnswerEvent], None]:
        text: list[str] = []
        calls: list[ToolCalled] = []
        async for batch in self._answer.batches():
            if self._first_items is not None:
                for event in batch:
                    if isinstance(event, TextDelta):
                        text.append(event.text)
                    elif isinstance(event, ToolCalled):
                        calls.append(event)
                    elif isinstance(event, Completed):
                        await self._record_first_turn("".join(text), calls)
            yield batch

    async def events(self) -> AsyncGenerator[AnswerEvent, None]:
        async for batch in self.batches():
            for event in batch:
                yield event

    async def aclose(self) -> None:
        await self._answer.aclose()

    async def _record_first_turn(self, text: str, calls: list[ToolCalled]) -> None:
        items = list(self._first_items or ())
        self._first_items = None
        if text:
            items.append({"type": "message", "role": "assistant", "content": text})
        items += [
            {
                "type": "function_call",
                "call_id": call.call_id,
                "name": call.name,
                "arguments": encode_json(dict(call.arguments)).decode(),
            }
            for call in calls
        ]
        try:
            await self._upstream.add_items(self.conversation_id, items)
        except UpstreamError as exc:
            # The answer itself stands; the next turn sees a conversation without it.
            log.warning("could not record the first turn in its conversation: %s", exc)


class Engine:
    """The answer engine over one upstream client (``Upstream``)."""

    def __init__(self, upstream: Upstream) -> None:
        self.upstream = upstream

    async def start(self, turn: Turn) -> OpenTurn:
        """Start ``turn``'s answer; errors before the first byte raise ``UpstreamError``."""
        body = answer_body(turn.spec, turn.vector_store_id, turn.variant)
        sent = input_items(turn.message, turn.tool_outputs)
        if turn.conversation_id is not None:
            answer = await self.upstream.open_answer(body, sent, turn.conversation_id)
            return OpenTurn(self.upstream, answer, turn.conversation_id, None)
        creating = asyncio.ensure_future(self.upstream.create_conversation(turn.spec.name))
        try:
            answer = await self.upstream.open_answer(body, sent, None)
        except BaseException:
            creating.cancel()
            with contextlib.suppress(BaseException):
                await creating
            raise
        try:
            conversation_id = await creating
        except BaseException:
            await answer.aclose()
            raise
        first = [{"type": "message", "role": "user", "content": turn.message}]
        return OpenTurn(self.upstream, answer, conversation_id, first)
