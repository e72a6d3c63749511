"""The CRM fakes answer in their services' shapes, fail on demand, and show what they got."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest

from testing.servers import Server

AUTH = {"Authorization": "Bearer test"}


@pytest.fixture
def crm(sandbox: Server) -> Iterator[httpx.Client]:
    """The live sandbox (reset), through a plain HTTP client."""
    with httpx.Client(base_url=sandbox.url, timeout=10) as client:
        yield client


def test_bitrix24_adds_lists_and_refuses_in_its_shape(crm: httpx.Client) -> None:
    base = "/crm/bitrix24/rest/1/tok"
    added = crm.post(
        f"{base}/crm.lead.add.json", json={"fields": {"TITLE": "A", "ORIGIN_ID": "ld_1"}}
    )
    assert added.status_code == 200
    assert added.json()["result"] == 1
    assert set(added.json()["time"]) == {"start", "finish", "duration", "processing"}
    found = crm.post(
        f"{base}/crm.lead.list.json", json={"filter": {"ORIGIN_ID": "ld_1"}, "select": ["ID"]}
    )
    assert (found.json()["result"], found.json()["total"]) == ([{"ID": "1"}], 1)
    none = crm.post(f"{base}/crm.lead.list.json", json={"filter": {"ORIGIN_ID": "ld_2"}})
    assert (none.json()["result"], none.json()["total"]) == ([], 0)
    bad = crm.post(f"{base}/crm.lead.add.json", json={"fields": "x"})
    assert (bad.status_code, bad.json()) == (
        400,
        {"error": "ERROR_ARGUMENT", "error_description": "Parameter 'fields' must be array."},
    )
    unknown = crm.post(f"{base}/crm.deal.add.json", json={})
    assert (unknown.status_code, unknown.json()["error"]) == (404, "ERROR_METHOD_NOT_FOUND")


def test_amocrm_needs_a_token_and_answers_hal_or_problem_json(crm: httpx.Client) -> None:
    url = "/crm/amocrm/api/v4/leads/complex"
    anonymous = crm.post(url, json=[{"name": "x"}])
    assert anonymous.status_code == 401
    assert anonymous.headers["content-type"] == "application/problem+json"
    assert anonymous.json() == {
        "title": "Unauthorized",
        "type": "https://httpstatus.es/401",
        "status": 401,
        "detail": "Unauthorized",
    }
    made = crm.post(
        url,
        json=[{"name": "club ld_1", "_embedded": {"contacts": [{"first_name": "A"}]}}],
        headers=AUTH,
    )
    assert made.headers["content-type"] == "application/hal+json"
    assert made.json() == [
        {"id": 1001, "contact_id": 5001, "company_id": None, "request_id": ["0"], "merged": False}
    ]
    assert (
        crm.get("/crm/amocrm/api/v4/leads?query=ld_1", headers=AUTH).json()["_embedded"]["leads"][
            0
        ]["id"]
        == 1001
    )
    assert crm.get("/crm/amocrm/api/v4/leads?query=ld_9", headers=AUTH).status_code == 204
    invalid = crm.post(url, json={"name": "not a list"}, headers=AUTH)
    assert invalid.status_code == 400
    assert invalid.json()["detail"] == "Request validation failed"
    assert invalid.json()["validation-errors"][0]["errors"][0]["code"] == "NotSupportedChoice"


def test_hubspot_upserts_by_email_and_notes_need_a_timestamp(crm: httpx.Client) -> None:
    base = "/crm/hubspot/crm/v3/objects"
    item = {"idProperty": "email", "id": "a@b.co", "properties": {"email": "a@b.co", "phone": "+1"}}
    first = crm.post(f"{base}/contacts/batch/upsert", json={"inputs": [item]}, headers=AUTH).json()
    again = crm.post(f"{base}/contacts/batch/upsert", json={"inputs": [item]}, headers=AUTH).json()
    assert (first["status"], first["results"][0]["new"], again["results"][0]["new"]) == (
        "COMPLETE",
        True,
        False,
    )
    assert first["results"][0]["id"] == again["results"][0]["id"] == "101"
    conflict = crm.post(f"{base}/contacts", json={"properties": {"email": "a@b.co"}}, headers=AUTH)
    assert conflict.status_code == 409
    assert conflict.json()["message"] == "Contact already exists. Existing ID: 101"
    assert conflict.json()["category"] == "CONFLICT"
    no_time = crm.post(f"{base}/notes", json={"properties": {"hs_note_body": "x"}}, headers=AUTH)
    assert (no_time.status_code, no_time.json()["category"]) == (400, "VALIDATION_ERROR")
    assert set(no_time.json()) == {"status", "message", "correlationId", "category"}
    anonymous = crm.post(f"{base}/notes", json={})
    assert (anonymous.status_code, anonymous.json()["category"]) == (401, "INVALID_AUTHENTICATION")


def test_faults_per_fake_the_log_and_reset(crm: httpx.Client) -> None:
    assert (
        crm.post(
            "/_sandbox/crm/faults", json={"webhook": {"rate": 1, "kinds": ["400"]}}
        ).status_code
        == 200
    )
    refused = crm.post("/crm/webhook", json={"id": "x"}, headers={"Idempotency-Key": "k"})
    assert refused.status_code == 400
    ok = crm.post("/crm/bitrix24/rest/1/t/crm.lead.add.json", json={"fields": {}})
    assert ok.status_code == 200  # another fake: no fault
    got = crm.get("/_sandbox/crm/received").json()
    assert got["counts"] == {"webhook": 1, "bitrix24": 1, "amocrm": 0, "hubspot": 0}
    assert [(r["fake"], r["fault"]) for r in got["requests"]] == [
        ("webhook", "400"),
        ("bitrix24", None),
    ]
    assert got["requests"][0]["headers"]["idempotency-key"] == "k"
    bad = crm.post("/_sandbox/crm/faults", json={"crm": {"rate": 1}})
    assert bad.status_code == 400
    assert (
        crm.post("/_sandbox/crm/faults", json={"webhook": {"kinds": ["reset"]}}).status_code == 400
    )
    crm.post("/_sandbox/reset", json={})
    assert crm.get("/_sandbox/crm/received").json()["counts"]["webhook"] == 0
    assert crm.get("/_sandbox/crm/faults").json() == {}
    assert crm.post("/crm/webhook", json={"id": "x"}, headers={"Idempotency-Key": "k"}).json() == {
        "ok": True
    }


def test_the_webhook_receiver_keeps_a_lead_once(crm: httpx.Client) -> None:
    for _ in range(2):
        crm.post("/crm/webhook", json={"id": "ld_1"}, headers={"Idempotency-Key": "ld_1"})
    got = crm.get("/_sandbox/crm/received").json()
    assert got["webhook"]["leads"] == [{"id": "ld_1"}]
    assert crm.post("/crm/webhook", json={"id": "ld_2"}).status_code == 400  # no key
