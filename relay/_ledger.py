"""What the token alone cannot refuse: replays, and spending beyond what was reserved.

The web chat keeps no session: its token carries the conversation and its turn. A token
is a bearer value, though, so an old one replayed would restart the turn count (and,
with it, ``MAX_TURNS``) if nothing remembered the newest. ``state`` remembers, per
conversation (namespace ``turns``): the turn its newest token was issued for, advanced
atomically (``State.advance``), so a token behind it is refused as a replay and two
requests with one token cannot both pass. It also adds up each conversation's spent
tokens (``tokens``) and keeps its last answer's input tokens (``input``), from which
the next answer's budget reservation is estimated (``reservation``).

Both backends serve: SQLite for one relay, Redis (``REDIS_URL``) when several replicas
must see one count. Every call is a blocking ``State`` call, run in a thread.
"""

from __future__ import annotations

import asyncio
import sqlite3
import threading
from collections.abc import Callable
from typing import Any

from redis.exceptions import RedisError

from kbcore.kb import AssistantSpec
from relay._errors import ConversationReplayed
from state import State, StateError

TURNS, TOKENS, INPUT = "turns", "tokens", "input"

# The budget reservation of an answer whose size nothing else tells: the output the
# model may write when kb/assistant.yaml sets no max_output_tokens, and per file_search
# result the largest chunk OpenAI makes (the default chunking: 800 tokens).
DEFAULT_OUTPUT_TOKENS = 4096
DEFAULT_RESULTS = 20  # OpenAI: "The default is 20" (file_search max_num_results)
TOKENS_PER_RESULT = 800
CHARS_PER_TOKEN = 4  # an upper bound for English; Russian runs nearer 2.5: see below


def reservation(spec: AssistantSpec, message: str, last_input: int | None) -> int:
    """Tokens to reserve from the client's budget before an answer starts: its output
    ceiling plus its input, estimated as the conversation's last input (it only grows by
    a turn) or, for a first message, the instructions, the message and the file_search
    results at their largest. Conservative on purpose: what is not used is given back
    when the answer ends with its usage; an abandoned answer keeps it all."""
    output = spec.max_output_tokens or DEFAULT_OUTPUT_TOKENS
    text = len(spec.instructions) + len(message)
    first = text * 2 // CHARS_PER_TOKEN + (spec.max_num_results or DEFAULT_RESULTS) * (
        TOKENS_PER_RESULT
    )
    return output + max(first, (last_input or 0) + len(message) * 2 // CHARS_PER_TOKEN)


class Ledger:
    """Each conversation's turn, spent tokens and last input, in ``state``.

    The store is opened on first use and again after a failure to open it (Redis may be
    down when the relay starts): until then every call raises ``StateError``, and the
    chat answers 503 rather than letting a replay through."""

    def __init__(self, open_store: Callable[[], State], ttl: float) -> None:
        self._open = open_store
        self._state: State | None = None
        self._lock = threading.Lock()
        self.ttl = ttl

    async def take_turn(self, conversation_id: str, turn: int) -> None:
        """Accept a token issued for ``turn`` (messages so far), or refuse it as a replay
        (``ConversationReplayed``) when a newer token of the conversation was issued."""
        if not await self._call("advance", TURNS, conversation_id, turn, ttl=self.ttl):
            raise ConversationReplayed(
                "This conversation token was already used, and a newer one has been "
                "issued since; start a new chat."
            )

    async def give_back_turn(self, conversation_id: str, turn: int) -> None:
        """The answer never started (refused upstream): the same token may be retried."""
        await self._call("put", TURNS, conversation_id, turn, ttl=self.ttl)

    async def last_input(self, conversation_id: str | None) -> int | None:
        if conversation_id is None:
            return None
        found = await self._call("get", INPUT, conversation_id)
        return found if isinstance(found, int) else None

    async def spent(self, conversation_id: str, tokens: int, input_tokens: int | None) -> None:
        """Add an answer's tokens to its conversation (and keep its input for the next
        reservation)."""
        if tokens > 0:
            await self._call("incr", TOKENS, conversation_id, tokens, ttl=self.ttl)
        if input_tokens:
            await self._call("put", INPUT, conversation_id, input_tokens, ttl=self.ttl)

    def close(self) -> None:
        with self._lock:
            state, self._state = self._state, None
        if state is not None:
            state.close()

    def _store(self) -> State:
        with self._lock:
            if self._state is None:
                self._state = self._open()
            return self._state

    async def _call(self, method: str, *args: Any, **kwargs: Any) -> Any:
        """``State.<method>`` in a thread; a store that fails is one ``StateError``."""

        def call() -> Any:
            return getattr(self._store(), method)(*args, **kwargs)

        try:
            return await asyncio.to_thread(call)
        except (RedisError, sqlite3.Error, OSError) as exc:
            raise StateError(
                f"The relay cannot reach its state store ({type(exc).__name__}); check "
                "STATE_DB or REDIS_URL."
            ) from exc
