"""Chunking per ``chunking_strategy``.

Tokens are approximated by words: one whitespace-separated word counts as one token
(real tokenizers give ~1.3 tokens per English word, more for Russian, so chunks here
are somewhat larger than upstream's; ranking and citations do not depend on the exact
boundaries). ``auto`` is static 800/400, as the API documents.
"""

from __future__ import annotations

from typing import Any

from sandbox._errors import bad_request

AUTO: dict[str, Any] = {
    "type": "static",
    "static": {"max_chunk_size_tokens": 800, "chunk_overlap_tokens": 400},
}


def resolve(strategy: dict[str, Any] | None, *, param: str = "chunking_strategy") -> dict[str, Any]:
    """The response-side strategy (always ``static``) for a request-side one (already
    schema-valid); 400 when the overlap exceeds half the chunk size."""
    if strategy is None or strategy.get("type") == "auto":
        return {"type": "static", "static": dict(AUTO["static"])}
    static = strategy["static"]
    size, overlap = static["max_chunk_size_tokens"], static["chunk_overlap_tokens"]
    if overlap < 0 or overlap > size // 2:
        raise bad_request(
            f"Invalid 'chunk_overlap_tokens': {overlap}; it must be between 0 and half of "
            f"'max_chunk_size_tokens' ({size // 2}).",
            param=f"{param}.static.chunk_overlap_tokens",
        )
    return {
        "type": "static",
        "static": {"max_chunk_size_tokens": size, "chunk_overlap_tokens": overlap},
    }


def chunk(text: str, strategy: dict[str, Any]) -> list[str]:
    """Windows of ``max_chunk_size_tokens`` words, each starting ``size - overlap`` words
    after the previous one; the last window ends at the last word."""
    words = text.split()
    if not words:
        return []
    size = int(strategy["static"]["max_chunk_size_tokens"])
    step = max(1, size - int(strategy["static"]["chunk_overlap_tokens"]))
    starts = list(range(0, max(len(words) - size, 0) + 1, step))
    if starts[-1] + size < len(words):
        starts.append(len(words) - size)  # a full last window, ending at the last word
    return [" ".join(words[start : start + size]) for start in starts]
