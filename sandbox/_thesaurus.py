"""The extractive model's sense of meaning: a small thesaurus of everyday paraphrases.

A language model reads "Can I bring my dog?" as a question about pets and "how much to
come just once" as one about a single visit; a model that only matches words cannot. Each
line below is a group of words and phrases that a visitor uses for one thing, in Russian
and English, general enough for any service business (a club, a clinic, a shop). A
question's word that belongs to a group is matched by any member of the group in a
passage; a phrase is matched when every one of its words is there.

Two tags stand for times of day: ``@morning`` is matched by a clock time before 12:00 in
the passage, ``@evening`` by one from 17:00 (see ``_concepts.py``).

Only the question is expanded; the documents are read as written, and the answer is
still refused when the passage does not cover the question (see ``_answer.py``).
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass

from sandbox._analyzers import current, stem, words

MORNING = "@morning"
EVENING = "@evening"

_GROUPS = """
pet, pets, dog, dogs, puppy, cat, cats, animal, animals, домашние животные, животное,
    животные, собака, собаку, собакой, пес, кошка, кошку, питомец, питомца
once, single, one-off, разовое, разовый, разово
locate, located, location, address, where is, адрес, находитесь, находится, расположен
front desk, reception, receptionist, administrator, ресепшен, ресепшн, администратор,
    стойка
number, phone, telephone, phones, номер, телефон, телефона
@morning, morning, early, утро, утром, рано, утренний, утренние
@evening, evening, evenings, night, tonight, late, вечер, вечером, вечерние, поздно
spinning, spin, cycle, cycling, bike, bikes, сайкл, велотренажер, велотренажеры
wifi, wi fi, вайфай, вай фай, интернет
hold, pause, suspend, freeze, frozen, freezing, заморозить, заморозка, заморозки,
    приостановить, пауза
travel, travelling, traveling, trip, vacation, away, отпуск, поездка, уезжаю, командировка
bring, bring along, take along, взять с собой, брать с собой, привести, приводить
friend, friends, buddy, girlfriend, boyfriend, друг, друга, подруга, подругу, приятель
gym, тренажерный зал, тренажерка, тренажерку, качалка, качалку
come, go, attend, visit, visits, ходить, приходить, прийти, посещать, посещение, заниматься
turn up, show up, no show, miss, missed, неявка, неявки, не пришел
smoke, smoking, cigarette, cigarettes, vape, vaping, курить, курение, сигарета,
    сигареты, сигарет, вейп, вейпы, кальян
big, main, large, основной, большой
jump, dive, diving, head first, нырять, прыгать, прыгнуть, нырнуть
edge, side, poolside, бортик, бортика, край
child, children, kid, kids, son, daughter, baby, ребенок, ребенка, дети, детей, сын,
    сына, дочь, дочку, детский
note, certificate, medical certificate, справка, справку
doctor, paediatrician, pediatrician, врач, доктор, педиатр
money back, refund, refunds, refunded, return, вернуть деньги, возврат, вернут, вернуть
contract, agreement, договор, договора, контракт
cancel, terminate, termination, расторгнуть, расторжение, отменить
husband, wife, spouse, spouses, partner, муж, мужу, жена, жене, супруг, супруга
give, transfer, pass, hand over, передать, отдать, переоформить, переоформление
card, membership, карта, карту, абонемент, клубная карта
year, annual, yearly, 12 months, год, годовой, 12 месяцев
week, weeks, 7 days, неделя, неделю, недели, 7 дней
shut, shuts, close, closed, closes, closure, закрыт, закрыт, закрывается, закрытие
repair, repairs, renovation, maintenance, ремонт, обслуживание
ill, illness, sick, injured, injury, заболеть, заболею, болезнь, болезни, травма
pensioner, pensioners, senior, seniors, retired, elderly, 60, пенсионер, пенсионеры,
    пенсионерам, пожилой, 60
get there, get here, directions, доехать, добраться, проехать, дойти
back, lower back, поясница, поясницы, спина, спины, спину
coffee, cafe, café, bar, snack, кофе, кафе, бар, перекусить
car, parking, park, машина, машину, автомобиль, парковка, припарковаться
hour, 60 minutes, час, часа, 60 минут
swim, swimming, pool, плавать, плавание, бассейн
warm, temperature, теплая, температура
deep, depth, глубокий, глубина
pay, payment, accept, оплата, оплатить, принимаете
"""


def _entries(line: str) -> list[str]:
    return [entry.strip() for entry in line.split(",") if entry.strip()]


def _stems(entry: str) -> tuple[str, ...]:
    if entry.startswith("@"):
        return (entry,)
    return tuple(stem(word) for word in words(entry))


@dataclass(frozen=True)
class _Table:
    index: dict[tuple[str, ...], int]  # an entry, as stems → its group's number
    groups: list[frozenset[tuple[str, ...]]]  # each group's entries, as stems
    texts: list[tuple[str, ...]]  # each group's entries as written (tags left out)


@functools.cache
def _table(analyzer: str) -> _Table:
    table = _Table({}, [], [])
    for line in re.sub(r"\n\s+", " ", _GROUPS.strip()).splitlines():
        entries = _entries(line)
        stems = frozenset(_stems(entry) for entry in entries)
        for entry in stems:
            table.index.setdefault(entry, len(table.groups))
        table.groups.append(stems)
        table.texts.append(tuple(e for e in entries if not e.startswith("@")))
    return table


def group(phrase: tuple[str, ...]) -> frozenset[tuple[str, ...]] | None:
    """The group of the stemmed ``phrase`` (each entry a tuple of stems), if any."""
    table = _table(current())
    number = table.index.get(phrase)
    return None if number is None else table.groups[number]


def spelled(entries: frozenset[tuple[str, ...]]) -> tuple[str, ...]:
    """The words of the group of ``entries`` (as ``group`` gave them), as written."""
    table = _table(current())
    return table.texts[table.groups.index(entries)]


def longest_phrase() -> int:
    return max(len(entry) for entry in _table(current()).index)
