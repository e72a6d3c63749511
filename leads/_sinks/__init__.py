"""The sinks a lead is delivered to, one module each; ``from_env`` builds the configured ones."""

from __future__ import annotations

from collections.abc import Mapping

from leads._sinks._amocrm import AmoCrm
from leads._sinks._base import Sink
from leads._sinks._bitrix24 import Bitrix24
from leads._sinks._hubspot import HubSpot
from leads._sinks._telegram import TelegramChat
from leads._sinks._webhook import Webhook

KINDS: dict[str, type[Sink]] = {
    "webhook": Webhook,
    "telegram": TelegramChat,
    "bitrix24": Bitrix24,
    "amocrm": AmoCrm,
    "hubspot": HubSpot,
}


def from_env(env: Mapping[str, str]) -> tuple[dict[str, Sink], dict[str, str]]:
    """The sinks whose variables are set, and for each other sink the sentence saying
    which variable to set."""
    ready: dict[str, Sink] = {}
    missing: dict[str, str] = {}
    for name, kind in KINDS.items():
        sink = kind.from_env(env)
        if isinstance(sink, str):
            missing[name] = sink
        else:
            ready[name] = sink
    return ready, missing


__all__ = ["KINDS", "Sink", "from_env"]
