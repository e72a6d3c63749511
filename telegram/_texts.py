"""What the bot says in its own words, in Russian and English (``language_code``: ru, else en)."""

from __future__ import annotations

_TEXTS: dict[str, dict[str, str]] = {
    "thanks": {
        "en": "Thank you for the rating!",
        "ru": "Спасибо за оценку!",
    },
    "greeting": {
        "en": "Hello! Ask me anything.",
        "ru": "Здравствуйте! Задайте вопрос.",
    },
    "new": {
        "en": "Let's start over. Ask me anything.",
        "ru": "Начнём заново. Задайте вопрос.",
    },
    "full": {
        "en": "This conversation is full, so I have started a new one.",
        "ru": "Этот разговор слишком длинный, поэтому я начал новый.",
    },
    "text_only": {
        "en": "I read text only; please type your question.",
        "ru": "Я понимаю только текст; напишите, пожалуйста, вопрос словами.",
    },
    "too_fast": {
        "en": "You are sending messages too fast; please wait a little and write again.",
        "ru": "Слишком много сообщений подряд; подождите немного и напишите снова.",
    },
    "budget": {
        "en": "You have reached the limit of answers for now; please come back later.",
        "ru": "Лимит ответов на сейчас исчерпан; пожалуйста, возвращайтесь позже.",
    },
    "too_long": {
        "en": "Your message is longer than {limit} characters; please make it shorter.",
        "ru": "Сообщение длиннее {limit} символов; пожалуйста, сократите его.",
    },
    "not_ready": {
        "en": "I am starting up; please write again in a minute.",
        "ru": "Я запускаюсь; напишите, пожалуйста, через минуту.",
    },
    "apology": {
        "en": "Sorry, I cannot answer right now; please try again in a minute.",
        "ru": "Извините, сейчас не получается ответить; попробуйте через минуту.",
    },
    "cut_short": {
        "en": "(The answer was cut short.)",
        "ru": "(Ответ оборвался.)",
    },
    "sources": {"en": "Sources:", "ru": "Источники:"},
    "consent": {
        "en": "Share your phone number with the button below and we will get back to you.",
        "ru": "Поделитесь номером телефона кнопкой ниже, и мы с вами свяжемся.",
    },
    "share_phone": {"en": "Share phone", "ru": "Поделиться номером"},
    "no_thanks": {"en": "No, thanks", "ru": "Нет, спасибо"},
    "privacy": {"en": "Privacy policy: {url}", "ru": "Политика конфиденциальности: {url}"},
    "lead_saved": {
        "en": "Thank you! We will contact you soon.",
        "ru": "Спасибо! Мы скоро с вами свяжемся.",
    },
    "lead_failed": {
        "en": "Sorry, I could not save your number; please try again.",
        "ru": "Извините, не удалось сохранить номер; попробуйте ещё раз.",
    },
    "not_own_contact": {
        "en": "Please share your own number with the button.",
        "ru": "Пожалуйста, поделитесь своим номером с помощью кнопки.",
    },
    "lead_off": {
        "en": "Leaving a contact is not available here.",
        "ru": "Оставить контакт здесь нельзя.",
    },
    "handoff_opened": {
        "en": "I have asked a person to join; they will answer here.",
        "ru": "Я позвал сотрудника; он ответит здесь.",
    },
    "handoff_waiting": {
        "en": "A person already has this conversation; they will answer here.",
        "ru": "Разговор уже у сотрудника; он ответит здесь.",
    },
    "handoff_closed": {
        "en": "Nobody is available right now (we are here {hours}).",
        "ru": "Сейчас никого нет на месте (мы работаем {hours}).",
    },
    "handoff_off": {
        "en": "Talking to a person is not available here.",
        "ru": "Связаться с сотрудником здесь нельзя.",
    },
    "handoff_failed": {
        "en": "Sorry, I could not reach a person; please try again later.",
        "ru": "Извините, не удалось позвать сотрудника; попробуйте позже.",
    },
    "handoff_done": {
        "en": "The conversation with the person has ended; I can answer your questions again.",
        "ru": "Разговор с сотрудником завершён; я снова отвечаю на вопросы.",
    },
}


def language(code: str | None) -> str:
    """``ru`` for Russian (``ru``, ``ru-RU``), else ``en``."""
    return "ru" if (code or "").lower().split("-")[0] == "ru" else "en"


def say(key: str, lang: str, **values: object) -> str:
    text = _TEXTS[key]["ru" if lang == "ru" else "en"]
    return text.format(**values) if values else text
