"""A small Club Santé knowledge base uploaded and attached through the official SDK."""

from __future__ import annotations

from typing import Any

from testing.club import PRICES_MD, SCHEDULE_MD

DOCS: dict[str, str] = {
    "prices.md": PRICES_MD,
    "schedule.md": SCHEDULE_MD,
    "rules_ru.md": (
        "# Правила клуба\n\n"
        "В бассейне обязательна резиновая шапочка. Полотенце выдаётся на ресепшене "
        "бесплатно. Дети до 14 лет посещают клуб только со взрослыми.\n"
    ),
    "contacts_ru.md": (
        "# Контакты\n\n"
        "Адрес клуба: Москва, улица Лесная, дом 5. Телефон администратора: +7 495 123-45-67.\n"
    ),
}

MODEL = "gpt-5.4-mini"


def seed(client: Any) -> str:
    """Upload ``DOCS``, attach them to a new vector store, wait for processing; its id."""
    store = client.vector_stores.create(name="kb:test")
    for name, text in DOCS.items():
        uploaded = client.files.create(
            file=(name, text.encode(), "text/markdown"), purpose="assistants"
        )
        client.vector_stores.files.create_and_poll(
            vector_store_id=store.id, file_id=uploaded.id, poll_interval_ms=10
        )
    return str(store.id)


def file_search(vector_store_id: str, **options: Any) -> list[dict[str, Any]]:
    return [{"type": "file_search", "vector_store_ids": [vector_store_id], **options}]
