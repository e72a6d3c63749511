"""A small Club Santé knowledge base uploaded and attached through the official SDK."""

from __future__ import annotations

from typing import Any

DOCS: dict[str, str] = {
    "prices.md": (
        "# Prices\n\n"
        "A single visit costs 1500 rubles. A monthly membership costs 5000 rubles and "
        "includes the pool and the gym. Students get a 20 percent discount on the monthly "
        "membership.\n"
    ),
    "schedule.md": (
        "# Opening hours\n\n"
        "The club is open from 7:00 to 23:00 on weekdays and from 9:00 to 21:00 at weekends. "
        "The swimming pool closes thirty minutes before the club.\n"
    ),
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
