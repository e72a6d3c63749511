"""What the operators read when a topic opens: its name, the transcript so far, any lead."""

from __future__ import annotations

from collections.abc import Iterator, Sequence

MAX_POST = 3500  # characters per message to the topic (under Telegram's 4,096 after escaping)
MAX_TRANSCRIPT_TURNS = 20


def topic_name(visitor: str, channel: str) -> str:
    name = " ".join(visitor.split())[:80] or "Visitor"
    return f"{name} · {channel}"


def intro(
    visitor: str,
    channel: str,
    transcript: Sequence[tuple[str, str]],
    lead: str | None,
    reason: str | None,
) -> Iterator[str]:
    """The topic's first messages (plain text; the bot escapes it)."""
    head = [f"{visitor} ({channel}) asks for a person."]
    if reason:
        head.append(f"Reason: {reason}")
    if lead:
        head.append(f"Lead: {lead}")
    head.append("Reply in this topic to answer; send /done when finished.")
    yield "\n".join(head)
    lines = [
        f"{'Visitor' if role == 'user' else 'Bot'}: {text}"
        for role, text in transcript[-MAX_TRANSCRIPT_TURNS:]
        if text.strip()
    ]
    chunk: list[str] = []
    size = 0
    for line in lines:
        line = line[:MAX_POST]
        if chunk and size + len(line) + 1 > MAX_POST:
            yield "\n".join(chunk)
            chunk, size = [], 0
        chunk.append(line)
        size += len(line) + 1
    if chunk:
        yield "\n".join(chunk)
