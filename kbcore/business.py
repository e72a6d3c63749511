"""The business settings of ``kb/assistant.yaml``: starters, leads, hand-off, Telegram, variants.

Each is optional; absent means the feature is off (``None`` on ``Settings`` and
``AssistantSpec``, an empty tuple for ``variants``). The values are parsed with
``file:line`` problems by ``kbcore._business_read``; this module holds what every
channel and engine uses: the values, the choice of a variant, the opening hours.
"""

from __future__ import annotations

import random
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, time
from typing import Generic, Protocol, TypeVar
from zoneinfo import ZoneInfo

T = TypeVar("T")

MAIN_VARIANT = "main"  # the conversations that get kb/instructions.md
VARIANTS_DIR = "variants"  # kb/variants/<name>.md
LEAD_FIELDS = ("name", "phone", "email", "comment")  # what a lead form can ask, in this order
CONTACT_FIELDS = ("phone", "email")  # a lead needs at least one of them required
LEAD_SINKS = ("webhook", "telegram", "bitrix24", "amocrm", "hubspot")
FEEDBACK_REASONS = ("wrong", "unhelpful", "outdated", "other")  # why a 👎
MAX_STARTERS = 6  # per language
MAX_STARTER_CHARS = 120
DAY_NAMES = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")


@dataclass(frozen=True)
class Localized(Generic[T]):
    """One value per language code (``ru``, ``en``…), in file order."""

    by_lang: Mapping[str, T]

    def pick(self, lang: str | None) -> T:
        """The value for ``lang`` (``"ru-RU"`` finds ``ru``), else English, else the first."""
        base = (lang or "").split("-")[0].split("_")[0].lower()
        if base in self.by_lang:
            return self.by_lang[base]
        if "en" in self.by_lang:
            return self.by_lang["en"]
        return next(iter(self.by_lang.values()))


@dataclass(frozen=True)
class Leads:
    """``leads:``: what the contact form asks and where a lead goes."""

    fields: tuple[str, ...]  # a subset of LEAD_FIELDS, in the form's order
    required: tuple[str, ...]  # a subset of fields with at least one of CONTACT_FIELDS
    consent: Localized[str]  # the sentence beside the submit button
    privacy_url: str | None
    sinks: tuple[str, ...]  # a subset of LEAD_SINKS (their secrets come from the environment)


@dataclass(frozen=True)
class OpenSpan:
    """Open on ``days`` (0 = Monday) from ``start`` to ``end``; ``end <= start`` runs past
    midnight into the next day (``Fri 22:00-02:00`` is open at 01:00 on Saturday)."""

    days: frozenset[int]
    start: time
    end: time | None  # None: until midnight (written "24:00")


@dataclass(frozen=True)
class Hours:
    """``handoff.hours``, e.g. ``"Mon-Fri 09:00-21:00, Sat 10:00-16:00 Europe/Moscow"``."""

    spans: tuple[OpenSpan, ...]
    zone: str  # an IANA time zone name
    text: str  # as written

    def is_open(self, now: datetime) -> bool:
        """Whether ``now`` (timezone-aware; a naive time is taken as UTC) is in the hours."""
        local = _aware(now).astimezone(ZoneInfo(self.zone))
        day, clock = local.weekday(), local.time().replace(tzinfo=None)
        yesterday = (day - 1) % 7
        for span in self.spans:
            overnight = span.end is not None and span.end <= span.start
            if day in span.days and clock >= span.start and (overnight or _before(clock, span)):
                return True
            if overnight and yesterday in span.days and span.end is not None and clock < span.end:
                return True
        return False


@dataclass(frozen=True)
class Handoff:
    """``handoff:``: hand a conversation to people in a Telegram forum group."""

    telegram_chat: str  # a label; the group's id comes from HANDOFF_TELEGRAM_CHAT_ID
    hours: Hours | None  # None: people answer at any time

    def is_open(self, now: datetime) -> bool:
        """Whether a person can take the conversation at ``now`` (else offer the lead form)."""
        return self.hours is None or self.hours.is_open(now)


@dataclass(frozen=True)
class TelegramSettings:
    """``telegram:``: what the bot says on ``/start`` (before the starters)."""

    greeting: Localized[str] | None


@dataclass(frozen=True)
class Variant:
    """One entry of ``variants:`` as written: ``instructions`` is a path under ``kb/``."""

    name: str
    instructions: str  # e.g. "variants/warm.md"
    weight: int  # percent of new conversations, 1..100


@dataclass(frozen=True)
class VariantSpec:
    """A loaded variant: its instructions replace ``kb/instructions.md`` for its share."""

    name: str
    weight: int
    instructions: str  # the stripped text of its file


class _Rng(Protocol):
    def randrange(self, stop: int, /) -> int: ...


class _HasVariants(Protocol):
    @property
    def variants(self) -> tuple[VariantSpec, ...]: ...


def choose_variant(spec: _HasVariants, rng: _Rng | None = None) -> str:
    """The variant of a new conversation: each variant for its ``weight`` percent of them,
    ``"main"`` for the rest. ``rng`` (a ``random.Random``) makes it reproducible in tests."""
    if not spec.variants:
        return MAIN_VARIANT
    roll = (rng if rng is not None else _SYSTEM).randrange(100)
    for variant in spec.variants:
        if roll < variant.weight:
            return variant.name
        roll -= variant.weight
    return MAIN_VARIANT


def describe(
    starters: Localized[tuple[str, ...]] | None,
    leads: Leads | None,
    handoff: Handoff | None,
    telegram: TelegramSettings | None,
    variants: tuple[VariantSpec, ...],
) -> list[str]:
    """One line per business feature that is on, for ``kbsync validate``."""
    lines = []
    if starters is not None:
        counts = ", ".join(f"{lang} {len(items)}" for lang, items in starters.by_lang.items())
        lines.append(f"starters: {counts}")
    if leads is not None:
        sinks = ", ".join(leads.sinks) or "none (kept in the outbox)"
        lines.append(
            f"leads: {', '.join(leads.fields)} (required: {', '.join(leads.required)});"
            f" sinks: {sinks}"
        )
    if handoff is not None:
        hours = handoff.hours.text if handoff.hours is not None else "any time"
        lines.append(f"hand-off: {handoff.telegram_chat}, {hours}")
    if telegram is not None:
        langs = ", ".join(telegram.greeting.by_lang) if telegram.greeting else "none"
        lines.append(f"telegram: greeting {langs}")
    if variants:
        shares = ", ".join(f"{v.name} {v.weight} %" for v in variants)
        rest = 100 - sum(v.weight for v in variants)
        lines.append(f"variants: {shares}, {MAIN_VARIANT} {rest} %")
    return lines


def _aware(now: datetime) -> datetime:
    return now if now.tzinfo is not None else now.replace(tzinfo=ZoneInfo("UTC"))


def _before(clock: time, span: OpenSpan) -> bool:
    return span.end is None or clock < span.end


_SYSTEM = random.SystemRandom()
__all__ = [
    "CONTACT_FIELDS",
    "FEEDBACK_REASONS",
    "LEAD_FIELDS",
    "LEAD_SINKS",
    "MAIN_VARIANT",
    "Handoff",
    "Hours",
    "Leads",
    "Localized",
    "OpenSpan",
    "TelegramSettings",
    "Variant",
    "VariantSpec",
    "choose_variant",
    "describe",
]
