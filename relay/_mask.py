"""Personal data out of logged questions: e-mail addresses, phone numbers, card numbers.

Used only when ``LOG_QUESTIONS=1`` (the gap report); without it no question is logged.
Masking errs on the side of hiding: any run of 7 or more digits, however spelled (spaces,
dashes, dots, brackets, a leading ``+``), is a phone number or a card number; what is
left is what an editor needs ("how much is a visit after 19:00?").

>>> mask("Call me at +7 (912) 345-67-89 or write to anna@example.ru")
'Call me at [phone] or write to [email]'
"""

from __future__ import annotations

import re

EMAIL = "[email]"
PHONE = "[phone]"
NUMBER = "[number]"

_EMAIL = re.compile(r"[\w.%+-]+@[\w-]+(?:\.[\w-]+)+")
# Digits (or a bracketed group of them) joined by at most one separator each: phone
# numbers in every usual spelling, card numbers in groups, plain digit runs.
_DIGITS = re.compile(r"(?<![\w+])\+?(?:\(\d+\)|\d)(?:[ .\-\u00a0]?(?:\(\d+\)|\d))*")
_DATE = re.compile(r"\d{1,2}\.\d{1,2}\.\d{2,4}")  # 01.05.2024: a date, not a phone number
PHONE_DIGITS = range(7, 16)  # E.164 allows at most 15 digits
CARD_DIGITS = range(12, 20)  # payment card numbers: 12 to 19 digits


def mask(text: str) -> str:
    """``text`` with e-mail addresses, phone numbers and card-like numbers replaced."""
    return _DIGITS.sub(_digits, _EMAIL.sub(EMAIL, text))


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
