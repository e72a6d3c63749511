"""Regenerate the binary documents of the example knowledge base.

The Markdown files in ``kb/files/`` are edited by hand. The two documents that
are not text, ``kb/files/pool-rules.pdf`` and ``kb/files/membership-terms.docx``,
are built from the texts below and committed, so that nobody needs these tools
to use the KB. Edit the texts here, then run::

    .venv/bin/pip install fpdf2          # a generator tool, not a project dependency
    .venv/bin/python scripts/make_kb_docs.py
    .venv/bin/python scripts/make_kb_docs.py --check   # exit 1 if a file is stale

The output is byte-for-byte reproducible (fixed dates, fixed zip timestamps):
kbsync syncs by content hash, so regenerating unchanged texts must not turn
into an "update" of the vector store.

The PDF has Russian text, so it embeds DejaVu Sans (subset), looked up in
``/usr/share/fonts`` unless ``--font-dir`` says where it is.
"""

from __future__ import annotations

import argparse
import io
import sys
import zipfile
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
FILES = ROOT / "kb" / "files"
POOL_RULES = FILES / "pool-rules.pdf"
MEMBERSHIP_TERMS = FILES / "membership-terms.docx"

# The date the texts took effect; also stamped into both files for reproducibility.
EFFECTIVE = datetime(2026, 9, 1, tzinfo=UTC)
FONT_DIRS = [Path("/usr/share/fonts/truetype/dejavu"), Path("/usr/share/fonts")]

# A document is a title, an intro paragraph and numbered sections of points.
Section = tuple[str, list[str]]
Doc = tuple[str, str, list[Section]]

POOL_RU: Doc = (
    "Правила посещения бассейна Club Santé",
    "Действуют с 1 сентября 2026 года. Казань, ул. Петербургская, 26. "
    "Ресепшен: +7 (843) 212-45-67.",
    [
        (
            "Бассейн и часы работы",
            [
                "Основной бассейн: 25 м, 5 дорожек, глубина 1,4–1,9 м, температура воды 27–28 °C.",
                "Детский бассейн: 6 × 10 м, глубина 0,6–0,9 м, температура воды 31–32 °C.",
                "Бассейн работает в часы работы клуба и закрывается за 30 минут до закрытия клуба.",
                "В последний понедельник каждого месяца бассейн закрыт на техническое "
                "обслуживание до 14:00.",
                "Во время работы бассейна у воды всегда дежурит инструктор-спасатель.",
            ],
        ),
        (
            "Перед входом в бассейн",
            [
                "Примите душ с мылом без купальника.",
                "Наденьте шапочку для плавания и резиновые тапочки: это обязательно. "
                "Шапочку можно купить на ресепшене за 400 ₽.",
                "Длинные волосы уберите под шапочку, снимите украшения.",
                "Не наносите кремы и масла перед плаванием.",
            ],
        ),
        (
            "Дорожки",
            [
                "Дорожки 1–2: спокойное плавание; во время аквааэробики они заняты.",
                "Дорожка 3: средний темп. Дорожки 4–5: быстрое плавание и тренировки.",
                "Плывите по правой стороне дорожки, обгоняйте слева, "
                "не отдыхайте у бортика на пути других.",
                "Доски, колобашки и ласты бесплатно выдаёт инструктор; "
                "ласты — только на дорожках 4–5.",
            ],
        ),
        (
            "Запрещено",
            [
                "Нырять с бортика. Стартовые тумбы — только на тренировке с тренером.",
                "Бегать по бортику, висеть на разделителях дорожек.",
                "Плавать с открытыми ранами, кожными и инфекционными заболеваниями.",
                "Находиться в бассейне в состоянии алкогольного опьянения.",
                "Приносить еду, стеклянную посуду, жевательную резинку.",
                "Снимать на фото и видео других посетителей.",
            ],
        ),
        (
            "Дети",
            [
                "Дети до 14 лет находятся в бассейне только вместе со взрослым.",
                "Дети до 7 лет плавают только в детском бассейне. "
                "Детей до 3 лет в бассейн не допускают.",
                "Детям до 14 лет нужна справка от педиатра; она действует 3 месяца.",
                "Школа плавания (7–12 лет) занимается в детском бассейне.",
            ],
        ),
        (
            "Сауна и хаммам",
            [
                "С 14 лет — только вместе с родителем, с 18 лет — самостоятельно.",
                "Один заход — не более 15 минут. После сауны примите душ, "
                "прежде чем войти в бассейн.",
            ],
        ),
        (
            "Безопасность",
            [
                "Выполняйте указания инструктора-спасателя.",
                "Если почувствовали себя плохо, выйдите из воды и сразу скажите инструктору.",
                "Клуб может временно закрыть дорожку или бассейн для занятий "
                "или по соображениям безопасности.",
            ],
        ),
    ],
)

POOL_EN: Doc = (
    "Club Santé pool rules",
    "Valid from 1 September 2026. 26 Peterburgskaya St., Kazan. Reception: +7 (843) 212-45-67.",
    [
        (
            "The pools and opening hours",
            [
                "Main pool: 25 m, 5 lanes, depth 1.4–1.9 m, water temperature 27–28 °C.",
                "Children's pool: 6 × 10 m, depth 0.6–0.9 m, water temperature 31–32 °C.",
                "The pool is open during club hours and closes 30 minutes before the club closes.",
                "On the last Monday of every month the pool is closed for maintenance until 14:00.",
                "A lifeguard is always on duty while the pool is open.",
            ],
        ),
        (
            "Before you enter the pool",
            [
                "Shower with soap, without swimwear.",
                "A swim cap and rubber slippers are required. "
                "You can buy a swim cap at reception for 400 ₽.",
                "Tuck long hair under the cap and take off jewellery.",
                "Do not apply creams or oils before swimming.",
            ],
        ),
        (
            "Lanes",
            [
                "Lanes 1–2: easy swimming; they are taken during Aqua Aerobics.",
                "Lane 3: medium pace. Lanes 4–5: fast swimming and training.",
                "Keep to the right of the lane, overtake on the left, "
                "do not rest at the wall in other swimmers' way.",
                "Kickboards, pull buoys and fins are free from the lifeguard; "
                "fins only in lanes 4–5.",
            ],
        ),
        (
            "Not allowed",
            [
                "Diving from the side. Starting blocks only during training with a coach.",
                "Running on the pool deck, hanging on the lane ropes.",
                "Swimming with open wounds, skin or infectious diseases.",
                "Being in the pool under the influence of alcohol.",
                "Food, glassware, chewing gum.",
                "Taking photos or videos of other visitors.",
            ],
        ),
        (
            "Children",
            [
                "Children under 14 may be in the pool only together with an adult.",
                "Children under 7 swim only in the children's pool. "
                "Children under 3 are not allowed in the pool.",
                "Children under 14 need a paediatrician's certificate; it is valid for 3 months.",
                "The Kids' Swim School (ages 7–12) uses the children's pool.",
            ],
        ),
        (
            "Sauna and hammam",
            [
                "From age 14 only together with a parent, from 18 on your own.",
                "No more than 15 minutes per session. Shower after the sauna "
                "before entering the pool.",
            ],
        ),
        (
            "Safety",
            [
                "Follow the lifeguard's instructions.",
                "If you feel unwell, get out of the water and tell the lifeguard at once.",
                "The club may close a lane or the pool for classes or for safety reasons.",
            ],
        ),
    ],
)

TERMS_RU: Doc = (
    "Условия клубного договора Club Santé",
    "Краткое изложение основных условий договора оказания услуг фитнес-клуба "
    "ООО «Клаб Санте» (Казань, ул. Петербургская, 26). Действует с 1 сентября 2026 года. "
    "Полный текст договора выдаётся при покупке клубной карты. Договор заключается "
    "на русском языке; английский перевод в этом документе — для удобства.",
    [
        (
            "Клубная карта",
            [
                "Клубная карта именная и даёт право пользоваться услугами клуба "
                "в соответствии с её типом («Полный день», «Дневная», «Юниор», «Тин»).",
                "Срок карты начинается с первого посещения, но не позднее чем через "
                "14 дней после покупки.",
                "Автоматического продления нет. Продлить карту можно заранее по цене "
                "действующего прайс-листа.",
            ],
        ),
        (
            "Заморозка",
            [
                "Дни заморозки: карта на 3 месяца — 14 дней, на 6 месяцев — 30 дней, "
                "на 12 месяцев — 60 дней. Карту на 1 месяц заморозить нельзя.",
                "Минимальный срок одной заморозки — 7 дней. Заявка — в приложении "
                "или на ресепшене не позднее чем за 1 день до начала заморозки.",
                "Заморозка бесплатна. Неиспользованные дни заморозки не переносятся "
                "и не компенсируются.",
                "При болезни или травме дольше 7 дней срок карты продлевается на период "
                "болезни по медицинскому документу сверх дней заморозки.",
            ],
        ),
        (
            "Переоформление",
            [
                "Карту на 6 или 12 месяцев можно один раз переоформить на другого человека. "
                "Стоимость — 2 000 ₽.",
                "Оба человека приходят на ресепшен с паспортами. Новый владелец "
                "получает оставшийся срок и оставшиеся дни заморозки.",
            ],
        ),
        (
            "Расторжение и возврат денег",
            [
                "Член клуба может расторгнуть договор в любой момент, подав письменное "
                "заявление на ресепшене или с адреса электронной почты, указанного в договоре, "
                "на info@clubsante.example.",
                "Если карта не активирована, возвращается полная стоимость.",
                "Если карта активирована, возвращается стоимость неиспользованных дней: "
                "оплаченная сумма минус стоимость дней с начала срока до даты заявления "
                "(дни заморозки не считаются).",
                "Деньги возвращаются в течение 10 дней тем же способом, которым была оплата.",
                "Неиспользованные тренировки из пакета персональных тренировок возвращаются "
                "за вычетом проведённых тренировок по цене разовой тренировки.",
            ],
        ),
        (
            "Скидки",
            [
                "Скидки (семейная 15 %, студенческая 20 %, 60+ 20 %) предоставляются при покупке "
                "по документам и не суммируются.",
                "Если основание для скидки пропало (например, окончание учёбы), "
                "цена уже купленной карты не меняется.",
            ],
        ),
        (
            "Персональные тренировки",
            [
                "Пакет из 10 тренировок действует 90 дней с первой тренировки.",
                "Тренировку можно отменить не позднее чем за 12 часов, иначе она считается "
                "проведённой.",
            ],
        ),
        (
            "Здоровье и ответственность",
            [
                "Член клуба подтверждает, что не имеет противопоказаний к занятиям, "
                "и обязуется соблюдать правила клуба. Клуб рекомендует перед началом "
                "занятий проконсультироваться с врачом.",
                "Клуб не отвечает за вред здоровью, вызванный нарушением правил клуба "
                "или указаний тренера, и за ценности, оставленные вне сейфа на ресепшене.",
            ],
        ),
        (
            "Закрытие клуба",
            [
                "Если клуб закрыт по своей инициативе дольше 3 дней подряд, срок всех "
                "клубных карт продлевается на время закрытия.",
                "О плановых закрытиях клуб сообщает не позднее чем за 7 дней в приложении "
                "и на сайте.",
            ],
        ),
        (
            "Персональные данные",
            [
                "Клуб обрабатывает персональные данные члена клуба для исполнения договора "
                "в соответствии с Федеральным законом № 152-ФЗ «О персональных данных».",
            ],
        ),
    ],
)

TERMS_EN: Doc = (
    "Club Santé membership terms",
    "A summary of the main terms of the fitness club services agreement of "
    "Club Santé LLC (26 Peterburgskaya St., Kazan). Valid from 1 September 2026. "
    "The full agreement is given to you when you buy a membership. The agreement is "
    "made in Russian; the English translation in this document is for convenience.",
    [
        (
            "The membership",
            [
                "A membership is personal and entitles you to use the club's services "
                "according to its type (Full Day, Daytime, Junior, Teen).",
                "The membership term starts on your first visit, but no later than "
                "14 days after purchase.",
                "There is no automatic renewal. You can renew in advance at the prices "
                "of the current price list.",
            ],
        ),
        (
            "Freezing",
            [
                "Freeze days: 3-month membership 14 days, 6-month 30 days, "
                "12-month 60 days. A 1-month membership cannot be frozen.",
                "The minimum freeze is 7 days. Request it in the app or at reception "
                "at least 1 day before the freeze starts.",
                "Freezing is free. Unused freeze days are not carried over or compensated.",
                "If you are ill or injured for more than 7 days, the membership is extended "
                "by the period of illness on a medical document, on top of the freeze days.",
            ],
        ),
        (
            "Transfer",
            [
                "A 6- or 12-month membership can be transferred to another person once. "
                "It costs 2 000 ₽.",
                "Both people come to reception with their passports. The new holder "
                "gets the remaining term and the remaining freeze days.",
            ],
        ),
        (
            "Termination and refunds",
            [
                "A member may terminate the agreement at any time with a written request "
                "at reception or by email to info@clubsante.example from the email address "
                "given in the agreement.",
                "If the membership has not been activated, the full price is refunded.",
                "If it has been activated, the unused days are refunded: the amount paid "
                "minus the cost of the days from the start of the term to the date of the "
                "request (freeze days are not counted).",
                "The refund is made within 10 days by the same payment method.",
                "Unused personal training sessions from a pack are refunded after deducting "
                "the sessions held at the single-session price.",
            ],
        ),
        (
            "Discounts",
            [
                "Discounts (family 15 %, student 20 %, 60+ 20 %) are given at purchase "
                "on documents and do not combine.",
                "If the reason for a discount ends (for example, you graduate), "
                "the price of a membership already bought does not change.",
            ],
        ),
        (
            "Personal training",
            [
                "A 10-session pack is valid for 90 days from the first session.",
                "A session can be cancelled at least 12 hours in advance, otherwise it "
                "counts as held.",
            ],
        ),
        (
            "Health and liability",
            [
                "The member confirms that they have no contraindications to exercise "
                "and agrees to follow the club rules. The club recommends consulting a "
                "doctor before starting to train.",
                "The club is not liable for harm to health caused by breaking the club "
                "rules or a trainer's instructions, nor for valuables left outside the "
                "safe at reception.",
            ],
        ),
        (
            "Club closure",
            [
                "If the club closes on its own initiative for more than 3 days in a row, "
                "all memberships are extended by the closure period.",
                "The club announces planned closures at least 7 days ahead in the app "
                "and on the website.",
            ],
        ),
        (
            "Personal data",
            [
                "The club processes members' personal data to perform the agreement "
                "under Federal Law No. 152-FZ on Personal Data.",
            ],
        ),
    ],
)


def _find_font(font_dirs: list[Path], name: str) -> Path:
    for directory in font_dirs:
        for path in sorted(directory.rglob(name)) if directory.is_dir() else []:
            return path
    searched = ", ".join(str(d) for d in font_dirs)
    raise SystemExit(
        f"{name} not found in {searched}: install fonts-dejavu-core or pass --font-dir."
    )


def build_pdf(docs: list[Doc], font_dirs: list[Path]) -> bytes:
    """Each document from a new page, in DejaVu Sans (one face keeps the file small)."""
    try:  # a generator tool, not a project dependency: imported here so --help works without it
        from fpdf import FPDF
    except ImportError:
        raise SystemExit("fpdf2 is not installed: run .venv/bin/pip install fpdf2") from None

    pdf = FPDF(format="A4")
    pdf.set_creation_date(EFFECTIVE)
    pdf.set_title("Club Santé: правила бассейна / pool rules")
    pdf.set_author("Club Santé")
    pdf.set_lang("ru")
    pdf.add_font("DejaVu", "", str(_find_font(font_dirs, "DejaVuSans.ttf")))
    pdf.set_margins(18, 14, 18)
    pdf.set_auto_page_break(auto=True, margin=14)
    for title, intro, sections in docs:
        pdf.add_page()
        pdf.set_font("DejaVu", size=16)
        _line(pdf, 9, title)
        pdf.set_font("DejaVu", size=9.5)
        _line(pdf, 5, intro)
        for number, (heading, points) in enumerate(sections, start=1):
            pdf.ln(2)
            pdf.set_font("DejaVu", size=12)
            _line(pdf, 7, f"{number}. {heading}")
            pdf.set_font("DejaVu", size=9.5)
            for sub, point in enumerate(points, start=1):
                _line(pdf, 5, f"{number}.{sub}. {point}")
    return bytes(pdf.output())


def _line(pdf: Any, height: float, text: str) -> None:
    # Left-aligned: justified text puts runs of spaces into what pypdf extracts.
    pdf.multi_cell(0, height, text, align="L", new_x="LMARGIN", new_y="NEXT")


def build_docx(docs: list[Doc]) -> bytes:
    """The documents one after another, separated by a page break; returns the .docx bytes."""
    import docx
    from docx.enum.text import WD_BREAK

    document = docx.Document()
    props = document.core_properties
    props.title = "Club Santé: условия клубного договора / membership terms"
    props.author = props.last_modified_by = "Club Santé"
    props.created = props.modified = EFFECTIVE.replace(tzinfo=None)
    props.revision = 1
    props.language = "ru-RU"
    for index, (title, intro, sections) in enumerate(docs):
        if index:
            document.add_paragraph().add_run().add_break(WD_BREAK.PAGE)
        document.add_heading(title, level=1)
        document.add_paragraph(intro)
        for number, (heading, points) in enumerate(sections, start=1):
            document.add_heading(f"{number}. {heading}", level=2)
            for sub, point in enumerate(points, start=1):
                document.add_paragraph(f"{number}.{sub}. {point}")
    _drop_optional_parts(document)
    buffer = io.BytesIO()
    document.save(buffer)
    return _normalize_zip(buffer.getvalue())


def _drop_optional_parts(document: Any) -> None:
    # The default template carries ~15 KB of parts no reader needs; the KB wants small files.
    optional = ("/stylesWithEffects", "/customXml", "/metadata/thumbnail")
    for rels in (document.part.rels, document.part.package.rels):
        for rid, rel in list(rels.items()):
            if rel.reltype.endswith(optional):
                del rels[rid]


def _normalize_zip(data: bytes) -> bytes:
    # python-docx stamps every zip member with the current time; fix it so the bytes repeat.
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(data)) as src, zipfile.ZipFile(out, "w") as dst:
        for item in src.infolist():
            info = zipfile.ZipInfo(item.filename, date_time=EFFECTIVE.timetuple()[:6])
            info.compress_type = zipfile.ZIP_DEFLATED
            info.external_attr = 0o644 << 16
            dst.writestr(info, src.read(item.filename))
    return out.getvalue()


def _outputs(font_dirs: list[Path]) -> Iterator[tuple[Path, bytes]]:
    yield POOL_RULES, build_pdf([POOL_RU, POOL_EN], font_dirs)
    yield MEMBERSHIP_TERMS, build_docx([TERMS_RU, TERMS_EN])


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--check", action="store_true", help="write nothing; exit 1 if a file would change"
    )
    parser.add_argument("--font-dir", type=Path, action="append", help="where DejaVu Sans is")
    args = parser.parse_args(argv)
    font_dirs = args.font_dir or FONT_DIRS
    stale = 0
    for path, data in _outputs(font_dirs):
        name = path.relative_to(ROOT)
        current = path.read_bytes() if path.exists() else None
        if current == data:
            print(f"{name}: up to date ({len(data)} bytes)")
        elif args.check:
            print(f"{name}: stale, run scripts/make_kb_docs.py", file=sys.stderr)
            stale += 1
        else:
            path.write_bytes(data)
            print(f"{name}: written ({len(data)} bytes)")
    return 1 if stale else 0


if __name__ == "__main__":
    sys.exit(main())
