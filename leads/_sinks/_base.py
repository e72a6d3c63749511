"""What every sink shares: the contract, reading its variables, and how a reply is judged."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any, ClassVar, Protocol

from leads._errors import SinkRefused, SinkRetry
from leads._http import Response, Transport
from leads._lead import Lead

_MAX_REASON = 300


class Sink(Protocol):
    name: ClassVar[str]

    @classmethod
    def from_env(cls, env: Mapping[str, str]) -> Sink | str:
        """The sink, or the sentence naming the variable that is missing."""
        ...

    async def deliver(self, lead: Lead, attempt: int, transport: Transport) -> str:
        """Deliver ``lead`` (``attempt`` > 1: an earlier attempt may have reached the sink,
        so look before adding again). Returns what the sink said (its id for the lead);
        raises ``SinkRetry`` or ``SinkRefused``."""
        ...


def need(env: Mapping[str, str], *names: str) -> dict[str, str] | str:
    """The values of ``names``, or the sentence naming the first one unset."""
    values = {name: env.get(name, "").strip() for name in names}
    for name, value in values.items():
        if not value:
            return f"{name} is not set"
    return values


def judge(response: Response, reason: Callable[[Any], str | None]) -> Any:
    """The reply's JSON when it is a success; otherwise ``SinkRetry`` for what may pass
    (408, 429, 5xx) and ``SinkRefused`` for the rest, with the sink's own words."""
    data = response.json()
    if 200 <= response.status < 300:
        return data
    said = None
    try:
        said = reason(data) if data is not None else None
    except (AttributeError, KeyError, IndexError, TypeError):
        said = None
    text = f"HTTP {response.status}" + (f": {said[:_MAX_REASON]}" if said else "")
    if response.status in (408, 429) or response.status >= 500:
        raise SinkRetry(text, after=response.retry_after())
    raise SinkRefused(text)
