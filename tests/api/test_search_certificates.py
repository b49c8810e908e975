"""Search certificates (查询证明, domain.md section 6) over real HTTP (live server, `requests`, a
bank's API key): a bank fixes what the register showed for a query (registration numbers, as the
bulk pledge status answers them, or a pledgor, as the pledge search answers it), signed by the
registry, and retrieves it later; nobody else may read its query or results, while the public
verification page and API show only who searched, when, and the results' digest.

Each scene renders few PDFs: the world's pledge certificate and the search certificate."""

from __future__ import annotations

import datetime as dt
import hashlib
import io
import json
import re

import pytest
from django.core.cache import cache
from django.utils import timezone
from pypdf import PdfReader

from certificates.events import CERTIFICATE_ISSUED
from certificates.models import Certificate, CertificateKind, CertificateStatus
from pledges.models import Pledge
from registry.identifiers import compose_registration_number
from registry.models import JournalEvent
from tests.api.conftest import Client
from tests.api.test_bank_api_data import (
    BankWorld,
    bank_world,
    key_client,
    make_asset,
    pledge,
    session_client,
)
from tests.factories import OrganisationFactory

SEARCH_CERTIFICATES = "/api/v1/search-certificates/"
BULK = "/api/v1/pledge-status/bulk/"
PLEDGES = "/api/v1/pledges/"
TIMEOUT = 30  # the create request renders and signs the PDF; the machine is busy
HOLDER_NAME = "天津港数据服务有限公司"  # tests/conftest.py `holder`
PLEDGEE_NAME = "天津银行股份有限公司"  # bank_world()'s pledgee bank
APPRAISED = "18500000.00"  # bank_world()'s appraisal: only the holder and its pledgees see it
MALFORMED = "X2026"
UNKNOWN = compose_registration_number(
    year=2025, source_code="04", subject_code="9", sequence=99_000_001
)
EITHER_OR = "Give either registration_numbers or pledgor, not both and not neither."
NO_CREDENTIALS = {
    "code": "not_authenticated",
    "message": "Authentication credentials were not provided.",
}


@pytest.fixture(autouse=True)
def _fresh_rate_limits():
    cache.clear()  # throttle counters live in the cache, shared with the live server thread


@pytest.fixture
def world(registrar, holder, enterprise_user) -> BankWorld:
    """bank_world(): one asset of 天津港数据服务有限公司, appraised and pledged to 天津银行."""
    return bank_world(registrar, holder, enterprise_user)


def canonical_sha256(results) -> str:
    """SHA-256 of the results' canonical JSON (sorted keys, no spaces, UTF-8)."""
    text = json.dumps(results, ensure_ascii=False, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def _get(client: Client, path: str):
    return client.session.get(client.base_url + path, timeout=TIMEOUT)


def _create(client: Client, body) -> dict:
    response = client.post_json(SEARCH_CERTIFICATES, body)
    assert response.status_code == 201, response.text
    return response.json()


def _without_as_of(data: dict) -> dict:
    return {key: value for key, value in data.items() if key != "as_of"}


def _compact_pdf_text(pdf: bytes) -> str:
    text = "".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf)).pages)
    return re.sub(r"\s+", "", text)


def _numbers(world: BankWorld) -> tuple[list[str], str]:
    """A pledged asset, an unpledged one, a malformed and an unknown number."""
    unpledged = make_asset(world.holder, name="天津港船舶靠泊数据集")
    return [
        world.asset.registration_number,
        unpledged.registration_number,
        MALFORMED,
        UNKNOWN,
    ], unpledged.registration_number


# --- POST by registration numbers --------------------------------------------------------------
def test_by_registration_numbers_fixes_what_the_bulk_status_shows(live_server, world):
    # given a bank and four numbers: pledged, unpledged, malformed, unknown
    numbers, unpledged = _numbers(world)
    bank = key_client(live_server.url, world.pledgee_key)
    before = timezone.now()

    # when
    response = bank.post_json(SEARCH_CERTIFICATES, {"registration_numbers": numbers})

    # then
    after = timezone.now()
    assert response.status_code == 201, response.text
    data = response.json()
    assert set(data) == {
        "number",
        "searched_at",
        "query",
        "results",
        "results_sha256",
        "verification_url",
        "document_ready",
        "document_sha256",
    }
    number = data["number"]
    assert re.fullmatch(r"\d{17}", number)
    assert number[:10] == f"{timezone.localdate(before):%Y%m}1200"
    assert before <= dt.datetime.fromisoformat(data["searched_at"]) <= after
    assert data["query"] == {"registration_numbers": numbers}
    assert data["verification_url"] == f"https://registry.example.cn/verify/{number}/"
    # and the results are what the bulk pledge status answers for the same numbers
    bulk = bank.post_json(BULK, {"registration_numbers": numbers})
    assert bulk.status_code == 200, bulk.text
    assert set(data["results"]) == {"as_of", "results"}
    assert data["results"]["results"] == bulk.json()["results"]
    assert before <= dt.datetime.fromisoformat(data["results"]["as_of"]) <= after
    results = data["results"]["results"]
    assert [r["registration_number"] for r in results] == [
        world.asset.registration_number,
        unpledged,
        MALFORMED,
        UNKNOWN,
    ]
    assert [r["found"] for r in results] == [True, True, False, False]
    assert [p["number"] for p in results[0]["pledges"]] == [world.pledge.number]
    assert results[0]["appraisal"]["value_amount"] == APPRAISED  # the pledgee sees it
    assert (results[1]["encumbered"], results[1]["pledges"]) == (False, [])
    assert [results[2]["error"]["code"], results[3]["error"]["code"]] == ["malformed", "not_found"]
    # and the digest is that of the canonical JSON of the results
    assert data["results_sha256"] == canonical_sha256(data["results"])
    # and the certificate row names the requesting bank, no asset and no pledge
    certificate = Certificate.objects.get(number=number)
    assert (certificate.kind, certificate.status) == (
        CertificateKind.SEARCH,
        CertificateStatus.VALID,
    )
    assert certificate.requested_by == world.pledgee_bank
    assert (certificate.asset, certificate.pledge, certificate.issued_by) == (None, None, None)
    assert certificate.signed is True
    assert certificate.data["results"] == data["results"]
    assert certificate.data["requested_by_name"] == PLEDGEE_NAME
    assert certificate.data["requested_by_uscc"] == world.pledgee_bank.uscc
    event = JournalEvent.objects.get(event_type=CERTIFICATE_ISSUED, subject_id=number)
    assert event.actor_label == f"API key {world.pledgee_key.record.prefix} @ {PLEDGEE_NAME}"
    assert (event.asset_id, event.reason) == (None, "search")
    assert event.payload["kind"] == "search"
    # and the PDF was rendered once the request's transaction committed (the immediate task
    # backend of the tests), so the answer says the document is ready and names its digest
    assert certificate.is_rendered
    assert re.fullmatch(r"[0-9a-f]{64}", certificate.document_sha256)
    assert (data["document_ready"], data["document_sha256"]) == (
        True,
        certificate.document_sha256,
    )


# --- POST by pledgor ---------------------------------------------------------------------------
def test_by_pledgor_fixes_the_exact_and_similar_pledges(live_server, world, registrar):
    # given a pledge of the holder (exact) and one of a similarly named pledgor
    group = OrganisationFactory(name="天津港数据服务（集团）股份有限公司")
    similar = pledge(make_asset(group), world.other_bank, registrar, "700000.00")
    make_asset(OrganisationFactory(name="北京数据科技有限公司"))  # not pledged, not similar
    bank = key_client(live_server.url, world.other_key)

    # when
    data = _create(bank, {"pledgor": HOLDER_NAME})

    # then the query is echoed and the results split exact and similar pledges
    assert data["query"] == {"pledgor": HOLDER_NAME}
    assert set(data["results"]) == {"query", "as_of", "exact", "similar"}
    assert data["results"]["query"] == HOLDER_NAME
    assert [p["number"] for p in data["results"]["exact"]] == [world.pledge.number]
    assert [p["number"] for p in data["results"]["similar"]] == [similar.number]
    assert data["results"]["exact"][0]["pledgor"] == {
        "name": HOLDER_NAME,
        "uscc": world.holder.uscc,
    }
    assert data["results"]["exact"][0]["secured_amount"] == "5000000.00"
    assert data["results"]["similar"][0]["pledgee"]["uscc"] == world.other_bank.uscc
    # and they are what the pledge search answers for the same pledgor
    search = _get(bank, f"{PLEDGES}?pledgor={HOLDER_NAME}")
    assert search.status_code == 200, search.text
    assert _without_as_of(data["results"]) == _without_as_of(search.json())
    assert data["results_sha256"] == canonical_sha256(data["results"])
    certificate = Certificate.objects.get(number=data["number"])
    assert certificate.requested_by == world.other_bank
    assert certificate.is_rendered


# --- refusals ----------------------------------------------------------------------------------
def test_bad_bodies_are_400_naming_the_field_and_issue_nothing(live_server, api_client, subtests):
    # given a bank's key, and numbers that would otherwise be acceptable
    numbers = [UNKNOWN]
    cases = {
        "both keys": (
            {"registration_numbers": numbers, "pledgor": HOLDER_NAME},
            {"body": [EITHER_OR]},
        ),
        "neither key": ({}, {"body": [EITHER_OR]}),
        "1,001 numbers": (
            {"registration_numbers": [UNKNOWN] * 1001},
            {"registration_numbers": ["Ensure this field has no more than 1000 elements."]},
        ),
        "an empty pledgor": ({"pledgor": ""}, {"pledgor": ["This field may not be blank."]}),
    }
    for case, (body, errors) in cases.items():
        with subtests.test(case=case):
            # when
            response = api_client.post_json(SEARCH_CERTIFICATES, body)
            # then
            assert response.status_code == 400, response.text
            assert response.json()["code"] == "invalid_input"
            assert response.json()["errors"] == errors
    assert Certificate.objects.count() == 0
    assert not JournalEvent.objects.filter(event_type=CERTIFICATE_ISSUED).exists()


def test_1000_numbers_are_accepted(live_server, api_client):
    # given the most numbers one certificate may fix (all unknown: nothing to look up)
    numbers = [UNKNOWN] * 1000
    # when
    data = _create(api_client, {"registration_numbers": numbers})
    # then
    assert len(data["results"]["results"]) == 1000
    assert {r["error"]["code"] for r in data["results"]["results"]} == {"not_found"}
    assert data["results_sha256"] == canonical_sha256(data["results"])


def test_anonymous_requests_are_401(live_server, world, anonymous):
    # given a search certificate of the pledgee bank
    number = _create(key_client(live_server.url, world.pledgee_key), {"pledgor": HOLDER_NAME})[
        "number"
    ]
    # when / then
    response = anonymous.post_json(SEARCH_CERTIFICATES, {"pledgor": HOLDER_NAME})
    assert (response.status_code, response.json()) == (401, NO_CREDENTIALS)
    for path in (f"{SEARCH_CERTIFICATES}{number}/", f"{SEARCH_CERTIFICATES}{number}/document/"):
        response = _get(anonymous, path)
        assert (response.status_code, response.json()) == (401, NO_CREDENTIALS)
    assert Certificate.objects.filter(kind=CertificateKind.SEARCH).count() == 1


# --- GET detail and document ---------------------------------------------------------------------
def test_the_requesting_bank_and_registrars_may_read_it_and_other_banks_get_404(live_server, world):
    # given a search certificate of the pledgee bank
    numbers, _unpledged = _numbers(world)
    bank = key_client(live_server.url, world.pledgee_key)
    created = _create(bank, {"registration_numbers": numbers})
    number = created["number"]
    detail_path = f"{SEARCH_CERTIFICATES}{number}/"
    document_path = f"{SEARCH_CERTIFICATES}{number}/document/"
    stored = Certificate.objects.get(number=number)

    # when the requesting bank reads it
    detail = _get(bank, detail_path)
    document = _get(bank, document_path)

    # then the detail is what was fixed, and the document the signed PDF
    assert detail.status_code == 200, detail.text
    assert detail.json() == {
        **created,
        "document_ready": True,
        "document_sha256": stored.document_sha256,
    }
    assert document.status_code == 200
    assert document.headers["Content-Type"] == "application/pdf"
    assert document.headers["Content-Disposition"] == f'attachment; filename="{number}.pdf"'
    assert document.headers["ETag"] == f'"{stored.document_sha256}"'
    pdf = document.content
    assert pdf.startswith(b"%PDF")
    assert hashlib.sha256(pdf).hexdigest() == stored.document_sha256
    text = _compact_pdf_text(pdf)
    assert "查询证明" in text
    assert created["results_sha256"] in text
    assert number in text
    assert PLEDGEE_NAME in text

    # when another bank asks
    other = key_client(live_server.url, world.other_key)
    # then 404, as if it did not exist
    for path in (detail_path, document_path):
        response = _get(other, path)
        assert response.status_code == 404, response.text
        assert response.json() == {
            "code": "not_found",
            "message": f"No search certificate has the number {number}.",
        }

    # when the holder's user asks (it was not the requester either)
    holder = session_client(live_server.url, world.holder_user)
    # then
    assert _get(holder, detail_path).status_code == 404

    # when a registrar asks
    registrar = session_client(live_server.url, world.registrar)
    # then
    detail = _get(registrar, detail_path)
    assert detail.status_code == 200, detail.text
    assert detail.json()["results"] == created["results"]
    document = _get(registrar, document_path)
    assert document.status_code == 200
    assert document.content == pdf

    # and the PDF prints the search time in the registry's time zone (Asia/Shanghai), as the
    # pledge certificate prints its registration time: not UTC without saying so
    searched_at = dt.datetime.fromisoformat(created["searched_at"])
    assert timezone.localtime(searched_at).strftime("%Y-%m-%d%H:%M:%S") in text


def test_a_pledge_certificate_number_is_not_a_search_certificate(live_server, world):
    # given the pledge certificate of the pledgee bank's pledge
    pledge_certificate = Certificate.objects.get(pledge=world.pledge)
    bank = key_client(live_server.url, world.pledgee_key)
    # when
    response = _get(bank, f"{SEARCH_CERTIFICATES}{pledge_certificate.number}/")
    # then
    assert response.status_code == 404, response.text
    assert response.json()["message"] == (
        f"No search certificate has the number {pledge_certificate.number}."
    )


# --- public verification ----------------------------------------------------------------------
def test_public_verification_shows_who_searched_when_and_the_digest_only(live_server, world):
    # given a search certificate whose results include a pledge and an appraisal
    numbers, unpledged = _numbers(world)
    created = _create(
        key_client(live_server.url, world.pledgee_key), {"registration_numbers": numbers}
    )
    number = created["number"]
    hidden = [
        world.asset.registration_number,
        unpledged,
        MALFORMED,
        UNKNOWN,
        world.pledge.number,
        APPRAISED,
    ]

    code = Certificate.objects.get(number=number).verification_code

    # when anyone opens the verification page by number alone
    public = Client(live_server.url)
    summary = public.session.get(f"{live_server.url}/verify/{number}/", timeout=TIMEOUT)
    # then it says a search certificate exists, and not who searched or when
    assert summary.status_code == 200
    assert "查询证明 Search certificate" in summary.text
    for text in (PLEDGEE_NAME, world.pledgee_bank.uscc, created["searched_at"], *hidden):
        assert text not in summary.text, text

    # when whoever holds the document opens it with its code (its QR code's link)
    page = public.session.get(f"{live_server.url}/verify/{number}/?code={code}", timeout=TIMEOUT)

    # then it shows the requester, the time and the digest
    assert page.status_code == 200
    html = page.text
    assert "查询证明 Search certificate" in html
    assert PLEDGEE_NAME in html
    assert world.pledgee_bank.uscc in html
    assert created["searched_at"] in html
    assert created["results_sha256"] in html
    # but not what was searched, nor what was found
    for text in hidden:
        assert text not in html, text
    assert not re.search(r"ZY\d{12}", html)  # no pledge number at all

    # when the verification API is asked with the code
    response = Client(live_server.url).session.get(
        f"{live_server.url}/api/v1/certificates/{number}/verify/?code={code}", timeout=TIMEOUT
    )

    # then its content likewise has no query and no results
    assert response.status_code == 200, response.text
    record = response.json()
    assert (record["number"], record["kind"], record["status"]) == (number, "search", "valid")
    assert record["registration_status"] is None
    assert record["content"] == {
        "requested_by_name": PLEDGEE_NAME,
        "requested_by_uscc": world.pledgee_bank.uscc,
        "searched_at": created["searched_at"],
        "results_sha256": created["results_sha256"],
    }
    assert "results" not in record["content"]
    assert "query" not in record["content"]
    for text in hidden:
        assert text not in response.text, text
    assert not re.search(r"ZY\d{12}", response.text)


def test_by_pledgor_uscc_finds_the_exact_pledges_and_writes_nothing_else(live_server, world):
    # given
    pledges_before = list(Pledge.objects.values_list("number", "status", "secured_amount"))
    # when the other bank searches by the holder's USCC, written in lower case
    data = _create(
        key_client(live_server.url, world.other_key), {"pledgor": world.holder.uscc.lower()}
    )
    # then the query is echoed as sent and the holder's pledge is an exact match
    assert data["query"] == {"pledgor": world.holder.uscc.lower()}
    assert [p["number"] for p in data["results"]["exact"]] == [world.pledge.number]
    assert data["results"]["similar"] == []
    # and a search certificate reads the register: it writes no pledge
    assert list(Pledge.objects.values_list("number", "status", "secured_amount")) == pledges_before
    assert Certificate.objects.filter(kind=CertificateKind.SEARCH).count() == 1
