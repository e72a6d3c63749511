"""One rule for what a visitor typed: phones in E.164, e-mail syntax, lengths, no markup."""

from __future__ import annotations

import pytest

import leads
from tests.leads.conftest import form


@pytest.mark.parametrize(
    ("typed", "language", "e164"),
    [
        ("8 (916) 123-45-67", "ru", "+79161234567"),
        ("+7 916 123 45 67", "en", "+79161234567"),
        ("9161234567", "ru-RU", "+79161234567"),
        ("020 7946 0958", "en-GB", "+442079460958"),
    ],
)
def test_phones_are_parsed_in_the_visitors_region_and_kept_in_e164(
    typed: str, language: str, e164: str
) -> None:
    cleaned = leads.clean_fields({"name": "Anna", "phone": typed}, form(), language=language)
    assert cleaned.phone == e164


def test_region_comes_from_the_language_tag() -> None:
    assert [leads.region_for(t) for t in ("ru", "ru-RU", "en", "en-GB", "uk", None)] == [
        "RU",
        "RU",
        None,
        "GB",
        "UA",
        None,
    ]


def _problems(values: dict[str, object], **kwargs: object) -> dict[str, str]:
    with pytest.raises(leads.InvalidLead) as caught:
        leads.clean_fields(values, form(**kwargs), language="en-RU")  # type: ignore[arg-type]
    return caught.value.fields


def test_every_bad_field_is_named_at_once() -> None:
    problems = _problems(
        {"name": "<b>Anna</b>", "phone": "12", "email": "anna@", "comment": "x" * 10_000}
    )
    assert sorted(problems) == ["comment", "email", "name", "phone"]
    assert problems["name"] == "A name cannot contain < or >."
    assert problems["comment"] == "Keep this under 1000 characters."


def test_a_national_number_without_region_needs_its_country_code() -> None:
    with pytest.raises(leads.InvalidLead) as caught:
        leads.clean_fields({"name": "Ann", "phone": "020 7946 0958"}, form(), language="en")
    assert caught.value.fields == {
        "phone": "Enter the number with its country code, e.g. +44 20 7946 0958."
    }


def test_required_fields_and_fields_the_form_does_not_ask() -> None:
    assert _problems({"phone": "+79161234567"}) == {"name": "Please fill this in."}
    problems = _problems({"name": "A", "phone": "+79161234567", "age": "30"})
    assert problems == {"age": "This form does not ask for 'age'."}
    only_phone = _problems(
        {"name": "A", "phone": "+79161234567", "email": "a@b.co"}, fields=("name", "phone")
    )
    assert only_phone == {"email": "This form does not ask for 'email'."}


def test_control_and_format_characters_are_stripped() -> None:
    cleaned = leads.clean_fields(
        {"name": "An\u202ena\x00\x07", "phone": "+79161234567", "comment": "line 1\nline\t2\r"},
        form(),
    )
    assert cleaned.name == "Anna"
    assert cleaned.comment == "line 1\nline 2"


def test_email_domain_is_lowercased_and_empty_fields_are_absent() -> None:
    cleaned = leads.clean_fields(
        {"name": "Anna", "phone": "+79161234567", "email": "Anna.K@Club.Example", "comment": "  "},
        form(),
    )
    assert cleaned.present() == {
        "name": "Anna",
        "phone": "+79161234567",
        "email": "Anna.K@club.example",
    }


def test_consent_must_be_true() -> None:
    for consent in (False, None, "yes", 1):
        with pytest.raises(leads.ConsentRequired):
            leads.make_lead(
                form(),
                {"name": "A", "phone": "+79161234567"},
                consent=consent,
                kb_name="club",
                channel="web",
                variant="main",
            )


def test_a_lead_keeps_the_consent_texts_hash_in_the_visitors_language() -> None:
    ru = leads.make_lead(
        form(),
        {"name": "A", "phone": "+79161234567"},
        consent=True,
        kb_name="club",
        channel="web",
        variant="main",
        language="ru",
        now=1.0,
    )
    en = leads.make_lead(
        form(),
        {"name": "A", "phone": "+79161234567"},
        consent=True,
        kb_name="club",
        channel="web",
        variant="main",
        language="en",
        now=1.0,
    )
    assert ru.consent_sha256 == leads.consent_sha256("Нажимая «Отправить», я соглашаюсь.")
    assert en.consent_sha256 == leads.consent_sha256("By sending, I agree.")
    assert ru.payload()["consent"] == {
        "text_sha256": ru.consent_sha256,
        "accepted_at": "1970-01-01T00:00:01Z",
    }


def test_only_http_pages_are_kept() -> None:
    base = {"name": "A", "phone": "+79161234567"}
    kept = [
        leads.make_lead(
            form(), base, consent=True, kb_name="k", channel="web", variant="main", page=page
        ).page
        for page in ("https://club.example/a", "javascript:alert(1)", 42)
    ]
    assert kept == ["https://club.example/a", None, None]


def test_a_russian_visitor_reads_why_in_russian() -> None:
    with pytest.raises(leads.InvalidLead) as caught:
        leads.clean_fields({"name": "<b>", "phone": "12", "email": "a@"}, form(), language="ru")
    assert caught.value.fields == {
        "name": "Имя не может содержать < или >.",
        "phone": "Такого номера не бывает; например +7 916 123-45-67.",
        "email": "Это не похоже на адрес почты (name@example.org).",
    }
