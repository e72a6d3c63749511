"""Read the business keys of ``kb/assistant.yaml`` (``kbcore.business``) with ``file:line``.

A ``NodeReader`` the settings reader builds on: each key's reader checks the shape and
the limits, collects every problem, and leaves the feature off (``None``) when the key
is absent or unusable.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import time
from pathlib import PurePosixPath
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from yaml.nodes import Node, ScalarNode, SequenceNode

from kbcore._yamlnodes import STR, NodeReader, is_null, shown
from kbcore.business import (
    CONTACT_FIELDS,
    DAY_NAMES,
    LEAD_FIELDS,
    LEAD_SINKS,
    MAIN_VARIANT,
    MAX_STARTER_CHARS,
    MAX_STARTERS,
    VARIANTS_DIR,
    Handoff,
    Hours,
    Leads,
    Localized,
    OpenSpan,
    TelegramSettings,
    Variant,
)

BUSINESS_KEYS = ("starters", "leads", "handoff", "telegram", "variants")
MAX_TEXT = 1000  # a consent sentence or a greeting
_LANG = re.compile(r"^[a-z]{2,3}$")
_NAME = re.compile(r"^[a-z0-9][a-z0-9_-]{0,31}$")
_WEB = re.compile(r"^https?://[^/?#\s\x00-\x1f\x7f]+[^\s\x00-\x1f\x7f]*$", re.IGNORECASE)
_DAY = r"(?:mon|tue|wed|thu|fri|sat|sun)"
_DAYS = rf"(?:daily|{_DAY}(?:-{_DAY})?(?:,{_DAY}(?:-{_DAY})?)*)"
_SPAN = rf"({_DAYS})\s+(\d\d?:\d\d)\s*-\s*(\d\d?:\d\d)"
_SPANS = re.compile(rf"^\s*{_SPAN}(?:\s*[,;]\s*{_SPAN})*\s*$", re.IGNORECASE)
_ONE_SPAN = re.compile(_SPAN, re.IGNORECASE)
HOURS_EXAMPLE = '"Mon-Fri 09:00-21:00 Europe/Moscow"'


class BusinessReader(NodeReader):
    def __init__(self, shown: str) -> None:
        super().__init__(shown)
        self.starters: Localized[tuple[str, ...]] | None = None
        self.leads: Leads | None = None
        self.handoff: Handoff | None = None
        self.telegram: TelegramSettings | None = None
        self.variants: tuple[Variant, ...] = ()

    def business_readers(self) -> dict[str, Callable[[Node], None]]:
        return {
            "starters": self.read_starters,
            "leads": self.read_leads,
            "handoff": self.read_handoff,
            "telegram": self.read_telegram,
            "variants": self.read_variants,
        }

    # -- shared shapes -----------------------------------------------------

    def localized(
        self, node: Node, what: str, read: Callable[[Node, str], object | None]
    ) -> dict[str, object] | None:
        """``{lang: value}`` with each value checked by ``read(node, "what.lang")``."""
        items = self.mapping(node, what, None, f"{what}.")
        if items is None:
            return None
        values: dict[str, object] = {}
        for lang, value_node in items.items():
            if not _LANG.match(lang):
                self.problem(
                    value_node,
                    f'{what}: "{lang}" is not a language code; use a lowercase code'
                    ' such as "ru" or "en".',
                    line=self.key_lines.get(f"{what}.{lang}"),
                )
                continue
            value = read(value_node, f"{what}.{lang}")
            if value is not None:
                values[lang] = value
        if not values and not self.found_under(node):
            self.problem(node, f'{what} is empty; give at least one language, e.g. "en: …".')
        return values or None

    def found_under(self, node: Node) -> bool:
        first, last = node.start_mark.line + 1, node.end_mark.line + 1
        return any(first <= line <= last for line, _ in self.found)

    def text(self, node: Node, what: str, limit: int = MAX_TEXT) -> str | None:
        if isinstance(node, ScalarNode) and node.tag == STR and node.value.strip():
            value = str(node.value).strip()
            if len(value) <= limit:
                return value
            self.problem(
                node,
                f"{what} is {len(value)} characters, over the {limit} allowed; shorten it.",
            )
            return None
        self.problem(node, f"{what} must be text, not {shown(node)}.")
        return None

    def names(self, node: Node, what: str, allowed: tuple[str, ...]) -> tuple[str, ...] | None:
        """A list of distinct names from ``allowed``, in the order written."""
        if not isinstance(node, SequenceNode):
            self.problem(node, f"{what} must be a list, e.g. [{', '.join(allowed[:2])}].")
            return None
        names: list[str] = []
        ok = True
        for item in node.value:
            value = item.value if isinstance(item, ScalarNode) else None
            if value not in allowed:
                self.problem(item, f"{what}: {shown(item)} is not one of: {', '.join(allowed)}.")
                ok = False
            elif value in names:
                self.problem(item, f'{what}: "{value}" appears twice; keep one.')
                ok = False
            else:
                names.append(str(value))
        return tuple(names) if ok else None

    def web_address(self, node: Node, what: str) -> str | None:
        value = node.value if isinstance(node, ScalarNode) and node.tag == STR else None
        if value is not None and _WEB.match(value):
            return str(value)
        self.problem(node, f"{what} must be an http:// or https:// address, not {shown(node)}.")
        return None

    # -- keys --------------------------------------------------------------

    def read_starters(self, node: Node) -> None:
        values = self.localized(node, "starters", self.starter_list)
        if values is not None:
            self.starters = Localized({k: v for k, v in values.items() if isinstance(v, tuple)})

    def starter_list(self, node: Node, what: str) -> tuple[str, ...] | None:
        if not isinstance(node, SequenceNode) or not node.value:
            self.problem(node, f"{what} must be a list of questions, not {shown(node)}.")
            return None
        if len(node.value) > MAX_STARTERS:
            self.problem(
                node.value[MAX_STARTERS],
                f"{what} has {len(node.value)} questions, over the {MAX_STARTERS} allowed;"
                " keep the most asked.",
            )
            return None
        found = [
            self.text(item, f"{what}[{n}]", MAX_STARTER_CHARS) for n, item in enumerate(node.value)
        ]
        starters = tuple(text for text in found if text is not None)
        return starters if len(starters) == len(found) else None

    def read_leads(self, node: Node) -> None:
        keys = ("fields", "required", "consent", "privacy_url", "sinks")
        items = self.mapping(node, "leads", keys, "leads.")
        if items is None:
            return
        given = {key: value for key, value in items.items() if not is_null(value)}
        fields: tuple[str, ...] | None = LEAD_FIELDS
        if "fields" in given:
            fields = self.names(given["fields"], "leads.fields", LEAD_FIELDS)
        required: tuple[str, ...] | None = None
        if "required" in given and fields is not None:
            required = self.names(given["required"], "leads.required", fields)
            if required is not None and not set(required) & set(CONTACT_FIELDS):
                self.problem(
                    given["required"],
                    "leads.required must include phone or email, or a lead cannot be answered.",
                )
                required = None
        elif fields is not None:
            contact = [name for name in CONTACT_FIELDS if name in fields]
            if contact:
                required = (contact[0],)
            else:
                self.problem(
                    given.get("fields", node),
                    "leads.fields must include phone or email, or a lead cannot be answered.",
                )
        consent: dict[str, object] | None = None
        if "consent" in given:
            consent = self.localized(given["consent"], "leads.consent", self.text)
        else:
            self.problem(
                node,
                "leads.consent is missing; write the sentence shown beside the submit button"
                ' per language, e.g. en: "By sending, I agree to the processing of my'
                ' personal data."',
                line=self.key_lines.get("leads"),
            )
        privacy_url = None
        if "privacy_url" in given:
            privacy_url = self.web_address(given["privacy_url"], "leads.privacy_url")
        sinks: tuple[str, ...] | None = ()
        if "sinks" in given:
            sinks = self.names(given["sinks"], "leads.sinks", LEAD_SINKS)
        if fields and required and consent and sinks is not None:
            texts = {k: v for k, v in consent.items() if isinstance(v, str)}
            if "privacy_url" not in given or privacy_url is not None:
                self.leads = Leads(fields, required, Localized(texts), privacy_url, sinks)

    def read_handoff(self, node: Node) -> None:
        items = self.mapping(node, "handoff", ("telegram_chat", "hours"), "handoff.")
        if items is None:
            return
        chat_node = items.get("telegram_chat")
        if chat_node is None or is_null(chat_node):
            self.problem(
                node,
                "handoff.telegram_chat is missing; name the operators' group (its id comes"
                " from HANDOFF_TELEGRAM_CHAT_ID).",
                line=self.key_lines.get("handoff"),
            )
            return
        chat = self.string(chat_node, "handoff.telegram_chat", limit=128)
        hours_node = items.get("hours")
        hours = None
        if hours_node is not None and not is_null(hours_node):
            hours = self.hours(hours_node)
            if hours is None:
                return
        if chat is not None:
            self.handoff = Handoff(chat, hours)

    def hours(self, node: Node) -> Hours | None:
        if not isinstance(node, ScalarNode) or node.tag != STR:
            self.problem(
                node, f"handoff.hours must be text like {HOURS_EXAMPLE}, not {shown(node)}."
            )
            return None
        try:
            return parse_hours(str(node.value))
        except ValueError as exc:
            self.problem(node, f"handoff.hours {exc}")
            return None

    def read_telegram(self, node: Node) -> None:
        items = self.mapping(node, "telegram", ("greeting",), "telegram.")
        if items is None:
            return
        greeting_node = items.get("greeting")
        greeting = None
        if greeting_node is not None and not is_null(greeting_node):
            values = self.localized(greeting_node, "telegram.greeting", self.text)
            if values is None:
                return
            greeting = Localized({k: v for k, v in values.items() if isinstance(v, str)})
        self.telegram = TelegramSettings(greeting)

    def read_variants(self, node: Node) -> None:
        if not isinstance(node, SequenceNode):
            self.problem(
                node,
                "variants must be a list, e.g. - {name: warm, instructions: variants/warm.md,"
                " weight: 50}.",
            )
            return
        variants: list[Variant] = []
        total = 0
        for n, item in enumerate(node.value):
            variant = self.variant(item, f"variants[{n}]", {v.name for v in variants})
            if variant is not None:
                variants.append(variant)
                total += variant.weight
        if total > 100:
            self.problem(
                node,
                f"variants: the weights add up to {total} %, over 100; lower them (the rest"
                f' of the conversations get "{MAIN_VARIANT}").',
                line=self.key_lines.get("variants"),
            )
            return
        if len(variants) == len(node.value):
            self.variants = tuple(variants)

    def variant(self, node: Node, what: str, taken: set[str]) -> Variant | None:
        items = self.mapping(node, what, ("name", "instructions", "weight"), "", under=what)
        if items is None:
            return None
        name_node, weight_node = items.get("name"), items.get("weight")
        if name_node is None or weight_node is None:
            self.problem(node, f"{what} needs a name and a weight (percent of new conversations).")
            return None
        name = name_node.value if isinstance(name_node, ScalarNode) else None
        if not isinstance(name, str) or not _NAME.match(name) or name == MAIN_VARIANT:
            self.problem(
                name_node,
                f"{what}.name must be lowercase letters, digits, - or _ (up to 32, not"
                f' "{MAIN_VARIANT}"), not {shown(name_node)}.',
            )
            return None
        if name in taken:
            self.problem(name_node, f'variant "{name}" appears twice; name each one once.')
            return None
        weight = self.integer(weight_node, f"{what}.weight", 1, 100)
        path = f"{VARIANTS_DIR}/{name}.md"
        path_node = items.get("instructions")
        if path_node is not None and not is_null(path_node):
            path = self.kb_path(path_node, f"{what}.instructions") or ""
        if weight is None or not path:
            return None
        return Variant(name, path, weight)

    def kb_path(self, node: Node, what: str) -> str | None:
        value = node.value if isinstance(node, ScalarNode) and node.tag == STR else None
        pure = PurePosixPath(value) if value else None
        if (
            pure is None
            or pure.is_absolute()
            or ".." in pure.parts
            or "\\" in str(value)
            or pure.suffix != ".md"
        ):
            self.problem(
                node,
                f"{what} must be the path of a .md file inside kb/, e.g."
                f' "{VARIANTS_DIR}/warm.md", not {shown(node)}.',
            )
            return None
        return pure.as_posix()


def parse_hours(text: str) -> Hours:
    """``"Mon-Fri 09:00-21:00, Sat 10:00-16:00 Europe/Moscow"`` as ``Hours``.

    Raises ``ValueError`` whose message completes "handoff.hours …" as a sentence."""
    body, _, zone = text.strip().rpartition(" ")
    if not body or not _SPANS.match(body):
        raise ValueError(
            f'"{text}" must be days, hours and a time zone, like {HOURS_EXAMPLE}'
            ' (several spans separated by ", ").'
        )
    try:
        ZoneInfo(zone)
    except (ZoneInfoNotFoundError, ValueError):
        raise ValueError(
            f'"{text}": "{zone}" is not a time zone; use an IANA name such as Europe/Moscow.'
        ) from None
    spans = []
    for match in _ONE_SPAN.finditer(body):
        days, start, end = match.groups()
        start_at, end_at = _clock(start, text, end=False), _clock(end, text, end=True)
        if end_at == start_at:
            raise ValueError(f'"{text}": {start}-{end} is an empty span; give two times.')
        spans.append(OpenSpan(_days(days), start_at or time(0), end_at))
    return Hours(tuple(spans), zone, text.strip())


def _clock(value: str, text: str, *, end: bool) -> time | None:
    hours, minutes = (int(part) for part in value.split(":"))
    if end and (hours, minutes) == (24, 0):
        return None
    if hours > 23 or minutes > 59:
        raise ValueError(f'"{text}": {value} is not a time of day (00:00 to 24:00).')
    return time(hours, minutes)


def _days(text: str) -> frozenset[int]:
    lowered = [name.lower() for name in DAY_NAMES]
    if text.lower() == "daily":
        return frozenset(range(7))
    days: set[int] = set()
    for part in text.lower().split(","):
        first, _, last = part.partition("-")
        day, stop = lowered.index(first), lowered.index(last or first)
        days.add(day)
        while day != stop:  # "Fri-Mon" wraps over the weekend
            day = (day + 1) % 7
            days.add(day)
    return frozenset(days)
