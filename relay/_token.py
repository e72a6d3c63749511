"""Conversation tokens: what the browser holds instead of any server-side session.

A token is ``<conversation id>.<seal>``: the seal is base64url of the HMAC-SHA256 (32
bytes) followed by the JSON array ``[KB name, issued at (Unix seconds), turn, variant,
pending]``, where ``pending`` is the function call the model's last answer ended with
(``[call id, tool name, output or null]``, else null) so that its output goes upstream
with the visitor's next input and the relay keeps no session; tokens of the older
three-item form still verify (variant ``main``, nothing pending). The HMAC, under
``RELAY_SECRET``, covers the conversation id and that array. A token from
another KB or another secret does not verify; a token older than ``CONVERSATION_TTL``
or at ``MAX_TURNS`` is refused with its own error, so the widget starts a new chat.
Tokens signed under ``RELAY_SECRET_PREVIOUS`` still verify, so the secret can be rotated
without ending open chats; new tokens are always signed with the current secret.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
import time
from collections.abc import Sequence
from dataclasses import dataclass

from relay._counters import Clock
from relay._errors import ConversationExpired, ConversationFull, InvalidToken

_MAX_TOKEN = 1024
_MAC_BYTES = 32
_NEW_CHAT = "start a new chat"


MAIN_VARIANT = "main"


@dataclass(frozen=True)
class PendingCall:
    """A function call awaiting its output; ``output`` is set once the visitor answered it
    (e.g. the lead form was sent), else the next message answers it as dismissed."""

    call_id: str
    name: str
    output: str | None = None


@dataclass(frozen=True)
class Claims:
    conversation_id: str
    kb_name: str
    issued_at: int
    turn: int  # the number of messages the conversation has had
    variant: str = MAIN_VARIANT
    pending: PendingCall | None = None


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


class TokenSigner:
    """Signs with ``secret``; verifies under ``secret`` or any of ``previous``."""

    def __init__(
        self,
        secret: str,
        *,
        previous: Sequence[str] = (),
        ttl: int = 30 * 86400,
        max_turns: int = 50,
        clock: Clock = time.time,
    ) -> None:
        self._key = secret.encode()
        self._keys = [self._key, *(p.encode() for p in previous if p)]
        self.ttl = ttl
        self.max_turns = max_turns
        self._clock = clock

    def sign(
        self,
        kb_name: str,
        conversation_id: str,
        turn: int = 1,
        *,
        variant: str = MAIN_VARIANT,
        pending: PendingCall | None = None,
    ) -> str:
        """A fresh token for ``conversation_id`` after its ``turn``-th message."""
        values: list[object] = [kb_name, int(self._clock()), turn]
        if variant != MAIN_VARIANT or pending is not None:
            call = None if pending is None else [pending.call_id, pending.name, pending.output]
            values += [variant, call]
        claims = json.dumps(values, separators=(",", ":")).encode()
        return f"{conversation_id}.{_b64(_mac(self._key, conversation_id, claims) + claims)}"

    def verify(self, kb_name: str, token: str, *, check_turns: bool = True) -> Claims:
        """The claims inside ``token``; raises ``InvalidToken`` (or its ``ConversationExpired``
        and ``ConversationFull`` kinds) when it may not continue the conversation.
        ``check_turns=False`` accepts a full conversation (its answers can still be rated)."""
        conversation_id, sep, seal = token.rpartition(".")
        if len(token) > _MAX_TOKEN or not sep or not conversation_id or not token.isascii():
            raise InvalidToken(f"The conversation token is malformed; {_NEW_CHAT}.")
        try:
            sealed = _unb64(seal)
        except (ValueError, binascii.Error):
            sealed = b""
        mac, claims_json = sealed[:_MAC_BYTES], sealed[_MAC_BYTES:]
        if not any(
            hmac.compare_digest(_mac(key, conversation_id, claims_json), mac) for key in self._keys
        ):
            raise InvalidToken(
                "The conversation token does not verify (tampered, or issued for another "
                f"knowledge base or secret); {_NEW_CHAT}."
            )
        claims = _claims(conversation_id, claims_json)
        if claims is None or claims.kb_name != kb_name:
            raise InvalidToken(
                f"The conversation token was issued for another knowledge base; {_NEW_CHAT}."
            )
        if self._clock() - claims.issued_at > self.ttl:
            raise ConversationExpired(
                f"This conversation is older than {_days(self.ttl)}; {_NEW_CHAT}."
            )
        if check_turns and claims.turn >= self.max_turns:
            raise ConversationFull(
                f"This conversation has reached its {self.max_turns} messages; {_NEW_CHAT}."
            )
        return claims


def _mac(key: bytes, conversation_id: str, claims: bytes) -> bytes:
    return hmac.new(key, conversation_id.encode() + b"\0" + claims, hashlib.sha256).digest()


def _claims(conversation_id: str, claims: bytes) -> Claims | None:
    """The claims of a seal that verified (so its shape is ours), or ``None``."""
    try:
        values = json.loads(claims)
    except ValueError:
        return None
    match values:
        case [str(kb_name), int(issued_at), int(turn)] if turn >= 1:
            return Claims(conversation_id, kb_name, issued_at, turn)
        case [str(kb_name), int(issued_at), int(turn), str(variant), pending] if turn >= 1:
            match pending:
                case None:
                    call = None
                case [str(call_id), str(name), (str() | None) as output]:
                    call = PendingCall(call_id, name, output)
                case _:
                    return None
            return Claims(conversation_id, kb_name, issued_at, turn, variant, call)
    return None


def _days(seconds: int) -> str:
    if seconds % 86400 == 0:
        days = seconds // 86400
        return f"{days} day" + ("s" if days != 1 else "")
    if seconds % 3600 == 0:
        return f"{seconds // 3600} h"
    return f"{seconds} s"
