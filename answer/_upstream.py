"""The answer engine's one seam to OpenAI: the async client, error translation, decoding.

The rest of the engine and the channels see only ``answer._events`` values and
``UpstreamError``s; never ``openai`` types, ``httpx2`` or raw JSON. Upstream messages
are not passed on (they can echo request details); errors carry a status, a code and
our own sentence.
"""

from __future__ import annotations

import re
import ssl
from collections.abc import AsyncGenerator, Callable, Mapping
from typing import Any

import anyio
import httpx2
import msgspec
import openai
from openai import AsyncOpenAI

from answer._errors import (
    ConversationBusy,
    ConversationGone,
    ParameterRefused,
    UpstreamError,
    UpstreamQuota,
    UpstreamRateLimited,
    UpstreamRejected,
    UpstreamTimeout,
    UpstreamUnavailable,
    VectorStoreGone,
)
from answer._events import AnswerEvent, Cited, Completed, Searched, TextDelta, ToolCalled
from answer._request import AnswerBody, encode_json
from kbcore.openai_client import ClientSettings
from kbcore.quota import is_quota_code, is_quota_error
from kbcore.store import StoreRef, check_chosen, choose_store, missing_chosen
from kbcore.wire import KB_NAME

Translate = Callable[[openai.OpenAIError], UpstreamError]


class Answer:
    """An open upstream response stream; iterate ``batches()`` (or ``events()``), always
    ``aclose()``.

    The SSE body is decoded here rather than by the SDK: the SDK validates every event
    into a typed model, which costs more than the rest of the relay's work per event
    and sits directly on the time to the first token. Events arrive in batches, one per
    network read, so that the relay forwards what arrived together in one write."""

    def __init__(self, response: httpx2.Response, translate: Translate) -> None:
        self._response = response
        self._translate_error = translate

    async def batches(self) -> AsyncGenerator[list[AnswerEvent], None]:
        decoder = SseDecoder()
        hidden: set[str] = set()  # ids of commentary-phase items: not the answer
        try:
            async for chunk in self._response.aiter_bytes():
                if batch := _translated(decoder.feed(chunk), hidden):
                    yield batch
                if decoder.done:
                    return
            if batch := _translated(decoder.finish(), hidden):
                yield batch
        except _Translated as failed:
            if failed.batch:
                yield failed.batch  # what came before the error, then the error
            raise failed.error from failed.error.__cause__
        except UpstreamError:
            raise
        except httpx2.TimeoutException as exc:
            raise UpstreamTimeout("The upstream API stopped sending the answer.") from exc
        except (httpx2.RequestError, ssl.SSLError, anyio.EndOfStream) as exc:
            raise UpstreamUnavailable("The upstream API dropped the connection.") from exc
        except openai.OpenAIError as exc:
            raise self._translate_error(exc) from exc
        except (ValueError, KeyError, TypeError, AttributeError, msgspec.DecodeError) as exc:
            raise UpstreamError("The upstream API sent a malformed event.") from exc

    async def events(self) -> AsyncGenerator[AnswerEvent, None]:
        async for batch in self.batches():
            for event in batch:
                yield event

    async def aclose(self) -> None:
        await self._response.aclose()


class _Translated(Exception):
    def __init__(self, batch: list[AnswerEvent], error: UpstreamError) -> None:
        self.batch, self.error = batch, error


def _translated(decoded: list[dict[str, Any]], hidden: set[str]) -> list[AnswerEvent]:
    batch: list[AnswerEvent] = []
    for data in decoded:
        try:
            batch.extend(_translate(data, hidden))
        except UpstreamError as exc:
            raise _Translated(batch, exc) from exc
    return batch


_LINE_END = re.compile(rb"\r\n|\r|\n")
_decode_json = msgspec.json.Decoder().decode


class SseDecoder:
    """Server-sent events → the JSON ``data`` of each (comments, ``event:``, ``id:`` skipped).

    Lines end at CRLF, LF or CR only. Not httpx's ``iter_lines()``: it splits like
    ``str.splitlines``, also at U+0085, U+2028, U+2029 and a few controls, which the
    upstream may send unescaped inside a JSON ``data:`` line (model text can hold them);
    the cut line is then malformed JSON. ``[DONE]`` ends the stream (``done``)."""

    def __init__(self) -> None:
        self._buffer = b""
        self._data: list[bytes] = []
        self.done = False

    def feed(self, chunk: bytes) -> list[dict[str, Any]]:
        buffer = self._buffer + chunk
        decoded: list[dict[str, Any]] = []
        start = 0
        for end in _LINE_END.finditer(buffer):
            if end.group() == b"\r" and end.end() == len(buffer):
                break  # perhaps the first half of a CRLF split across chunks
            self._line(buffer[start : end.start()], decoded)
            start = end.end()
        self._buffer = buffer[start:]
        return decoded

    def finish(self) -> list[dict[str, Any]]:
        decoded: list[dict[str, Any]] = []
        if self._buffer:
            self._line(self._buffer.removesuffix(b"\r"), decoded)
            self._buffer = b""
        if self._data:
            self._dispatch(decoded)
        return decoded

    def _line(self, line: bytes, decoded: list[dict[str, Any]]) -> None:
        if self.done:
            return
        if line.startswith(b"data:"):
            self._data.append(line[6:] if line.startswith(b"data: ") else line[5:])
        elif not line and self._data:
            self._dispatch(decoded)

    def _dispatch(self, decoded: list[dict[str, Any]]) -> None:
        payload = b"\n".join(self._data)
        self._data.clear()
        if payload.strip() == b"[DONE]":
            self.done = True
            return
        value = _decode_json(payload)  # msgspec: several times json's speed on these
        if isinstance(value, dict):
            decoded.append(value)


class Upstream:
    """``operator=True`` (the command line, ``answer.ask``): errors carry OpenAI's own words
    and a refused parameter is a ``ParameterRefused``; the relay's visitors get neither."""

    def __init__(
        self,
        settings: ClientSettings,
        *,
        timeout: float,
        operator: bool = False,
        connections: int = 100,
    ) -> None:
        # Every open stream holds one connection; keep them all for reuse (the SDK's
        # default keeps 100 and reconnects beyond), so that a new answer rarely connects.
        limits = httpx2.Limits(max_connections=connections, max_keepalive_connections=connections)
        self._client = AsyncOpenAI(
            # A relay may start without a key (under kbsync dev) and say "not ready".
            **settings.client_kwargs(timeout=timeout, placeholder_key=not operator),
            http_client=openai.DefaultAsyncHttpxClient(limits=limits, timeout=timeout),
        )
        self._operator = operator

    def _error(self, exc: openai.OpenAIError) -> UpstreamError:
        error = _translate_error(exc)
        if not self._operator or not isinstance(exc, openai.APIStatusError):
            return error
        said = _said(exc)
        if exc.status_code == 400 and isinstance(param := _body(exc).get("param"), str):
            return ParameterRefused(param, said or "no message")
        sentence = f"{error} OpenAI said: {said}" if said else str(error)
        return type(error)(sentence, retry_after=error.retry_after)

    async def aclose(self) -> None:
        await self._client.close()

    async def find_vector_store(self, kb_name: str, vector_store_id: str | None) -> str | None:
        """The KB's vector store id by ``kbcore.store``'s rule; ``None`` when there is none.

        Raises ``StoreChoiceError`` (the rule refuses) or ``UpstreamError``."""
        try:
            if vector_store_id:
                try:
                    store = await self._client.vector_stores.retrieve(vector_store_id)
                except openai.NotFoundError:
                    raise missing_chosen(vector_store_id) from None
                return check_chosen(kb_name, _ref(store)).id
            stores = [_ref(store) async for store in self._client.vector_stores.list(limit=100)]
        except openai.OpenAIError as exc:
            raise self._error(exc) from exc
        chosen = choose_store(kb_name, stores)
        return chosen.id if chosen else None

    async def create_conversation(self, kb_name: str) -> str:
        try:
            conversation = await self._client.conversations.create(metadata={KB_NAME: kb_name})
        except openai.OpenAIError as exc:
            raise self._error(exc) from exc
        return conversation.id

    async def add_items(self, conversation_id: str, items: list[dict[str, Any]]) -> None:
        """Append ``items`` to the conversation (the first turn's, answered without it)."""
        body = encode_json({"items": items})
        try:
            response = await self._client.post(
                f"/conversations/{conversation_id}/items", content=body, cast_to=httpx2.Response
            )
        except openai.OpenAIError as exc:
            raise self._error(exc) from exc
        await response.aclose()

    async def said(self, conversation_id: str, limit: int = 20) -> list[tuple[str, str]]:
        """The conversation's last ``limit`` messages as ``(role, text)``, oldest first:
        what a person taking it over reads first (a hand-off's transcript)."""
        try:
            page = await self._client.conversations.items.list(
                conversation_id, limit=limit, order="desc"
            )
        except openai.OpenAIError as exc:
            raise self._error(exc) from exc
        said: list[tuple[str, str]] = []
        for item in page.data:
            if getattr(item, "type", None) != "message":
                continue
            content = getattr(item, "content", None) or []
            parts = [content] if isinstance(content, str) else content
            text = "".join(p if isinstance(p, str) else getattr(p, "text", "") or "" for p in parts)
            said.append((str(getattr(item, "role", "")), text))
        return said[::-1]

    async def open_answer(
        self, body: AnswerBody, input: Any, conversation_id: str | None
    ) -> Answer:
        """Start the streamed response; errors before the first byte raise here.

        Sent through the SDK's own client (auth, base URL, headers, status errors), with
        the body already encoded (``answer._request``): ``responses.create`` would
        transform and validate every parameter again on each call."""
        content = body.encode(input, conversation_id)
        try:
            response = await self._client.post(
                "/responses", content=content, cast_to=httpx2.Response, stream=True
            )
        except openai.NotFoundError as exc:
            if _about(exc, "conversation"):
                raise ConversationGone(
                    "The conversation no longer exists; start a new conversation."
                ) from exc
            if _about(exc, "vector store") or _about(exc, "vector_store"):
                raise VectorStoreGone(
                    "The knowledge base is being set up again; try again shortly.",
                    retry_after=5,
                ) from exc
            raise self._error(exc) from exc
        except openai.OpenAIError as exc:
            raise self._error(exc) from exc
        return Answer(response, self._error)

    async def probe(self, params: Mapping[str, object], question: str) -> None:
        """One small non-streamed request with exactly ``params``; raises if refused."""
        body = encode_json({**params, "input": question})
        try:
            response = await self._client.post("/responses", content=body, cast_to=httpx2.Response)
        except openai.OpenAIError as exc:
            raise self._error(exc) from exc
        await response.aclose()

    async def file_attributes(
        self, vector_store_id: str, file_id: str
    ) -> Mapping[str, object] | None:
        """The vector-store file's attributes; ``None`` when it cannot be read now."""
        try:
            file = await self._client.vector_stores.files.retrieve(
                file_id, vector_store_id=vector_store_id
            )
        except openai.OpenAIError:
            return None
        return dict(file.attributes or {})


def _ref(store: Any) -> StoreRef:
    return StoreRef(str(store.id), dict(store.metadata or {}))


def _translate(event: dict[str, Any], hidden: set[str] | None = None) -> list[AnswerEvent]:
    """One upstream event → the engine's events. An assistant message in the
    ``commentary`` phase (a model's preamble before its tool calls) is not the answer:
    its text and citations are dropped (``hidden`` keeps its id for the stream's rest).
    A refusal is the model's answer to the visitor, so its text is shown as text."""
    kind = event.get("type")
    hidden = set() if hidden is None else hidden
    if kind == "response.output_item.added":
        item = event.get("item") or {}
        if item.get("phase") == "commentary" and item.get("id"):
            hidden.add(str(item["id"]))
        return []
    if event.get("item_id") in hidden:
        return []
    if kind in ("response.output_text.delta", "response.refusal.delta"):
        delta = event["delta"]
        return [TextDelta(delta)] if delta else []
    if kind == "response.output_text.annotation.added":
        annotation = event["annotation"]
        if annotation.get("type") == "file_citation":
            return [Cited(str(annotation["file_id"]), str(annotation.get("filename") or ""))]
        return []
    if kind == "response.output_item.done" and event["item"].get("type") == "file_search_call":
        found: list[AnswerEvent] = []
        for result in event["item"].get("results") or ():
            attributes = result.get("attributes")
            score = result.get("score")
            found.append(
                Searched(
                    str(result.get("file_id") or ""),
                    attributes if isinstance(attributes, dict) else None,
                    float(score) if isinstance(score, int | float) else None,
                )
            )
        return found
    if kind == "response.output_item.done" and event["item"].get("type") == "function_call":
        item = event["item"]
        try:
            arguments = _decode_json(item.get("arguments") or "{}")
        except msgspec.DecodeError:
            arguments = {}
        return [
            ToolCalled(
                str(item["call_id"]),
                str(item.get("name") or ""),
                arguments if isinstance(arguments, dict) else {},
            )
        ]
    if kind in ("response.completed", "response.incomplete"):
        # An incomplete answer (max_output_tokens) is still an answer: done, saying why.
        response = event["response"]
        usage = response.get("usage") or {}
        incomplete = None
        if kind == "response.incomplete":
            details = response.get("incomplete_details") or {}
            incomplete = str(details.get("reason") or "max_output_tokens")
        return [
            Completed(
                str(response["id"]),
                int(usage.get("input_tokens") or 0),
                int(usage.get("output_tokens") or 0),
                incomplete,
            )
        ]
    if kind == "response.failed":
        error = event["response"].get("error") or {}
        raise _stream_error(error.get("code"))
    if kind == "error" or event.get("error"):
        # The documented flat shape, or the nested one the live API sends.
        nested = event.get("error")
        code = event.get("code") or (nested.get("code") if isinstance(nested, dict) else None)
        raise _stream_error(code)
    return []


_BUSY = "An answer in this conversation is still running; try again in a moment."
_BUSY_RETRY = 2  # seconds: the lock lasts as long as the running answer
_QUOTA = "The assistant is unavailable: its API quota is used up. Try again later."
CONVERSATION_LOCKED = "conversation_locked"
CONTEXT_TOO_LONG = "context_length_exceeded"
_TOO_LONG = "The conversation is too long for the assistant's model; start a new conversation."


def _stream_error(code: object) -> UpstreamError:
    if code == CONVERSATION_LOCKED:
        return ConversationBusy(_BUSY, retry_after=_BUSY_RETRY)
    if code == CONTEXT_TOO_LONG:  # mid-stream (the file_search results), as before it
        return UpstreamRejected(_TOO_LONG)
    if is_quota_code(code):
        return UpstreamQuota(_QUOTA)
    return UpstreamError(f"The answer failed upstream ({code or 'no code'}).")


def _body(exc: openai.APIStatusError) -> dict[str, Any]:
    body = exc.body
    if isinstance(body, dict) and isinstance(body.get("error"), dict):
        body = body["error"]  # the SDK usually unwraps it; a proxy may not have
    return body if isinstance(body, dict) else {}


def _said(exc: openai.APIStatusError) -> str | None:
    message = _body(exc).get("message")
    return message.strip() if isinstance(message, str) and message.strip() else None


def _about(exc: openai.APIStatusError, subject: str) -> bool:
    body = _body(exc)
    param, message = body.get("param"), body.get("message")
    return param == subject or (isinstance(message, str) and subject in message.lower())


def _retry_after(exc: openai.APIStatusError) -> int | None:
    raw = exc.response.headers.get("retry-after")
    try:
        return max(1, round(float(raw))) if raw else None
    except ValueError:
        return None


def _translate_error(exc: openai.OpenAIError) -> UpstreamError:
    """Translate once, at the seam; the message names the status, never echoes the body."""
    if isinstance(exc, openai.APITimeoutError):
        return UpstreamTimeout("The upstream API did not answer in time.")
    if isinstance(exc, openai.APIConnectionError):
        return UpstreamUnavailable("The upstream API could not be reached.")
    if isinstance(exc, openai.APIStatusError) and is_quota_error(exc):
        # A 429 that is not a rate limit: waiting a second cannot help (never "retry in 1 s").
        return UpstreamQuota(_QUOTA)
    if isinstance(exc, openai.APIStatusError) and exc.code == CONVERSATION_LOCKED:
        return ConversationBusy(_BUSY, retry_after=_BUSY_RETRY)
    if isinstance(exc, openai.APIStatusError) and exc.code == CONTEXT_TOO_LONG:
        return UpstreamRejected(_TOO_LONG)
    if isinstance(exc, openai.RateLimitError):
        return UpstreamRateLimited(
            "The upstream API is rate limiting the relay; try again shortly.",
            retry_after=_retry_after(exc) or 1,
        )
    if isinstance(exc, openai.APIStatusError):
        if exc.status_code >= 500:
            return UpstreamError(f"The upstream API failed with status {exc.status_code}.")
        return UpstreamRejected(f"The upstream API refused the request (status {exc.status_code}).")
    if isinstance(exc, openai.APIError):
        code = exc.code or exc.type or "no code"
        return UpstreamError(f"The answer failed upstream ({code}).")
    return UpstreamError("The upstream API failed.")
