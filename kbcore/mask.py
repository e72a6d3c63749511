"""Personal data out of visitors' text: e-mail addresses, phone numbers, card numbers.

The relay masks a question before it logs one (only with ``LOG_QUESTIONS=1``), and
``kbsync gaps`` masks again what it reads, so a log written before a spelling was known
still reaches editors clean. Masking errs on the side of hiding: any run of 7 or more
digits, however spelled, is a phone number or a card number; what is left is what an
editor needs ("how much is a visit after 19:00?").

The text is normalised first (NFKC: full-width digits and ``＠``, narrow and thin spaces,
the non-breaking hyphen), and the digits of a number may be joined by a few separators
of any kind (spaces, tabs, dashes of every width, the minus sign, dots), so ``4111 - 1111
- …``, ``+7–912–345–67–89`` and ``номер89123456789`` are found as well as the plain
spellings. An e-mail address may have spaces around its ``@``, spell it ``(at)`` or
``[at]``, and have no dot in its domain.

>>> mask("Call me at +7 (912) 345-67-89 or write to anna@example.ru")
'Call me at [phone] or write to [email]'
"""

from __future__ import annotations

import re
import unicodedata

EMAIL = "[email]"
PHONE = "[phone]"
NUMBER = "[number]"

# Spaces and dashes of every kind (NFKC leaves the dashes alone), the minus sign, dots.
_SEP = r"[\s.\-\u2010-\u2015\u2043\u2212\ufe58\ufe63]"
_AT = r"(?:\s*@\s*|\s*[(\[{]\s*at\s*[)\]}]\s*)"
_EMAIL = re.compile(rf"[\w.%+-]+{_AT}[\w-]+(?:\.[\w-]+)*", re.IGNORECASE)
_SPELLED_AT = re.compile(r"[(\[{]\s*at\s*[)\]}]", re.IGNORECASE)
_NOT_DIGIT = re.compile(r"\D")
# Digits (or a bracketed group of them) joined by at most four separators each: phone
# numbers in every usual spelling, card numbers in groups, plain digit runs. Letters may
# touch the run ("номер89123456789"): only a digit before it means it started earlier.
_GROUP = r"(?:\(\s*\d+\s*\)|\d)"
_DIGITS = re.compile(rf"(?<![\d+])(?:\+\s*)?{_GROUP}(?:{_SEP}{{0,4}}{_GROUP})*")
_DATE = re.compile(r"\d{1,2}\.\d{1,2}\.\d{2,4}")  # 01.05.2024: a date, not a phone number
PHONE_DIGITS = range(7, 16)  # E.164 allows at most 15 digits
CARD_DIGITS = range(12, 20)  # payment card numbers: 12 to 19 digits


def mask(text: str) -> str:
    """``text`` (NFKC-normalised) with e-mail addresses, phone numbers and card-like
    numbers replaced by ``[email]``, ``[phone]`` and ``[number]``."""
    normal = unicodedata.normalize("NFKC", text)
    # Most questions hold neither: the cheap tests spare them the two scans.
    if "@" in normal or _SPELLED_AT.search(normal):
        normal = _EMAIL.sub(EMAIL, normal)
    if len(_NOT_DIGIT.sub("", normal)) >= PHONE_DIGITS.start:
        normal = _DIGITS.sub(_digits, normal)
    return normal


def _digits(run: re.Match[str]) -> str:
    found = run.group()
    count = sum(c.isdigit() for c in found)
    if count < PHONE_DIGITS.start or _DATE.fullmatch(found):
        return found
    # Written with "+" or brackets it is a phone number even when long; a bare or
    # grouped run of card length is a card number (or an account: hidden alike).
    if count in CARD_DIGITS and not found.startswith("+") and "(" not in found:
        return NUMBER
    return PHONE if count in PHONE_DIGITS else NUMBER
