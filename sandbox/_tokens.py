"""Token counts, approximated: words and punctuation marks (deterministic, no tokenizer).

One rule for everything the sandbox measures in tokens: answers and ``max_output_tokens``,
context windows, the per-file token limit of processing.
"""

from __future__ import annotations

import re

_TOKEN = re.compile(r"\w+|[^\w\s]")


def count_tokens(text: str) -> int:
    return len(_TOKEN.findall(text))
