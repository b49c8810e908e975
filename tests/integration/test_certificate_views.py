"""The public verification page (/verify/<number>/, with its PDF upload form) and the holder's
download (/certificates/<number>.pdf), through Django's test client.

By number alone the page shows the certificate's kind, status and validity; the details with the
document's verification code (`?code=`, as its QR code links). The disclosure rule itself, who
sees what and the enumeration case: tests/integration/test_verification_disclosure.py."""

import datetime as dt
import re

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse

from certificates.models import Certificate, CertificateStatus
from registry import services
from registry.models import JournalEvent
from tests.conftest import AFTER_PUBLICITY

AFTER_EXPIRY = dt.date(2029, 6, 9)  # registered 9 June 2026, valid until 8 June 2029

FORMAT_ERROR = (
    "证书编号应为17位数字 "
    "(a certificate number has 17 digits: year, month, registry code and serial)"
)
MONTH_ERROR = "证书编号中的月份无效 (the month in the number is invalid)"
CHANGED = "document changed after signing (the signed bytes do not match the signature)"
VERDICT_CURRENT = "真实有效：该文件由本中心签发，签名完好，证书现行有效。Authentic and current."
VERDICT_NOT_CURRENT = (
    "文件真实，但证书已不再有效（见上方状态）。Authentic, but the certificate is no longer current."
)
VERDICT_NOT_AUTHENTIC = (
    "无法确认：该文件不是本中心签发的原件，或已被修改。"
    "Not authentic: not the issued document, or altered."
)


# --- fixtures and helpers ------------------------------------------------------------------------
@pytest.fixture
def certificate(registered) -> Certificate:
    """The registration certificate, issued but not rendered (its transaction never committed)."""
    return Certificate.objects.get(asset=registered)


@pytest.fixture
def rendered(in_publicity, registrar, django_capture_on_commit_callbacks) -> Certificate:
    """The registration certificate, rendered when the registration commits (one render)."""
    with django_capture_on_commit_callbacks(execute=True):
        asset = services.asset_register(asset=in_publicity, actor=registrar, on=AFTER_PUBLICITY)
    return Certificate.objects.get(asset=asset)


def _stored(certificate: Certificate) -> bytes:
    with certificate.document.open("rb") as handle:
        return handle.read()


def _tamper(pdf: bytes) -> bytes:
    """The PDF with one byte changed in the middle of the part its signature covers first."""
    first_range = re.search(rb"/ByteRange\s*\[\s*0\s+(\d+)", pdf)
    assert first_range, "the PDF has no signature byte range"
    position = int(first_range.group(1)) // 2
    return pdf[:position] + bytes([pdf[position] ^ 0x01]) + pdf[position + 1 :]


def _page(response) -> str:
    return response.content.decode()


def _text(html: str, element_id: str) -> str:
    match = re.search(rf'id="{element_id}"[^>]*>(.*?)</(?:p|span|td)>', html, re.S)
    assert match, f"no element #{element_id}"
    return " ".join(re.sub(r"<[^>]+>", " ", match.group(1)).split())


def _verify_url(number: str, code: str | None = None) -> str:
    url = reverse("certificate-verify", args=[number])
    return f"{url}?code={code}" if code else url


def _with_code(certificate: Certificate) -> str:
    """The link of the document's QR code (its verification code opens the details)."""
    return _verify_url(certificate.number, certificate.verification_code)


def _download_url(number: str) -> str:
    return reverse("certificate-download", args=[number])


def _upload(client: Client, number: str, content: bytes, name: str = "certificate.pdf"):
    upload = SimpleUploadedFile(name, content, content_type="application/pdf")
    return client.post(_verify_url(number), {"document": upload})


def _record_rows(html: str) -> dict[str, str]:
    """The public record table: English header label → cell text."""
    rows = re.findall(r"<tr><th>[^<]*<small>([^<]+)</small></th><td[^>]*>(.*?)</td></tr>", html)
    return {label: " ".join(re.sub(r"<[^>]+>", " ", cell).split()) for label, cell in rows}


# --- the public record ---------------------------------------------------------------------------
def test_verify_page_by_number_shows_kind_status_and_validity_only(rendered, holder, client):
    # given a rendered certificate and a visitor without an account or the code
    # when
    response = client.get(_verify_url(rendered.number))
    # then
    assert response.status_code == 200
    html = _page(response)
    assert _text(html, "certificate-status") == "有效 Valid"
    assert _record_rows(html) == {
        "Certificate No.": rendered.number,
        "Kind": "数据资产登记证书 Registration certificate",
        "Valid from": "2026-06-09",
        "Valid until": "2029-06-08",
        "Document": "Issued and signed.",
    }
    for detail in (holder.uscc, holder.name, rendered.asset.registration_number):
        assert detail not in html
    assert 'id="document-sha256"' not in html
    assert 'name="code"' in html  # the code form
    assert 'name="document"' in html  # the upload form


def test_verify_page_with_the_code_shows_the_details(rendered, holder, client):
    # given a rendered certificate and a visitor who scanned its QR code
    asset = rendered.asset
    # when
    response = client.get(_with_code(rendered))
    # then
    assert response.status_code == 200
    html = _page(response)
    assert _text(html, "certificate-status") == "有效 Valid"
    assert 'class="status valid"' in html
    assert "Current certificate" not in html
    assert _record_rows(html) == {
        "Certificate No.": rendered.number,
        "Kind": "数据资产登记证书 Registration certificate",
        "Registration No.": asset.registration_number,
        "Asset": "港口集装箱物流轨迹数据集",
        "Holder": f"天津港数据服务有限公司 {holder.uscc}",
        "Rights": "数据资源持有权；数据加工使用权",
        "Category": "企业数据",
        "Update frequency": "每日",
        "Registered": "2026-06-09",
        "Valid until": "2029-06-08",
        "Evidence SHA-256": asset.evidence_sha256,
        "Issued": f"{rendered.data['issued_on']}（第1版）",
        "Document SHA-256": rendered.document_sha256,
    }
    assert _text(html, "document-sha256") == rendered.document_sha256
    assert 'name="document"' in html  # the upload form
    assert 'id="details-withheld"' not in html


def test_verify_page_of_an_unrendered_certificate_says_the_document_is_being_prepared(
    certificate, client
):
    # when
    summary = client.get(_verify_url(certificate.number))
    details = client.get(_with_code(certificate))
    # then
    assert summary.status_code == details.status_code == 200
    assert _text(_page(summary), "certificate-status") == "有效 Valid"
    assert _text(_page(summary), "document-ready") == "The document is being prepared."
    assert _text(_page(details), "document-sha256") == "The document is being prepared."


def test_verify_page_accepts_a_number_written_with_spaces_and_dashes(certificate, client):
    # given the number as printed in groups
    number = certificate.number
    spaced = f"{number[:4]}-{number[4:6]}-{number[6:10]}-{number[10:]}"
    # when
    response = client.get(_verify_url(spaced))
    # then
    assert response.status_code == 200
    assert _record_rows(_page(response))["Certificate No."] == number


def test_verify_page_of_a_superseded_certificate_links_to_its_successor(
    certificate, registrar, client
):
    # given an amendment that reissued the certificate
    services.asset_amend(
        asset=certificate.asset,
        actor=registrar,
        changes={"update_frequency": "weekly"},
        reason="更新频率变更",
    )
    successor = Certificate.objects.get(supersedes=certificate)
    # when
    response = client.get(_with_code(certificate))
    # then
    assert response.status_code == 200
    html = _page(response)
    assert _text(html, "certificate-status") == "已被换发 Superseded"
    assert 'class="status superseded"' in html
    assert (
        f'Current certificate: <a href="/verify/{successor.number}/">{successor.number}</a>' in html
    )
    assert _record_rows(html)["Update frequency"] == "每日"  # the content it was issued with
    # and the successor's own page is valid and links nowhere
    successor_html = _page(client.get(_with_code(successor)))
    assert _text(successor_html, "certificate-status") == "有效 Valid"
    assert _record_rows(successor_html)["Update frequency"] == "每周"
    assert "Current certificate" not in successor_html
    # and by number alone the old one says superseded, without naming its successor
    summary = _page(client.get(_verify_url(certificate.number)))
    assert _text(summary, "certificate-status") == "已被换发 Superseded"
    assert successor.number not in summary


@pytest.mark.parametrize(
    ("step", "shown", "css"),
    [
        (
            lambda asset, registrar, holder_user: services.asset_revoke(
                asset=asset, actor=registrar, reason="来源不合法"
            ),
            "已撤销 Revoked",
            "revoked",
        ),
        (
            lambda asset, registrar, holder_user: services.asset_cancel(
                asset=asset, actor=holder_user, reason="业务终止"
            ),
            "已撤销 Revoked",
            "revoked",
        ),
        (
            lambda asset, registrar, holder_user: services.asset_expire(
                asset=asset, on=AFTER_EXPIRY
            ),
            "已到期 Expired",
            "expired",
        ),
    ],
    ids=["revoked", "cancelled", "expired"],
)
def test_verify_page_shows_an_ended_registration(
    certificate, registrar, enterprise_user, client, step, shown, css
):
    # given
    step(certificate.asset, registrar, enterprise_user)
    # when
    response = client.get(_verify_url(certificate.number))
    # then
    assert response.status_code == 200
    html = _page(response)
    assert _text(html, "certificate-status") == shown
    assert f'class="status {css}"' in html
    assert _record_rows(html)["Certificate No."] == certificate.number


def test_verify_page_of_an_unknown_number_is_404(db, client):
    # when
    response = client.get(_verify_url("20261112009999999"))
    # then
    assert response.status_code == 404
    html = _page(response)
    assert _text(html, "verify-error") == (
        "No certificate has the number 20261112009999999. Check the number on the document."
    )
    assert 'id="certificate-status"' not in html
    assert 'name="document"' not in html


@pytest.mark.parametrize(
    ("number", "message"),
    [
        ("123", FORMAT_ERROR),
        ("abc", FORMAT_ERROR),
        ("2026111200000000123", FORMAT_ERROR),  # 19 digits
        ("2026111200000001x", FORMAT_ERROR),
        ("٢٠٢٦١١١٢٠٠٠٠٠٠٠٠١", FORMAT_ERROR),  # Arabic-Indic digits are not the printed number
        ("20261312000000001", MONTH_ERROR),  # month 13
        ("20260012000000001", MONTH_ERROR),  # month 00
    ],
    ids=["short", "letters", "long", "trailing-letter", "non-ascii-digits", "month-13", "month-00"],
)
def test_verify_page_of_a_malformed_number_is_404_with_the_format_message(
    certificate, client, number, message
):
    # when
    get = client.get(_verify_url(number))
    post = _upload(client, number, b"%PDF-1.7\n")
    # then
    for response in (get, post):
        assert response.status_code == 404
        assert _text(_page(response), "verify-error") == message


# --- checking an uploaded PDF --------------------------------------------------------------------
def test_upload_of_the_issued_pdf_is_authentic_and_current(rendered, client):
    # given the PDF the holder downloaded
    pdf = _stored(rendered)
    journal_before = JournalEvent.objects.count()
    # when anyone uploads it
    response = _upload(client, rendered.number, pdf)
    # then
    assert response.status_code == 200
    html = _page(response)
    assert _text(html, "check-verdict") == VERDICT_CURRENT
    assert 'class="verdict authentic_current"' in html
    assert response.context["check"].sha256 == rendered.document_sha256
    assert response.context["check"].matches_issued is True
    assert response.context["check"].signature.valid is True
    assert f'<td class="mono">{rendered.document_sha256}</td>' in html
    # and checking writes nothing
    assert JournalEvent.objects.count() == journal_before


def test_upload_of_the_pdf_with_one_byte_changed_is_not_authentic(rendered, client):
    # given the issued PDF with one byte of its page content altered
    tampered = _tamper(_stored(rendered))
    # when
    response = _upload(client, rendered.number, tampered)
    # then
    assert response.status_code == 200
    html = _page(response)
    assert _text(html, "check-verdict") == VERDICT_NOT_AUTHENTIC
    assert 'class="verdict not_authentic"' in html
    check = response.context["check"]
    assert check.matches_issued is False
    assert check.signature.valid is False
    assert check.signature.problem == CHANGED
    assert f"<td>{CHANGED}</td>" in html


def test_upload_of_a_superseded_certificate_pdf_is_authentic_but_not_current(
    rendered, registrar, client
):
    # given the first certificate's PDF, then an amendment that superseded it
    pdf = _stored(rendered)
    services.asset_amend(
        asset=rendered.asset,
        actor=registrar,
        changes={"update_frequency": "weekly"},
        reason="更新频率变更",
    )
    rendered.refresh_from_db()
    assert rendered.status == CertificateStatus.SUPERSEDED
    # when
    response = _upload(client, rendered.number, pdf)
    # then
    assert response.status_code == 200
    html = _page(response)
    assert _text(html, "check-verdict") == VERDICT_NOT_CURRENT
    assert 'class="verdict authentic_not_current"' in html
    assert _text(html, "certificate-status").startswith("已被换发 Superseded")


def test_upload_of_the_pdf_against_another_certificate_number_is_not_authentic(
    rendered, registrar, client
):
    # given a genuine PDF of one certificate, checked on another certificate's page
    pdf = _stored(rendered)
    services.asset_amend(
        asset=rendered.asset,
        actor=registrar,
        changes={"update_frequency": "weekly"},
        reason="更新频率变更",
    )
    successor = Certificate.objects.get(supersedes=rendered)
    # when
    response = _upload(client, successor.number, pdf)
    # then: signed by the registry, but not the document issued under this number
    assert response.status_code == 200
    assert _text(_page(response), "check-verdict") == VERDICT_NOT_AUTHENTIC
    assert response.context["check"].signature.valid is True
    assert response.context["check"].matches_issued is False


def test_upload_of_a_file_that_is_not_a_pdf_is_not_authentic(rendered, client):
    # when
    response = _upload(client, rendered.number, b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 4)
    # then
    assert response.status_code == 200
    html = _page(response)
    assert _text(html, "check-verdict") == VERDICT_NOT_AUTHENTIC
    assert response.context["check"].signature.problem == "not a PDF"


def test_upload_larger_than_the_limit_is_a_form_error(rendered, client, settings):
    # given a small upload limit
    settings.CERTIFICATE_UPLOAD_MAX_BYTES = 1000
    journal_before = JournalEvent.objects.count()
    # when
    response = _upload(client, rendered.number, _stored(rendered))
    # then
    assert response.status_code == 200
    html = _page(response)
    assert response.context["form"].errors == {"document": ["The file is larger than 1000 bytes."]}
    assert "The file is larger than 1000 bytes." in html
    assert response.context["check"] is None
    assert 'id="check-verdict"' not in html
    assert JournalEvent.objects.count() == journal_before


def test_upload_without_a_file_is_a_form_error(certificate, client):
    # when
    response = client.post(_verify_url(certificate.number), {"note": "x"})
    # then
    assert response.status_code == 200
    assert response.context["form"].errors == {"document": ["This field is required."]}
    assert response.context["check"] is None


def test_upload_without_a_csrf_token_is_refused(rendered, db):
    # given a browser session that did not load the form
    client = Client(enforce_csrf_checks=True)
    journal_before = JournalEvent.objects.count()
    # when
    response = _upload(client, rendered.number, _stored(rendered))
    # then
    assert response.status_code == 403
    assert b"check-verdict" not in response.content
    assert JournalEvent.objects.count() == journal_before


def test_upload_with_the_csrf_token_of_the_form_is_accepted(rendered, db):
    # given the form loaded first, as a browser does
    client = Client(enforce_csrf_checks=True)
    client.get(_verify_url(rendered.number))
    token = client.cookies["csrftoken"].value
    # when
    response = client.post(
        _verify_url(rendered.number),
        {
            "csrfmiddlewaretoken": token,
            "document": SimpleUploadedFile("c.pdf", _stored(rendered), "application/pdf"),
        },
    )
    # then
    assert response.status_code == 200
    assert _text(_page(response), "check-verdict") == VERDICT_CURRENT


# --- download ------------------------------------------------------------------------------------
@pytest.mark.parametrize("user_fixture", ["enterprise_user", "registrar"])
def test_download_by_the_holder_or_a_registrar(rendered, client, request, user_fixture):
    # given
    client.force_login(request.getfixturevalue(user_fixture))
    # when
    response = client.get(_download_url(rendered.number))
    # then
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert response["Content-Disposition"] == f'attachment; filename="{rendered.number}.pdf"'
    assert response["ETag"] == f'"{rendered.document_sha256}"'
    assert response["Cache-Control"] == "private, no-cache"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert b"".join(response.streaming_content) == _stored(rendered)


def test_download_with_the_current_etag_is_not_modified(rendered, enterprise_user, client):
    # given the holder already has this version of the document
    client.force_login(enterprise_user)
    etag = f'"{rendered.document_sha256}"'
    # when
    same = client.get(_download_url(rendered.number), headers={"if-none-match": etag})
    listed = client.get(
        _download_url(rendered.number), headers={"if-none-match": f'"0000", {etag}'}
    )
    other = client.get(_download_url(rendered.number), headers={"if-none-match": '"0000"'})
    # then
    for response in (same, listed):
        assert response.status_code == 304
        assert response["ETag"] == etag
        assert response.content == b""
    assert other.status_code == 200
    assert b"".join(other.streaming_content) == _stored(rendered)


@pytest.mark.parametrize("user_fixture", ["other_enterprise_user", "bank_user"])
def test_download_by_anyone_else_is_404(rendered, client, request, user_fixture):
    # given another enterprise, or a bank without any pledge on the asset
    client.force_login(request.getfixturevalue(user_fixture))
    # when
    response = client.get(_download_url(rendered.number))
    # then
    assert response.status_code == 404
    assert response.get("Content-Disposition") is None


def test_download_without_login_redirects_to_the_login_page(rendered, client):
    # when
    response = client.get(_download_url(rendered.number))
    # then
    assert response.status_code == 302
    assert response["Location"] == f"/accounts/login/?next=/certificates/{rendered.number}.pdf"


@pytest.mark.parametrize("number", ["123", "abc", "20261312000000001", "20261112009999999"])
def test_download_of_a_malformed_or_unknown_number_is_404(
    certificate, enterprise_user, client, number
):
    # given
    client.force_login(enterprise_user)
    # when
    response = client.get(_download_url(number))
    # then
    assert response.status_code == 404


def test_download_of_a_certificate_not_yet_rendered_is_404(certificate, enterprise_user, client):
    # given a certificate whose rendering has not run
    assert certificate.rendered_at is None
    client.force_login(enterprise_user)
    # when
    response = client.get(_download_url(certificate.number))
    # then
    assert response.status_code == 404
