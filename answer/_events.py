"""The channel-free events of one answer, as the engine yields them.

A channel renders them: the relay as SSE events, the bot as Telegram messages.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class TextDelta:
    text: str


@dataclass(frozen=True)
class Cited:
    file_id: str
    filename: str


@dataclass(frozen=True)
class Searched:
    """A file_search result: its file, its attributes (``kb_path``, ``kb_title``…), its score."""

    file_id: str
    attributes: Mapping[str, object] | None
    score: float | None


@dataclass(frozen=True)
class ToolCalled:
    """The model called one of the function tools offered to it; the turn ends with it."""

    call_id: str
    name: str
    arguments: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Completed:
    response_id: str
    input_tokens: int
    output_tokens: int
    incomplete: str | None = None  # why the answer was cut short: max_output_tokens, …


AnswerEvent = TextDelta | Cited | Searched | ToolCalled | Completed
