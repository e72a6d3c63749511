"""The business keys of ``kb/assistant.yaml``: starters, leads, hand-off, Telegram, variants."""

from __future__ import annotations

import random
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path

import pytest

from kbcore._business_read import parse_hours
from kbcore.business import Handoff, Leads, Localized, TelegramSettings, Variant, choose_variant
from kbcore.errors import KbError
from kbcore.kb import load_kb, load_spec
from kbsync._validate import validate
from tests.kbcore._kb_trees import make_kb

FULL = """\
starters:
  ru: ["Сколько стоит абонемент?", "Где вы находитесь?"]
  en: ["How much is a membership?"]
leads:
  fields: [name, phone, email, comment]
  required: [name, phone]
  consent:
    ru: "Нажимая «Отправить», я соглашаюсь на обработку персональных данных."
    en: "By sending, I agree to the processing of my personal data."
  privacy_url: "https://club.example/privacy"
  sinks: [webhook, telegram]
handoff:
  telegram_chat: operators
  hours: "Mon-Fri 09:00-21:00 Europe/Moscow"
telegram:
  greeting:
    en: "Hello! Ask me anything about the club."
variants:
  - {name: warm, instructions: variants/warm.md, weight: 30}
  - {name: short, weight: 20}
"""


@pytest.fixture(autouse=True)
def _in_tmp(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)


def kb_with(tmp_path: Path, text: str, variants: dict[str, str] | None = None) -> Path:
    kb = make_kb(tmp_path, settings=text)
    for name, body in (variants or {}).items():
        (kb / "variants").mkdir(exist_ok=True)
        (kb / "variants" / f"{name}.md").write_text(body, encoding="utf-8")
    return kb


def problems_of(tmp_path: Path, text: str, variants: dict[str, str] | None = None) -> list[str]:
    with pytest.raises(KbError) as caught:
        load_spec(kb_with(tmp_path, text, variants))
    return caught.value.problems


def test_absent_keys_leave_every_feature_off(tmp_path: Path) -> None:
    spec = load_spec(kb_with(tmp_path, "model: gpt-5.4\n"))
    assert (spec.starters, spec.leads, spec.handoff, spec.telegram, spec.variants) == (
        None,
        None,
        None,
        None,
        (),
    )
    assert choose_variant(spec) == "main"


def test_every_business_key(tmp_path: Path) -> None:
    kb = kb_with(tmp_path, FULL, {"warm": "Be warm.\n", "short": "  Be short.  \n"})
    settings = load_kb(kb).settings
    assert settings.starters == Localized(
        {
            "ru": ("Сколько стоит абонемент?", "Где вы находитесь?"),
            "en": ("How much is a membership?",),
        }
    )
    assert settings.leads == Leads(
        fields=("name", "phone", "email", "comment"),
        required=("name", "phone"),
        consent=Localized(
            {
                "ru": "Нажимая «Отправить», я соглашаюсь на обработку персональных данных.",
                "en": "By sending, I agree to the processing of my personal data.",
            }
        ),
        privacy_url="https://club.example/privacy",
        sinks=("webhook", "telegram"),
    )
    assert settings.handoff == Handoff(
        "operators", parse_hours("Mon-Fri 09:00-21:00 Europe/Moscow")
    )
    assert settings.telegram == TelegramSettings(
        Localized({"en": "Hello! Ask me anything about the club."})
    )
    assert settings.variants == (
        Variant("warm", "variants/warm.md", 30),
        Variant("short", "variants/short.md", 20),
    )
    spec = load_spec(kb)
    assert spec.instructions_for("warm") == "Be warm."
    assert spec.instructions_for("short") == "Be short."
    assert spec.instructions_for("main") == "Answer briefly, from the documents."
    assert spec.instructions_for("gone") == "Answer briefly, from the documents."
    assert spec.variant_names() == ("main", "warm", "short")


def test_localized_pick_falls_back_to_english_then_the_first() -> None:
    texts = Localized({"ru": "привет", "en": "hello"})
    assert (texts.pick("ru-RU"), texts.pick("de"), texts.pick(None)) == ("привет", "hello", "hello")
    assert Localized({"ru": "привет"}).pick("en") == "привет"


def test_choose_variant_follows_the_weights(tmp_path: Path) -> None:
    spec = load_spec(kb_with(tmp_path, FULL, {"warm": "Be warm.", "short": "Be short."}))
    rng = random.Random(7)
    counts = Counter(choose_variant(spec, rng) for _ in range(100_000))
    # 30 % / 20 % / 50 % within 1 point over 100,000 draws (sd ≈ 0.16 points).
    assert abs(counts["warm"] / 1000 - 30) < 1
    assert abs(counts["short"] / 1000 - 20) < 1
    assert abs(counts["main"] / 1000 - 50) < 1
    assert set(counts) == {"main", "warm", "short"}


def test_a_variant_changes_the_spec_digest(tmp_path: Path) -> None:
    plain = load_spec(kb_with(tmp_path / "a", "model: gpt-5.4-mini\n")).digest
    text = "variants:\n  - {name: warm, weight: 50}\n"
    warm = load_spec(kb_with(tmp_path / "b", text, {"warm": "Be warm."})).digest
    warmer = load_spec(kb_with(tmp_path / "c", text, {"warm": "Be warmer."})).digest
    half = text.replace("50", "40")
    forty = load_spec(kb_with(tmp_path / "d", half, {"warm": "Be warm."})).digest
    assert len({plain, warm, warmer, forty}) == 4
    # Starters, leads, hand-off and Telegram change nothing at OpenAI: not in the digest.
    business = FULL.split("variants:")[0]
    assert load_spec(kb_with(tmp_path / "e", business)).digest == plain


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        (
            "starters:\n  en: [" + ", ".join(f'"q{n}"' for n in range(7)) + "]\n",
            "kb/assistant.yaml:2: starters.en has 7 questions, over the 6 allowed;"
            " keep the most asked.",
        ),
        (
            f'starters:\n  en: ["{"x" * 121}"]\n',
            "kb/assistant.yaml:2: starters.en[0] is 121 characters, over the 120 allowed;"
            " shorten it.",
        ),
        (
            "starters:\n  EN: [a]\n",
            'kb/assistant.yaml:2: starters: "EN" is not a language code; use a lowercase code'
            ' such as "ru" or "en".',
        ),
        (
            "starters: [a, b]\n",
            "kb/assistant.yaml:1: starters must be a mapping (key: value), not a list.",
        ),
        (
            "leads:\n  required: [name]\n  consent: {en: ok}\n",
            "kb/assistant.yaml:2: leads.required must include phone or email, or a lead cannot"
            " be answered.",
        ),
        (
            "leads:\n  fields: [name, phone]\n  required: [email]\n  consent: {en: ok}\n",
            'kb/assistant.yaml:3: leads.required: "email" is not one of: name, phone.',
        ),
        (
            "leads:\n  consent: {en: ok}\n  sinks: [webhook, slack]\n",
            'kb/assistant.yaml:3: leads.sinks: "slack" is not one of: webhook, telegram,'
            " bitrix24, amocrm, hubspot.",
        ),
        (
            "leads:\n  fields: [name, phone]\n",
            "kb/assistant.yaml:1: leads.consent is missing; write the sentence shown beside the"
            ' submit button per language, e.g. en: "By sending, I agree to the processing of my'
            ' personal data."',
        ),
        (
            "leads:\n  consent: {en: ok}\n  privacy_url: javascript:alert(1)\n",
            "kb/assistant.yaml:3: leads.privacy_url must be an http:// or https:// address,"
            ' not "javascript:alert(1)".',
        ),
        (
            "handoff:\n  hours: Mon-Fri 09:00-21:00 Europe/Moscow\n",
            "kb/assistant.yaml:1: handoff.telegram_chat is missing; name the operators' group"
            " (its id comes from HANDOFF_TELEGRAM_CHAT_ID).",
        ),
        (
            "handoff:\n  telegram_chat: ops\n  hours: Mon-Fri 09:00-21:00 Mars/Olympus\n",
            'kb/assistant.yaml:3: handoff.hours "Mon-Fri 09:00-21:00 Mars/Olympus": "Mars/Olympus"'
            " is not a time zone; use an IANA name such as Europe/Moscow.",
        ),
        (
            "handoff:\n  telegram_chat: ops\n  hours: weekdays 9 to 5\n",
            'kb/assistant.yaml:3: handoff.hours "weekdays 9 to 5" must be days, hours and a time'
            ' zone, like "Mon-Fri 09:00-21:00 Europe/Moscow" (several spans separated by ", ").',
        ),
        (
            "handoff:\n  telegram_chat: ops\n  hours: Mon 09:00-25:00 UTC\n",
            'kb/assistant.yaml:3: handoff.hours "Mon 09:00-25:00 UTC": 25:00 is not a time of'
            " day (00:00 to 24:00).",
        ),
        (
            "telegram:\n  greeting: hello\n",
            'kb/assistant.yaml:2: telegram.greeting must be a mapping (key: value), not "hello".',
        ),
        (
            "variants:\n  - {name: warm, weight: 60}\n  - {name: cold, weight: 50}\n",
            "kb/assistant.yaml:1: variants: the weights add up to 110 %, over 100; lower them"
            ' (the rest of the conversations get "main").',
        ),
        (
            "variants:\n  - {name: main, weight: 10}\n",
            "kb/assistant.yaml:2: variants[0].name must be lowercase letters, digits, - or _"
            ' (up to 32, not "main"), not "main".',
        ),
        (
            "variants:\n  - {name: warm, weight: 10}\n  - {name: warm, weight: 10}\n",
            'kb/assistant.yaml:3: variant "warm" appears twice; name each one once.',
        ),
        (
            "variants:\n  - {name: warm, weight: 0}\n",
            "kb/assistant.yaml:2: variants[0].weight must be a whole number from 1 to 100, not 0.",
        ),
        (
            "variants:\n  - {name: warm, instructions: ../secret.md, weight: 10}\n",
            "kb/assistant.yaml:2: variants[0].instructions must be the path of a .md file inside"
            ' kb/, e.g. "variants/warm.md", not "../secret.md".',
        ),
        (
            "variants:\n  - {name: warm, weight: 10, tone: soft}\n",
            'kb/assistant.yaml:2: unknown key "tone" under variants[0]; expected one of: name,'
            " instructions, weight.",
        ),
    ],
)
def test_bad_business_keys_name_file_and_line(tmp_path: Path, text: str, problem: str) -> None:
    assert problems_of(tmp_path, text, {"warm": "Be warm.", "cold": "Be cold."}) == [problem]


def test_a_missing_or_empty_variant_file_is_named(tmp_path: Path) -> None:
    text = "variants:\n  - {name: warm, weight: 10}\n  - {name: cold, weight: 10}\n"
    assert problems_of(tmp_path, text, {"cold": "\n"}) == [
        'kb/variants/warm.md: is missing; create it with variant "warm"\'s instructions.',
        'kb/variants/cold.md: is empty; write variant "cold"\'s instructions in it.',
    ]


@pytest.mark.parametrize(
    ("hours", "at", "open_"),
    [
        ("Mon-Fri 09:00-21:00 Europe/Moscow", "2026-12-07T06:00:00+00:00", True),  # Mon 09:00 MSK
        ("Mon-Fri 09:00-21:00 Europe/Moscow", "2026-12-07T05:59:00+00:00", False),  # 08:59
        ("Mon-Fri 09:00-21:00 Europe/Moscow", "2026-12-07T18:00:00+00:00", False),  # 21:00
        ("Mon-Fri 09:00-21:00 Europe/Moscow", "2026-12-05T10:00:00+00:00", False),  # Saturday
        ("Mon-Fri 09:00-21:00, Sat 10:00-16:00 Europe/Moscow", "2026-12-05T10:00:00+00:00", True),
        ("Fri 22:00-02:00 UTC", "2026-12-05T01:30:00+00:00", True),  # Saturday 01:30
        ("Fri 22:00-02:00 UTC", "2026-12-05T02:00:00+00:00", False),
        ("Fri 22:00-02:00 UTC", "2026-12-04T21:59:00+00:00", False),
        ("Sat-Mon 00:00-24:00 UTC", "2026-12-06T23:59:00+00:00", True),  # Sun, wraps Sat→Mon
        ("Sat-Mon 00:00-24:00 UTC", "2026-12-08T12:00:00+00:00", False),  # Tuesday
        ("Daily 08:00-20:00 America/New_York", "2026-12-06T13:00:00+00:00", True),  # 08:00 EST
        ("Mon,Wed 10:00-11:00 UTC", "2026-12-09T10:30:00+00:00", True),  # Wednesday
        ("Mon,Wed 10:00-11:00 UTC", "2026-12-08T10:30:00+00:00", False),  # Tuesday
    ],
)
def test_opening_hours(hours: str, at: str, open_: bool) -> None:
    handoff = Handoff("ops", parse_hours(hours))
    assert handoff.is_open(datetime.fromisoformat(at)) is open_


def test_no_hours_is_always_open() -> None:
    assert Handoff("ops", None).is_open(datetime(2026, 12, 6, 3, tzinfo=UTC)) is True


def test_validate_lists_the_features_that_are_on(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    kb = kb_with(tmp_path, FULL, {"warm": "Be warm.", "short": "Be short."})
    lines: list[str] = []
    monkeypatch.setattr("kbsync._validate.result", lines.append)
    assert validate(kb) == 0
    assert lines[1:] == [
        "  starters: ru 2, en 1",
        "  leads: name, phone, email, comment (required: name, phone); sinks: webhook, telegram",
        "  hand-off: operators, Mon-Fri 09:00-21:00 Europe/Moscow",
        "  telegram: greeting en",
        "  variants: warm 30 %, short 20 %, main 50 %",
    ]
