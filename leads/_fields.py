"""What a visitor typed, made safe to keep and deliver: one rule for every channel.

``clean_fields`` strips control characters, bounds each length, refuses markup in the
name, parses the phone with ``phonenumbers`` (the default region from the visitor's
language: ``ru`` → RU, ``en-GB`` → GB) into E.164, and checks the e-mail's syntax.
Every bad field is named at once (``InvalidLead.fields``), so a form can mark them all,
each with a sentence in the visitor's language (Russian or English).
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass

import phonenumbers

from kbcore.business import LEAD_FIELDS, Leads
from leads._errors import InvalidLead

MAX_CHARS = {"name": 100, "phone": 32, "email": 254, "comment": 1000}
MAX_PAGE_CHARS = 2000
# A language without a country of its own: the country whose numbers its speakers type.
_REGION_OF_LANGUAGE = {"ru": "RU", "uk": "UA", "be": "BY", "kk": "KZ", "hy": "AM", "ka": "GE"}
_EMAIL = re.compile(
    r"[A-Za-z0-9.!#$%&'*+/=?^_`{|}~-]{1,64}@"
    r"(?=.{1,253}$)(?:[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?\.)+[A-Za-z]{2,63}"
)
_MARKUP = re.compile(r"[<>]")
# What a visitor reads beside a field: in their language (Russian or English).
_SAID = {
    "en": {
        "unknown": "This form does not ask for '{key}'.",
        "text": "Send this field as text.",
        "long": "Keep this under {n} characters.",
        "markup": "A name cannot contain < or >.",
        "country": "Enter the number with its country code, e.g. {example}.",
        "phone": "This is not a valid phone number; e.g. {example}.",
        "email": "This does not look like an e-mail address (name@example.org).",
        "required": "Please fill this in.",
    },
    "ru": {
        "unknown": "Эта форма не спрашивает «{key}».",
        "text": "Это поле должно быть текстом.",
        "long": "Не больше {n} символов.",
        "markup": "Имя не может содержать < или >.",
        "country": "Укажите номер с кодом страны, например {example}.",
        "phone": "Такого номера не бывает; например {example}.",
        "email": "Это не похоже на адрес почты (name@example.org).",
        "required": "Заполните это поле.",
    },
}
_SPACES = re.compile(r"[ \t]+")


@dataclass(frozen=True)
class ContactFields:
    """A lead's contact, cleaned: ``phone`` in E.164, absent fields ``None``."""

    name: str | None = None
    phone: str | None = None
    email: str | None = None
    comment: str | None = None

    def present(self) -> dict[str, str]:
        """The fields the visitor gave, by name, in the form's canonical order."""
        values = {"name": self.name, "phone": self.phone, "email": self.email}
        values["comment"] = self.comment
        return {key: value for key, value in values.items() if value}


def region_for(language: str | None) -> str | None:
    """The default phone region for a visitor's language tag (``None``: only ``+…`` parses)."""
    if not language:
        return None
    parts = re.split(r"[-_]", language.strip())
    if len(parts) > 1 and len(parts[-1]) == 2 and parts[-1].isalpha():
        return parts[-1].upper()
    return _REGION_OF_LANGUAGE.get(parts[0].lower())


def strip_controls(text: str, *, keep_newlines: bool = False) -> str:
    """``text`` without control and format characters (bidi overrides, zero-width joins…)."""
    kept = []
    for char in text:
        if keep_newlines and char == "\n":
            kept.append(char)
        elif char == "\t":
            kept.append(" ")
        elif unicodedata.category(char) not in ("Cc", "Cf", "Cs", "Co"):
            kept.append(char)
    return "".join(kept)


def clean_fields(
    raw: Mapping[str, object], form: Leads, *, language: str | None = None
) -> ContactFields:
    """The cleaned contact, or ``InvalidLead`` naming every bad field."""
    problems: dict[str, str] = {}
    values: dict[str, str] = {}
    for key, value in raw.items():
        if key not in LEAD_FIELDS or key not in form.fields:
            problems[key] = _say("unknown", language, key=key)
            continue
        if value is None:
            continue
        if not isinstance(value, str):
            problems[key] = _say("text", language)
            continue
        text = strip_controls(value, keep_newlines=key == "comment")
        text = _SPACES.sub(" ", text).strip()
        if len(text) > MAX_CHARS[key]:
            problems[key] = _say("long", language, n=MAX_CHARS[key])
        elif text:
            values[key] = text
    name = values.get("name")
    if name is not None and _MARKUP.search(name):
        problems["name"] = _say("markup", language)
    if "phone" in values:
        phone, problem = _phone(values["phone"], language)
        if problem is not None:
            problems["phone"] = problem
        else:
            values["phone"] = phone
    if "email" in values and not _EMAIL.fullmatch(values["email"]):
        problems["email"] = _say("email", language)
    for key in form.required:
        if key not in values and key not in problems:
            problems[key] = _say("required", language)
    if problems:
        names = ", ".join(sorted(problems))
        raise InvalidLead(f"Some fields need another look: {names}.", problems)
    email = values.get("email")
    if email is not None:
        local, _, domain = email.rpartition("@")
        email = f"{local}@{domain.lower()}"
    return ContactFields(values.get("name"), values.get("phone"), email, values.get("comment"))


def clean_page(page: object) -> str | None:
    """The page the visitor was on, an http(s) URL; anything else is dropped."""
    if not isinstance(page, str):
        return None
    page = strip_controls(page).strip()
    if not page.startswith(("https://", "http://")) or len(page) > MAX_PAGE_CHARS:
        return None
    return page


def _say(what: str, language: str | None, **values: object) -> str:
    base = (language or "").split("-")[0].split("_")[0].lower()
    return _SAID.get(base, _SAID["en"])[what].format(**values)


def _phone(text: str, language: str | None) -> tuple[str, str | None]:
    region = region_for(language)
    example = "+7 916 123-45-67" if region == "RU" else "+44 20 7946 0958"
    try:
        number = phonenumbers.parse(text, region)
    except phonenumbers.NumberParseException:
        return "", _say("country", language, example=example)
    if not phonenumbers.is_valid_number(number):
        return "", _say("phone", language, example=example)
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164), None
