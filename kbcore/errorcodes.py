"""Every error code the relay answers with, its HTTP status and what the widget does.

One table for the relay (the codes it refuses with), the widget (which carries a copy as
``var CODES = {…}`` between ``/*codes*/`` marks; a test holds the copy equal to this table)
and the docs. A code missing here fails the test that scans the relay for the codes it
can send. ``status`` 0: the code arrives only as an SSE ``error`` event after the stream
started.

Widget actions (the widget's message keys, so the copy stays small):

- ``new``: the conversation can never continue; start a new chat by itself, once, keeping
  the old transcript above a divider, and ask the question again there.
- ``rate``: too many messages; Retry is disabled until ``Retry-After`` has passed.
- ``locked``: the previous answer of this conversation is still running; wait, then Retry.
- ``busy``: the assistant or the API is failing or overloaded for now; Retry.
- ``quota``: the API key's quota is exhausted; retrying soon cannot help (never treated as
  a rate limit); say "try later".
- ``tooLong``: the message is too long; shorten it.
- ``failed``: a request the relay will not take as sent (a setup or widget bug); Retry.
- ``form``: answered inside the lead or feedback form that sent the request, not in the chat.
"""

from __future__ import annotations

from dataclasses import dataclass

ACTIONS = ("new", "rate", "locked", "busy", "quota", "tooLong", "failed", "form")


@dataclass(frozen=True)
class ErrorCode:
    code: str
    status: int  # the HTTP status before a stream; 0 = only as an SSE error event
    action: str  # one of ACTIONS


_TABLE = (
    # the request
    ErrorCode("bad_request", 400, "failed"),
    ErrorCode("invalid_body", 400, "failed"),
    ErrorCode("empty_message", 400, "failed"),
    ErrorCode("message_too_long", 400, "tooLong"),
    ErrorCode("body_too_large", 413, "tooLong"),
    ErrorCode("unsupported_media_type", 415, "failed"),
    ErrorCode("origin_not_allowed", 403, "failed"),
    ErrorCode("forbidden", 403, "failed"),  # the Telegram webhook without its secret
    ErrorCode("not_found", 404, "failed"),
    ErrorCode("method_not_allowed", 405, "failed"),
    # the conversation token
    ErrorCode("invalid_conversation", 400, "new"),
    ErrorCode("conversation_expired", 400, "new"),
    ErrorCode("conversation_full", 400, "new"),
    ErrorCode("conversation_not_found", 400, "new"),
    ErrorCode("conversation_replayed", 400, "new"),
    ErrorCode("conversation_busy", 409, "locked"),
    # limits
    ErrorCode("rate_limited", 429, "rate"),
    ErrorCode("too_many_streams", 429, "rate"),
    ErrorCode("budget_exhausted", 429, "rate"),
    ErrorCode("at_capacity", 503, "busy"),
    ErrorCode("not_ready", 503, "busy"),
    # upstream
    ErrorCode("upstream_rate_limited", 429, "rate"),
    ErrorCode("upstream_quota", 503, "quota"),
    ErrorCode("upstream_error", 502, "busy"),
    ErrorCode("upstream_unavailable", 502, "busy"),
    ErrorCode("upstream_rejected", 502, "failed"),
    ErrorCode("upstream_timeout", 504, "busy"),
    ErrorCode("vector_store_missing", 503, "busy"),
    ErrorCode("upstream_incomplete", 0, "busy"),
    ErrorCode("relay_error", 0, "failed"),
    ErrorCode("internal_error", 500, "failed"),
    # the forms (leads, feedback, hand-off): their own UI answers
    ErrorCode("invalid_feedback", 400, "form"),
    ErrorCode("invalid_lead", 400, "form"),
    ErrorCode("consent_required", 400, "form"),
    ErrorCode("handoff_closed", 409, "form"),
    ErrorCode("leads_off", 404, "form"),
    ErrorCode("handoff_off", 404, "form"),
)

ERROR_CODES: dict[str, ErrorCode] = {entry.code: entry for entry in _TABLE}


def widget_table() -> dict[str, str]:
    """``{code: action}``: exactly what the widget's ``CODES`` holds — every code but the
    forms' own (action ``form``), which the chat never receives."""
    return {entry.code: entry.action for entry in _TABLE if entry.action != "form"}
