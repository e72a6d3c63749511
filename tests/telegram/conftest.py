"""Telegram fixtures: a seeded club KB with the business keys on, in a tmp kb/ folder."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from testing.club import Seeded, seed, write_club_kb
from testing.kb import write_file

KB_NAME = "tgtest"
BUSINESS = """\
sources:
  url: "https://club.example/docs/{path}"
starters:
  en: ["How much is a membership?", "Where are you?"]
  ru: ["Сколько стоит абонемент?", "Где вы находитесь?"]
telegram:
  greeting:
    en: "Hello! Ask me about the club."
    ru: "Здравствуйте! Спросите о клубе."
leads:
  fields: [name, phone]
  required: [phone]
  consent:
    en: "By sharing, I agree to the processing of my personal data."
    ru: "Отправляя, я соглашаюсь на обработку персональных данных."
  privacy_url: "https://club.example/privacy"
handoff:
  telegram_chat: operators
"""


@pytest.fixture
def seeded(client: Any) -> Seeded:
    return seed(client, KB_NAME)


def write_tg_kb(root: Path, business: str = BUSINESS) -> Path:
    kb = write_club_kb(root, KB_NAME)
    settings = (kb / "assistant.yaml").read_text() + business
    write_file(kb / "assistant.yaml", settings)
    return kb


@pytest.fixture
def kb(tmp_path: Path, seeded: Seeded) -> Path:
    return write_tg_kb(tmp_path / "kb")
