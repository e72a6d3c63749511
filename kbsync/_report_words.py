"""The report's words in English and Russian (``--lang``), and numbers as each writes them."""

from __future__ import annotations

LANGS = ("en", "ru")

WORDS: dict[str, dict[str, str]] = {
    "en": {
        "title": "How the assistant does",
        "period": "{first} – {last} (UTC)",
        "no_data": "No chats in these logs.",
        "chats": "Chats",
        "answered": "Answered with a source",
        "feedback": "Feedback",
        "up_share": "👍 share",
        "leads": "Leads",
        "conversion": "chats → lead",
        "handoffs": "Hand-offs to a person",
        "by_channel": "By channel",
        "by_variant": "Variants",
        "gaps": "Top gaps (questions the knowledge base did not answer)",
        "no_gaps": "No gap questions logged (questions are logged only with LOG_QUESTIONS=1).",
        "chats_per_day": "Chats per day by channel",
        "answered_per_day": "Answered with a source, share per day",
        "up_per_day": "👍 share per day",
        "leads_per_day": "Leads per day",
        "handoffs_per_day": "Hand-offs per day",
        "channel": "channel",
        "variant": "variant",
        "reasons": "Why 👎",
        "test": "Each variant against main: {test}; no p-value below {min} chats a side.",
        "test_name": "two-proportion z-test (pooled, two-sided)",
        "sentence": "variant {variant}: {v} {metric} vs {m}, p {p}, {chats}",
        "not_enough": "variant {variant}: {v} {metric} vs {m}, not enough data yet ({chats})",
        "a_side": "{n} chats a side",
        "two_sides": "{v} and {m} chats",
        "skipped": "Skipped {n} lines: {what}.",
        "unreadable": "{n} not readable",
        "other": "{n} of other requests or start-up",
        "other_kb": "{n} of other knowledge bases",
        "before": "{n} before --since",
        "cut": "Cut short (read up to the cut): {files}.",
        "several_kbs": "These logs hold several knowledge bases ({names}); pass --kb-name.",
        "metric_up": "👍",
        "metric_answered": "answered with a source",
        "metric_leads": "chats → lead",
        "reason_wrong": "wrong",
        "reason_unhelpful": "unhelpful",
        "reason_outdated": "outdated",
        "reason_other": "other",
        "reason_none": "no reason",
        "total": "total",
        "gap_count": "{n} chats",
        "footer": "Made by kbsync report from the relay's logs.",
    },
    "ru": {
        "title": "Как работает ассистент",
        "period": "{first} – {last} (UTC)",
        "no_data": "В этих журналах нет чатов.",
        "chats": "Чаты",
        "answered": "Ответ с источником",
        "feedback": "Оценки",
        "up_share": "доля 👍",
        "leads": "Заявки",
        "conversion": "чаты → заявка",
        "handoffs": "Переводы на человека",
        "by_channel": "По каналам",
        "by_variant": "Варианты",
        "gaps": "Главные пробелы (вопросы, на которые база знаний не ответила)",
        "no_gaps": "Вопросы-пробелы не записаны (вопросы пишутся только при LOG_QUESTIONS=1).",
        "chats_per_day": "Чаты по дням и каналам",
        "answered_per_day": "Доля ответов с источником по дням",
        "up_per_day": "Доля 👍 по дням",
        "leads_per_day": "Заявки по дням",
        "handoffs_per_day": "Переводы на человека по дням",
        "channel": "канал",
        "variant": "вариант",
        "reasons": "Почему 👎",
        "test": "Каждый вариант против main: {test}; без p-значения, пока меньше {min} чатов"
        " с каждой стороны.",
        "test_name": "z-тест для двух долей (объединённая оценка, двусторонний)",
        "sentence": "вариант {variant}: {v} {metric} против {m}, p {p}, {chats}",
        "not_enough": "вариант {variant}: {v} {metric} против {m}, данных пока мало ({chats})",
        "a_side": "по {n} чатов",
        "two_sides": "{v} и {m} чатов",
        "skipped": "Пропущено строк: {n} ({what}).",
        "unreadable": "нечитаемых {n}",
        "other": "других запросов и служебных {n}",
        "other_kb": "других баз знаний {n}",
        "before": "до --since {n}",
        "cut": "Обрезаны (прочитаны до обрыва): {files}.",
        "several_kbs": "В журналах несколько баз знаний ({names}); укажите --kb-name.",
        "metric_up": "👍",
        "metric_answered": "ответов с источником",
        "metric_leads": "чаты → заявка",
        "reason_wrong": "неверно",
        "reason_unhelpful": "бесполезно",
        "reason_outdated": "устарело",
        "reason_other": "другое",
        "reason_none": "без причины",
        "total": "всего",
        "gap_count": "{n} чатов",
        "footer": "Отчёт kbsync report по журналам relay.",
    },
}


def number(value: int, lang: str) -> str:
    """``1,240`` in English, ``1 240`` in Russian (a no-break space)."""
    text = f"{value:,}"
    return text.replace(",", "\u00a0") if lang == "ru" else text


def percent(value: float | None, lang: str) -> str:
    """A share as whole percent (one decimal under 10 %), or an en dash without data."""
    if value is None:
        return "–"
    shown = f"{value * 100:.1f}" if 0 < value < 0.1 else f"{value * 100:.0f}"
    return (shown.replace(".", ",") if lang == "ru" else shown) + "\u00a0%"


def p_value(value: float, lang: str) -> str:
    """``= 0.03``, ``= 0.41``, ``< 0.001`` (two significant digits at most)."""
    if value < 0.001:
        text = "< 0.001"
    elif value < 0.01:
        text = f"= {value:.3f}"
    else:
        text = f"= {value:.2f}"
    return text.replace(".", ",") if lang == "ru" else text
