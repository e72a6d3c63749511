"""One quota rule (``kbcore.quota``) for the sync seam and the answer engine."""

from __future__ import annotations

from typing import Any

import httpx2
import openai
import pytest

from answer._errors import UpstreamQuota, UpstreamRateLimited
from answer._upstream import _stream_error, _translate_error
from kbcore.quota import is_quota_error
from sync._remote_errors import is_quota

REQUEST = httpx2.Request("POST", "https://api.openai.com/v1/responses")


def status_error(status: int, body: Any) -> openai.APIStatusError:
    response = httpx2.Response(status, json=body, request=REQUEST)
    kind = openai.RateLimitError if status == 429 else openai.APIStatusError
    error = body.get("error", body) if isinstance(body, dict) else None
    return kind("refused", response=response, body=error)


QUOTA = {"message": "You exceeded your current quota.", "type": "insufficient_quota",
         "code": "insufficient_quota"}  # fmt: skip
RATE = {"message": "Rate limit reached.", "type": "requests", "code": "rate_limit_exceeded"}


@pytest.mark.parametrize(
    ("error", "quota"),
    [
        (status_error(429, {"error": QUOTA}), True),
        (status_error(429, {"error": {**QUOTA, "code": None}}), True),  # type alone
        (status_error(429, {"error": {**QUOTA, "type": "requests"}}), True),  # code alone
        (status_error(429, {"error": RATE}), False),
        (status_error(500, {"error": {"message": "boom", "type": "server_error"}}), False),
    ],
)
def test_both_seams_decide_alike(error: openai.APIStatusError, quota: bool) -> None:
    assert is_quota_error(error) is quota
    assert is_quota(error) is quota  # sync: stops the run in one line
    translated = _translate_error(error)  # answer: 503 upstream_quota, never a rate limit
    assert isinstance(translated, UpstreamQuota) is quota
    if error.status_code == 429 and not quota:
        assert isinstance(translated, UpstreamRateLimited)


def test_a_streamed_quota_error_is_the_same_rule() -> None:
    assert isinstance(_stream_error("insufficient_quota"), UpstreamQuota)
    assert not isinstance(_stream_error("rate_limit_exceeded"), UpstreamQuota)
