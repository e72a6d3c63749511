"""Ask the assistant exactly as the relay does, from the command line.

``kbsync check`` and ``kbsync eval --answers`` use this: ``ask`` sends the relay's own
streamed Responses request (the same body, built by the same code, through the same
seam) without a conversation; ``probe`` checks that the model accepts the spec's
parameters. The client is configured from ``OPENAI_API_KEY`` and ``OPENAI_BASE_URL``
(and the SDK's other ``OPENAI_*`` variables). Errors are ``KbsyncError``s with one
sentence, carrying OpenAI's own words: this is for operators, never for visitors.

>>> answered = asyncio.run(ask(spec, "vs_123", "How much is a monthly membership?"))
>>> answered.cited
('en/prices.md',)
"""

from __future__ import annotations

import os
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass

from kbcore.errors import KbsyncError
from kbcore.kb import AssistantSpec
from relay._errors import UpstreamError
from relay._request import spec_params
from relay._sources import AnswerSources, DocumentCache
from relay._upstream import Cited, Completed, ParameterRefused, Searched, TextDelta, Upstream

__all__ = ["Answered", "ParameterRefused", "ask", "probe"]

TIMEOUT = 60.0
PROBE_QUESTION = "Reply with the word OK."


@dataclass(frozen=True)
class Answered:
    text: str
    cited: tuple[str, ...]  # kb_path of each cited document, first citation first
    incomplete: str | None  # why the answer was cut short (max_output_tokens, …), else None
    response_id: str


async def ask(spec: AssistantSpec, vector_store_id: str, question: str) -> Answered:
    """``question`` answered from ``vector_store_id`` with ``spec``, as the relay would."""
    async with _upstream() as upstream:
        answer = await upstream.open_answer(spec, vector_store_id, None, question)
        sources = AnswerSources(DocumentCache(upstream.file_attributes), spec, vector_store_id)
        text: list[str] = []
        cited: list[str] = []
        try:
            async for event in answer.events():
                if isinstance(event, TextDelta):
                    text.append(event.text)
                elif isinstance(event, Searched):
                    sources.searched(event.file_id, event.attributes)
                elif isinstance(event, Cited):
                    source = await sources.cite(event.file_id, event.filename)
                    if source is not None:
                        cited.append(source.path)
                elif isinstance(event, Completed):
                    return Answered(
                        "".join(text), tuple(cited), event.incomplete, event.response_id
                    )
        finally:
            await answer.aclose()
    raise UpstreamError("The answer ended before the API said it was complete; try again.")


async def probe(spec: AssistantSpec) -> None:
    """One small request with the spec's exact parameters and no tools.

    Raises ``ParameterRefused`` when the model refuses one of them (a 400 naming it),
    other failures as ``KbsyncError``s with one sentence."""
    async with _upstream() as upstream:
        await upstream.probe(spec_params(spec), PROBE_QUESTION)


@asynccontextmanager
async def _upstream() -> AsyncIterator[Upstream]:
    api_key = os.environ.get("OPENAI_API_KEY", "").strip()
    if not api_key:
        raise KbsyncError("OPENAI_API_KEY is not set; set it to an API key of the project.")
    upstream = Upstream(
        api_key=api_key,
        base_url=os.environ.get("OPENAI_BASE_URL") or None,
        timeout=TIMEOUT,
        operator=True,
    )
    try:
        yield upstream
    finally:
        await upstream.aclose()
