"""Ask the assistant exactly as the channels do, from the command line.

``kbsync check`` and ``kbsync eval --answers`` use this: ``ask`` sends the channels' own
streamed Responses request (the same body, built by the same code, through the same
seam) without a conversation; ``probe`` checks that the model accepts the spec's
parameters. The client is configured by ``kbcore.openai_client`` like every seam.
Errors are ``KbsyncError``s with one sentence, carrying OpenAI's own words: this is
for operators, never for visitors.

>>> answered = asyncio.run(ask(spec, "vs_123", "How much is a monthly membership?"))
>>> answered.cited
('en/prices.md',)
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass

from answer._errors import ParameterRefused, UpstreamError
from answer._events import Cited, Completed, Searched, TextDelta
from answer._request import answer_body, spec_params
from answer._sources import AnswerSources, DocumentCache
from answer._upstream import Upstream
from kbcore.kb import AssistantSpec
from kbcore.openai_client import ClientSettings

__all__ = ["Answered", "ParameterRefused", "ask", "probe"]

TIMEOUT = 60.0
PROBE_QUESTION = "Reply with the word OK."


@dataclass(frozen=True)
class Answered:
    text: str
    cited: tuple[str, ...]  # kb_path of each cited document, first citation first
    incomplete: str | None  # why the answer was cut short (max_output_tokens, …), else None
    response_id: str


async def ask(
    spec: AssistantSpec, vector_store_id: str, question: str, variant: str | None = None
) -> Answered:
    """``question`` answered from ``vector_store_id`` with ``spec``, as a channel would."""
    async with _upstream() as upstream:
        body = answer_body(spec, vector_store_id, variant)
        answer = await upstream.open_answer(body, question, None)
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
    settings = ClientSettings.from_env()
    settings.require_key()
    upstream = Upstream(settings, timeout=TIMEOUT, operator=True)
    try:
        yield upstream
    finally:
        await upstream.aclose()
