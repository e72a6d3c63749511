"""Conversation tokens: the conversation id bound to the KB name, signed with HMAC-SHA256.

A token is ``<conversation id>.<base64url signature>``; the signature covers the KB name
too, so a token from another knowledge base (or another secret) does not verify.
"""

from __future__ import annotations

import base64
import hashlib
import hmac

from relay._errors import InvalidToken

_MAX_TOKEN = 512


class TokenSigner:
    def __init__(self, secret: str) -> None:
        self._key = secret.encode()

    def _signature(self, kb_name: str, conversation_id: str) -> str:
        mac = hmac.new(self._key, f"{kb_name}\0{conversation_id}".encode(), hashlib.sha256)
        return base64.urlsafe_b64encode(mac.digest()).rstrip(b"=").decode()

    def sign(self, kb_name: str, conversation_id: str) -> str:
        return f"{conversation_id}.{self._signature(kb_name, conversation_id)}"

    def verify(self, kb_name: str, token: str) -> str:
        """The conversation id inside ``token``; raises ``InvalidToken`` if it does not verify."""
        conversation_id, sep, signature = token.rpartition(".")
        if len(token) > _MAX_TOKEN or not sep or not conversation_id or not token.isascii():
            raise InvalidToken("The conversation token is malformed; start a new conversation.")
        expected = self._signature(kb_name, conversation_id)
        if not hmac.compare_digest(expected.encode(), signature.encode()):
            raise InvalidToken(
                "The conversation token does not verify (tampered, or issued for another "
                "knowledge base or secret); start a new conversation."
            )
        return conversation_id
