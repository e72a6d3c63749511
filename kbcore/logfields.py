"""The names of the relay's JSON log lines: written by the channels, read by ``kbsync gaps``
and ``kbsync report``. One name per fact, so a writer and a reader cannot disagree.

A chat is the ``request`` line of ``POST /api/chat`` (or a Telegram turn) carrying
``RESULTS``; the other events are lines whose ``EVENT`` is ``FEEDBACK``, ``LEAD`` or
``HANDOFF``. Lines never carry contact details.
"""

from __future__ import annotations

TS = "ts"  # UTC time of the line, "2026-05-01T12:00:00Z"
EVENT = "event"  # what the line is: "request", FEEDBACK, LEAD, HANDOFF…
KB_NAME = "kb_name"
CHANNEL = "channel"  # "web" | "telegram"
VARIANT = "variant"  # "main" or a variant's name
RESPONSE_ID = "response_id"  # the answer's id (feedback names it)

# a chat
STREAM = "stream"  # done | error | aborted
RESULTS = "results"  # file_search results returned (a count or a list)
TOP_SCORE = "top_score"
CITED = "cited"  # documents cited (a count or a list)
CLOSEST = "closest"  # kb paths file_search found, best first
INCOMPLETE = "incomplete"  # null | "max_output_tokens" | "content_filter"
QUESTION = "question"  # only with LOG_QUESTIONS=1, masked
UPSTREAM_ERROR = "upstream_error"

# feedback
RATING = "rating"  # "up" | "down"
REASON = "reason"  # one of kbcore.business.FEEDBACK_REASONS, or null

# a lead
LEAD_ID = "lead"

# event names
REQUEST = "request"  # the relay's line per HTTP request; POST /api/chat's carries RESULTS
CHAT = "chat"  # a chat turn another channel (the Telegram bot) logs on its own
FEEDBACK = "feedback"
LEAD = "lead"
HANDOFF = "handoff"

CHANNELS = ("web", "telegram")
RATINGS = ("up", "down")
