"""One response being generated, as the sequence of stream events of ``STREAMING.md``.

The same run serves ``stream: true`` (each event is sent) and ``stream: false`` (the
events are drained and the final Response returned), so both always agree.

Order: ``response.created``, ``response.in_progress``; for a reasoning model its
``reasoning`` item (added, done), whose tokens count toward ``max_output_tokens``: when
they use it all up, nothing else follows but ``response.incomplete``. With a
``file_search`` tool its
``file_search_call`` item (added, in_progress, searching, completed, done); then the
assistant message (added, content_part.added, ``output_text.delta``s with each
``annotation.added`` right after the delta that reaches its index, output_text.done,
content_part.done, done); then ``response.completed`` (or ``response.incomplete`` when
``max_output_tokens`` cut the text). A vector store that disappears between the request
and the search, or the ``stream_error`` fault, ends the stream the way production does:
an ``error`` event with the fields nested under ``error``, then ``response.failed``.
"""

from __future__ import annotations

import asyncio
import re
from collections.abc import AsyncGenerator
from contextlib import aclosing
from dataclasses import dataclass, field

from sandbox._answer import Answer, Citation, compose, hit_text, restore_layout, search
from sandbox._errors import ApiError
from sandbox._faults import Fault
from sandbox._items import item_text, output_text_part, present
from sandbox._model_rules import CONTEXT_MESSAGE
from sandbox._response_object import show, usage
from sandbox._sse import Dropped
from sandbox._state import JSON, Store, new_id, now
from sandbox._tokens import count_tokens
from sandbox._tools import Call, argument_deltas, call_item

WORDS_PER_DELTA = 3
# what the ``refusal`` and ``commentary`` fault kinds make the model say
REFUSAL = "I'm sorry, but I can't help with that request."
COMMENTARY = "Let me look that up in the documents first."
DELTAS_BEFORE_FAULT = 3
_DELTA = re.compile(r"\s*\S+\s*|\s+")


@dataclass
class Run:
    store: Store
    response: JSON
    context: list[JSON]
    input_items: list[JSON]
    question: str
    tool: JSON | None
    # the function the model calls instead of answering (``_tools.decide``)
    call: Call | None = None
    delay_s: float = 0.0
    fault: Fault | None = None
    # what a reasoning model spends before it answers (0: not a reasoning model)
    reasoning_tokens: int = 0
    # the model's context window (None: not checked once the response runs)
    context_tokens: int | None = None
    _sequence: int = field(default=0, init=False)
    # the file search's hits; None: no file_search tool was called
    _hits: list[JSON] | None = field(default=None, init=False)

    async def events(self) -> AsyncGenerator[JSON, None]:
        """The events; a run left unfinished (client gone, ``drop``) ends ``cancelled``."""
        try:
            async with aclosing(self._events()) as events:
                async for event in events:
                    yield event
        finally:
            if self.response["status"] == "in_progress":
                self.response["status"] = "cancelled"
                self._save()

    async def _events(self) -> AsyncGenerator[JSON, None]:
        response = self.response
        self._save()
        yield self._event("response.created", response=show(response))
        yield self._event("response.in_progress", response=show(response))
        budget = response.get("max_output_tokens")
        reasoning = min(self.reasoning_tokens, budget) if budget else self.reasoning_tokens
        if self.reasoning_tokens:
            async for event in self._reasoning():
                yield event
        if budget and reasoning >= budget:
            # the reasoning spent the whole budget: no search, no text (as upstream)
            response.update(status="incomplete", incomplete_details={"reason": "max_output_tokens"})
        elif self.call is not None:
            # a function call ends the turn: no search, no text
            async for event in self._function_call(self.call):
                yield event
        else:
            if self.fault is Fault.COMMENTARY:
                async for event in self._commentary():
                    yield event
            if self.tool is not None:
                async for event in self._file_search(self.tool):
                    yield event
                if response["status"] == "failed":
                    return
                if self._overflows():
                    async for event in self._fail(
                        "context_length_exceeded", CONTEXT_MESSAGE, "invalid_request_error"
                    ):
                        yield event
                    return
            answer = compose(self.question, self._hits, lambda hit: restore_layout(self.store, hit))
            text_budget = budget - reasoning if budget else None
            if self.fault is Fault.REFUSAL:
                answer = Answer(REFUSAL, [])
            async for event in self._message(answer, text_budget):
                yield event
            if response["status"] == "failed":
                return
        response["usage"] = usage(
            self._input_tokens(self._hits),
            reasoning + count_tokens(_answer_text(response)),
            reasoning,
        )
        if response["status"] == "in_progress":
            response.update(status="completed", completed_at=now())
            self._append_to_conversation()
        self._save()
        yield self._event(f"response.{response['status']}", response=show(response))

    async def _reasoning(self) -> AsyncGenerator[JSON, None]:
        """A reasoning model's ``reasoning`` item: added, then done at once (its content is
        never shown; upstream sends an empty summary unless one is asked for)."""
        index = len(self.response["output"])
        item: JSON = {"id": new_id("rs"), "type": "reasoning", "summary": []}
        yield self._event("response.output_item.added", output_index=index, item=dict(item))
        self.response["output"].append(item)
        yield self._event("response.output_item.done", output_index=index, item=dict(item))

    async def _file_search(self, tool: JSON) -> AsyncGenerator[JSON, None]:
        """The ``file_search_call`` item's events; keeps the hits in ``_hits``."""
        index = len(self.response["output"])
        fs: JSON = {
            "id": new_id("fs"),
            "type": "file_search_call",
            "status": "in_progress",
            "queries": [],
            "results": None,
        }
        where = {"output_index": index, "item_id": fs["id"]}
        yield self._event("response.output_item.added", output_index=index, item=dict(fs))
        yield self._event("response.file_search_call.in_progress", **where)
        yield self._event("response.file_search_call.searching", **where)
        await asyncio.sleep(self.delay_s)
        try:
            hits = search(self.store, tool, self.question)
        except ApiError as error:
            async for event in self._fail("vector_store_timeout", error.message):
                yield event
            return
        yield self._event("response.file_search_call.completed", **where)
        fs.update(status="completed", queries=[self.question], results=_results(hits))
        self.response["output"].append(fs)
        self._hits = hits
        yield self._event("response.output_item.done", output_index=index, item=self._show(fs))

    async def _function_call(self, call: Call) -> AsyncGenerator[JSON, None]:
        """The ``function_call`` item: added with empty arguments, the arguments in
        deltas, ``function_call_arguments.done``, then done."""
        index = len(self.response["output"])
        item = call_item(call)
        where = {"item_id": item["id"], "output_index": index}
        yield self._event("response.output_item.added", output_index=index, item=dict(item))
        for sent, delta in enumerate(argument_deltas(call.arguments)):
            if sent and self.delay_s:
                await asyncio.sleep(self.delay_s)
            yield self._event("response.function_call_arguments.delta", **where, delta=delta)
        yield self._event(
            "response.function_call_arguments.done",
            **where,
            name=call.name,
            arguments=call.arguments,
        )
        item.update(status="completed", arguments=call.arguments)
        self.response["output"].append(item)
        yield self._event("response.output_item.done", output_index=index, item=dict(item))

    async def _message(self, answer: Answer, budget: int | None) -> AsyncGenerator[JSON, None]:
        text, citations = _limit(answer, budget)
        index = len(self.response["output"])
        message: JSON = {
            "id": new_id("msg"),
            "type": "message",
            "status": "in_progress",
            "role": "assistant",
            "content": [],
        }
        if self.fault is Fault.COMMENTARY:
            message["phase"] = "final_answer"
        where = {"item_id": message["id"], "output_index": index, "content_index": 0}
        yield self._event("response.output_item.added", output_index=index, item=dict(message))
        if self.fault is Fault.REFUSAL:
            async for event in self._refusal(message, where):
                yield event
            return
        yield self._event("response.content_part.added", **where, part=output_text_part(""))
        annotations: list[JSON] = []
        reached = 0
        deltas = _deltas(text, [c.index for c in citations])
        cut = min(DELTAS_BEFORE_FAULT, len(deltas) - 1)
        for sent, delta in enumerate(deltas):
            if sent and self.delay_s:
                await asyncio.sleep(self.delay_s)
            if sent == cut and self.fault is Fault.DROP:
                raise Dropped
            if sent == cut and self.fault is Fault.STREAM_ERROR:
                reason = "The server had an error while processing your request (sandbox fault)."
                async for event in self._fail("server_error", reason):
                    yield event
                return
            yield self._event("response.output_text.delta", **where, delta=delta, logprobs=[])
            reached += len(delta)
            for citation in citations:
                if citation.index == reached:
                    annotations.append(citation.annotation())
                    yield self._event(
                        "response.output_text.annotation.added",
                        **where,
                        annotation_index=len(annotations) - 1,
                        annotation=citation.annotation(),
                    )
        part = output_text_part(text, annotations)
        yield self._event("response.output_text.done", **where, text=text, logprobs=[])
        yield self._event("response.content_part.done", **where, part=part)
        status = "completed" if text == answer.text else "incomplete"
        message.update(status=status, content=[part])
        self.response["output"].append(message)
        if status == "incomplete":
            self.response.update(
                status="incomplete", incomplete_details={"reason": "max_output_tokens"}
            )
        yield self._event("response.output_item.done", output_index=index, item=dict(message))

    async def _refusal(self, message: JSON, where: JSON) -> AsyncGenerator[JSON, None]:
        """The model declines: a ``refusal`` content part, streamed as refusal deltas."""
        yield self._event("response.content_part.added", **where, part=_refusal_part(""))
        for delta in _deltas(REFUSAL, []):
            yield self._event("response.refusal.delta", **where, delta=delta)
        yield self._event("response.refusal.done", **where, refusal=REFUSAL)
        part = _refusal_part(REFUSAL)
        yield self._event("response.content_part.done", **where, part=part)
        message.update(status="completed", content=[part])
        self.response["output"].append(message)
        yield self._event(
            "response.output_item.done", output_index=where["output_index"], item=dict(message)
        )

    def _overflows(self) -> bool:
        """Whether the file_search results push what the model reads over its context
        window: upstream then fails the response mid-stream (an ``error`` event), since
        the request itself fitted. Under ``truncation: auto`` the conversation's older
        items could still be dropped; the instructions, the input and the results not."""
        if self.context_tokens is None:
            return False
        texts = [self.response.get("instructions") or ""]
        if self.response.get("truncation") != "auto":
            texts += [item_text(item) for item in self.context]
        texts += [item_text(item) for item in self.input_items]
        texts += [hit_text(hit) for hit in self._hits or []]
        return sum(count_tokens(text) for text in texts) > self.context_tokens

    async def _commentary(self) -> AsyncGenerator[JSON, None]:
        """A preamble in the ``commentary`` phase before the tool call, as newer models send
        it: an assistant message that is not the answer."""
        index = len(self.response["output"])
        message: JSON = {
            "id": new_id("msg"),
            "type": "message",
            "status": "in_progress",
            "role": "assistant",
            "phase": "commentary",
            "content": [],
        }
        where = {"item_id": message["id"], "output_index": index, "content_index": 0}
        yield self._event("response.output_item.added", output_index=index, item=dict(message))
        yield self._event("response.content_part.added", **where, part=output_text_part(""))
        yield self._event("response.output_text.delta", **where, delta=COMMENTARY, logprobs=[])
        part = output_text_part(COMMENTARY)
        yield self._event("response.output_text.done", **where, text=COMMENTARY, logprobs=[])
        yield self._event("response.content_part.done", **where, part=part)
        message.update(status="completed", content=[part])
        self.response["output"].append(message)
        yield self._event("response.output_item.done", output_index=index, item=dict(message))

    async def _fail(
        self, code: str, message: str, kind: str = "server_error"
    ) -> AsyncGenerator[JSON, None]:
        error = {"type": kind, "code": code, "message": message, "param": None}
        yield self._event("error", error=error)
        self.response.update(status="failed", error={"code": code, "message": message})
        self._save()
        yield self._event("response.failed", response=show(self.response))

    def _event(self, kind: str, **fields: object) -> JSON:
        event: JSON = {"type": kind, "sequence_number": self._sequence, **fields}
        self._sequence += 1
        return event

    def _show(self, item: JSON) -> JSON:
        return present(item, self.response.get("_include"))

    def _input_tokens(self, hits: list[JSON] | None) -> int:
        texts = [self.response.get("instructions") or ""]
        texts += [item_text(item) for item in [*self.context, *self.input_items]]
        texts += [hit_text(hit) for hit in hits or []]
        return sum(count_tokens(text) for text in texts)

    def _save(self) -> None:
        if self.response["store"]:
            self.store.responses[self.response["id"]] = self.response
            self.store.response_input_items[self.response["id"]] = self.input_items
            self.store.changed()

    def _append_to_conversation(self) -> None:
        conversation = self.response.get("conversation")
        if conversation is None:
            return
        items = self.store.conversation_items.get(conversation["id"])
        if items is not None:
            items += [*self.input_items, *self.response["output"]]
            self.store.changed()


def _refusal_part(text: str) -> JSON:
    return {"type": "refusal", "refusal": text}


def _limit(answer: Answer, budget: int | None) -> tuple[str, list[Citation]]:
    """The answer cut at ``budget`` tokens (approximated as in ``count_tokens``)."""
    if budget is None or count_tokens(answer.text) <= budget:
        return answer.text, answer.citations
    text = ""
    for piece in _DELTA.findall(answer.text):
        if count_tokens(text + piece) > budget:
            break
        text += piece
    text = text.rstrip()
    return text, [c for c in answer.citations if c.index <= len(text)]


def _results(hits: list[JSON]) -> list[JSON]:
    return [
        {
            "file_id": hit["file_id"],
            "filename": hit.get("filename", ""),
            "score": hit.get("score", 0.0),
            "text": hit_text(hit),
            "attributes": hit.get("attributes") or {},
        }
        for hit in hits
    ]


def _answer_text(response: JSON) -> str:
    spoken = ("message", "function_call")
    return "".join(item_text(item) for item in response["output"] if item["type"] in spoken)


def _deltas(text: str, stops: list[int]) -> list[str]:
    """A few words per delta; a delta always ends at each citation index."""
    deltas: list[str] = []
    start = 0
    for stop in sorted({*stops, len(text)}):
        pieces = _DELTA.findall(text[start:stop])
        deltas += [
            "".join(pieces[i : i + WORDS_PER_DELTA]) for i in range(0, len(pieces), WORDS_PER_DELTA)
        ]
        start = stop
    return [delta for delta in deltas if delta]
