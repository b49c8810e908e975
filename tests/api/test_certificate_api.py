"""The public certificate verification API over real HTTP (pytest-django's live server, requests):
GET /api/v1/certificates/<number>/verify/ for the summary (by number) or the details (with the
document's `?code=`), POST a PDF to check it. Who sees what, and the enumeration case:
tests/integration/test_verification_disclosure.py.

The live server needs committed data, so these tests run in transactions that really commit: the
certificate is rendered by the immediate task backend when the registration commits."""

import re

import pytest
import requests

from certificates.models import Certificate
from registry import services
from registry.models import JournalEvent
from tests.api.conftest import TIMEOUT

FORMAT_ERROR = (
    "证书编号应为17位数字 "
    "(a certificate number has 17 digits: year, month, registry code and serial)"
)
MONTH_ERROR = "证书编号中的月份无效 (the month in the number is invalid)"
CHANGED = "document changed after signing (the signed bytes do not match the signature)"
SIGNER = "天津数据资产登记评估中心 (demo)"


@pytest.fixture
def issued(registered) -> Certificate:
    """The registration certificate, rendered when the registration committed."""
    certificate = Certificate.objects.get(asset=registered)
    assert certificate.rendered_at is not None
    return certificate


def _pdf(certificate: Certificate) -> bytes:
    with certificate.document.open("rb") as handle:
        return handle.read()


def _tamper(pdf: bytes) -> bytes:
    """The PDF with one byte changed in the middle of the part its signature covers first."""
    first_range = re.search(rb"/ByteRange\s*\[\s*0\s+(\d+)", pdf)
    assert first_range, "the PDF has no signature byte range"
    position = int(first_range.group(1)) // 2
    return pdf[:position] + bytes([pdf[position] ^ 0x01]) + pdf[position + 1 :]


def _url(live_server, number: str) -> str:
    return f"{live_server.url}/api/v1/certificates/{number}/verify/"


def _post_pdf(live_server, number: str, content: bytes, field: str = "document"):
    return requests.post(
        _url(live_server, number),
        files={field: ("certificate.pdf", content, "application/pdf")},
        timeout=TIMEOUT,
    )


# --- GET: the summary, and the details with the code --------------------------------------------
def test_get_by_number_alone_is_the_summary(live_server, issued, holder):
    # given a visitor with no session, no API key and no code
    # when
    response = requests.get(_url(live_server, issued.number), timeout=TIMEOUT)
    # then: existence, kind, status and validity, nothing more
    assert response.status_code == 200
    assert response.headers["Content-Type"] == "application/json"
    assert response.json() == {
        "number": issued.number,
        "kind": "registration",
        "status": "valid",
        "effective_status": "valid",
        "valid_from": issued.data["registration_date"],
        "valid_until": issued.data["valid_until"],
        "document_ready": True,
        "disclosure": "summary",
    }
    assert holder.uscc not in response.text
    assert "no-store" not in response.headers.get("Cache-Control", "")


def test_get_with_the_code_returns_the_details_without_authentication(live_server, issued, holder):
    # given a visitor with no session and no API key, but the code printed on the document
    asset = issued.asset
    # when
    response = requests.get(
        _url(live_server, issued.number), params={"code": issued.verification_code}, timeout=TIMEOUT
    )
    # then
    assert response.status_code == 200
    assert response.headers["Content-Type"] == "application/json"
    assert response.headers["Cache-Control"] == "private, no-store"
    body = response.json()
    assert body == {
        "number": issued.number,
        "kind": "registration",
        "status": "valid",
        "effective_status": "valid",
        "issued_at": issued.issued_at.isoformat(),
        "status_changed_at": None,
        "superseded_by": None,
        "supersedes": None,
        "registration_status": "registered",
        "content": issued.data,
        "document_sha256": issued.document_sha256,
        "document_ready": True,
        "signed": True,
        "valid_from": issued.data["registration_date"],
        "valid_until": issued.data["valid_until"],
        "disclosure": "details",
        "verification_code": issued.verification_code,
    }
    assert body["content"]["registration_number"] == asset.registration_number
    assert body["content"]["holder_uscc"] == holder.uscc
    assert body["content"]["verification_url"] == (
        f"https://registry.example.cn/verify/{issued.number}/"
    )
    assert len(body["document_sha256"]) == 64


def test_get_with_a_wrong_code_is_the_summary(live_server, issued):
    # when
    plain = requests.get(_url(live_server, issued.number), timeout=TIMEOUT)
    wrong = requests.get(
        _url(live_server, issued.number), params={"code": "A" * 20}, timeout=TIMEOUT
    )
    # then
    assert (wrong.status_code, wrong.content) == (plain.status_code, plain.content)


def test_get_of_a_superseded_certificate_names_its_successor(live_server, issued, registrar):
    # given an amendment that reissued the certificate
    services.asset_amend(
        asset=issued.asset,
        actor=registrar,
        changes={"update_frequency": "weekly"},
        reason="更新频率变更",
    )
    successor = Certificate.objects.get(supersedes=issued)
    # when (each with its own code)
    old = requests.get(
        _url(live_server, issued.number), params={"code": issued.verification_code}, timeout=TIMEOUT
    ).json()
    new = requests.get(
        _url(live_server, successor.number),
        params={"code": successor.verification_code},
        timeout=TIMEOUT,
    ).json()
    # then
    assert (old["status"], old["effective_status"], old["superseded_by"]) == (
        "superseded",
        "superseded",
        successor.number,
    )
    assert (new["status"], new["supersedes"], new["superseded_by"]) == (
        "valid",
        issued.number,
        None,
    )
    assert new["content"]["version"] == 2
    assert new["signed"] is True
    assert new["document_sha256"] == Certificate.objects.get(pk=successor.pk).document_sha256


@pytest.mark.parametrize(
    ("number", "message"),
    [
        ("123", FORMAT_ERROR),
        ("abc", FORMAT_ERROR),
        ("٢٠٢٦١١١٢٠٠٠٠٠٠٠٠١", FORMAT_ERROR),  # Arabic-Indic digits are not the printed number
        ("20261312000000001", MONTH_ERROR),
    ],
    ids=["short", "letters", "non-ascii-digits", "month-13"],
)
def test_get_of_a_malformed_number_is_400(live_server, db, number, message):
    # when
    response = requests.get(_url(live_server, number), timeout=TIMEOUT)
    # then
    assert response.status_code == 400
    assert response.json() == {
        "code": "invalid_input",
        "message": f"number: {message}",
        "errors": {"number": [message]},
    }


def test_get_of_an_unknown_number_is_404(live_server, db):
    # when
    response = requests.get(_url(live_server, "20261112009999999"), timeout=TIMEOUT)
    # then
    assert response.status_code == 404
    assert response.json() == {
        "code": "not_found",
        "message": "No certificate has the number 20261112009999999.",
    }


# --- POST: checking a PDF ----------------------------------------------------------------------
def test_post_of_the_issued_pdf_is_authentic_and_current(live_server, issued):
    # given the PDF the holder received
    pdf = _pdf(issued)
    journal_before = JournalEvent.objects.count()
    # when
    response = _post_pdf(live_server, issued.number, pdf)
    # then
    assert response.status_code == 200
    body = response.json()
    assert body["number"] == issued.number
    assert body["verdict"] == "authentic_current"
    assert body["document_sha256"] == issued.document_sha256
    assert body["matches_issued"] is True
    assert body["current"] is True
    assert body["signature"] == {
        "signed": True,
        "intact": True,
        "valid": True,
        "covers_whole_document": True,
        "signer": SIGNER,
        "signed_at": body["signature"]["signed_at"],
        "problem": None,
    }
    assert body["signature"]["signed_at"] is not None
    assert body["record"]["status"] == "valid"
    assert body["record"]["disclosure"] == "details"  # the issued document carries its code
    # and checking writes nothing
    assert JournalEvent.objects.count() == journal_before


def test_post_of_a_tampered_pdf_is_not_authentic(live_server, issued):
    # given the issued PDF with one byte changed
    tampered = _tamper(_pdf(issued))
    # when
    response = _post_pdf(live_server, issued.number, tampered)
    # then
    assert response.status_code == 200
    body = response.json()
    assert body["verdict"] == "not_authentic"
    assert body["matches_issued"] is False
    assert body["document_sha256"] != issued.document_sha256
    assert body["signature"]["valid"] is False
    assert body["signature"]["intact"] is False
    assert body["signature"]["problem"] == CHANGED
    assert body["record"]["disclosure"] == "summary"


def test_post_of_a_file_that_is_not_a_pdf_is_not_authentic(live_server, issued):
    # when
    response = _post_pdf(live_server, issued.number, b"plain text, not a certificate\n")
    # then
    assert response.status_code == 200
    body = response.json()
    assert body["verdict"] == "not_authentic"
    assert body["signature"]["signed"] is False
    assert body["signature"]["problem"] == "not a PDF"


def test_post_without_a_file_is_400_naming_document(live_server, issued):
    # given a multipart body with another field but no document
    journal_before = JournalEvent.objects.count()
    # when
    response = requests.post(
        _url(live_server, issued.number), files={"note": (None, "x")}, timeout=TIMEOUT
    )
    # then
    assert response.status_code == 400
    assert response.json() == {
        "code": "invalid_input",
        "message": "document: This field is required.",
        "errors": {"document": ["This field is required."]},
    }
    assert JournalEvent.objects.count() == journal_before


def test_post_to_an_unknown_number_is_404(live_server, issued):
    # when
    response = _post_pdf(live_server, "20261112009999999", _pdf(issued))
    # then
    assert response.status_code == 404
    assert response.json()["code"] == "not_found"
