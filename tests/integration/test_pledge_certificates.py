"""The pledge registration certificate (质押登记证明, domain.md section 6) through the pledge
services: issued at registration, superseded by an amendment or an extension, revoked by a release,
an annulment or expiry; journaled with the pledge's asset; rendered as a signed one-page PDF; shown
on the public verification page; and downloadable by the holder, the pledgee bank and registrars.

Rendering runs only where a test executes the commit callbacks (two renders in this file)."""

import datetime as dt
import hashlib
import io
import re

import pytest
from django.utils import translation
from pypdf import PdfReader

from certificates.events import (
    CERTIFICATE_ISSUED,
    CERTIFICATE_RENDERED,
    CERTIFICATE_REVOKED,
    CERTIFICATE_SUPERSEDED,
)
from certificates.models import Certificate, CertificateKind, CertificateStatus
from certificates.signing import verify_pdf
from certificates.verification import trusted_certificate_path
from core import clock
from pledges.models import Pledge, PledgeStatus
from pledges.services import (
    pledge_amend,
    pledge_annul,
    pledge_expire,
    pledge_extend,
    pledge_register,
    pledge_release,
)
from registry.journal import SYSTEM_LABEL
from registry.models import DataAsset, JournalEvent
from tests.factories import BankFactory, UserFactory

D = dt.date
DEBT_START = D(2026, 7, 1)
DEBT_END = D(2027, 6, 30)
REGISTRATION_END = D(2027, 12, 31)
AMOUNT = "1200000.00"
HOLDER_NAME = "天津港数据服务有限公司"  # tests/conftest.py `holder`
ASSET_NAME = "港口集装箱物流轨迹数据集"  # tests/factories.py complete_application()
BANK_NAME = "中国工商银行天津分行"
OTHER_BANK_NAME = "招商银行天津分行"
BANK_LABEL = f"pledgee1 @ {BANK_NAME}"
REGISTRAR_LABEL = "registrar1 @ 天津数据资产登记评估中心"
CERTIFICATE_EVENTS = (
    CERTIFICATE_ISSUED,
    CERTIFICATE_SUPERSEDED,
    CERTIFICATE_REVOKED,
    CERTIFICATE_RENDERED,
)


@pytest.fixture(autouse=True)
def _english():
    with translation.override("en"):
        yield


@pytest.fixture
def bank(db):
    return BankFactory(name=BANK_NAME)


@pytest.fixture
def pledgee_user(bank):
    return UserFactory(username="pledgee1", organisation=bank, role="bank")


@pytest.fixture
def other_bank_user(db):
    return UserFactory(
        username="bank2", organisation=BankFactory(name=OTHER_BANK_NAME), role="bank"
    )


def _file(asset: DataAsset, actor, amount: str = AMOUNT) -> Pledge:
    return pledge_register(
        asset=asset,
        pledgee=actor.organisation,
        actor=actor,
        secured_amount=amount,
        debt_start=DEBT_START,
        debt_end=DEBT_END,
        registration_end=REGISTRATION_END,
    )


@pytest.fixture
def pledge(registered, pledgee_user) -> Pledge:
    """A pledge on the registered asset; its certificate is issued but not rendered."""
    return _file(registered, pledgee_user)


@pytest.fixture
def rendered_pledge(registered, pledgee_user, django_capture_on_commit_callbacks) -> Pledge:
    """A pledge whose certificate was rendered when the filing committed (one render)."""
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        filed = _file(registered, pledgee_user)
    assert len(callbacks) == 1
    return filed


def _pledge_certificates(pledge: Pledge) -> list[Certificate]:
    return list(Certificate.objects.filter(pledge=pledge).order_by("id"))


def _valid(pledge: Pledge) -> list[str]:
    return list(
        Certificate.objects.filter(pledge=pledge, status=CertificateStatus.VALID).values_list(
            "number", flat=True
        )
    )


def _certificate_events(pledge: Pledge) -> list[tuple]:
    numbers = [c.number for c in _pledge_certificates(pledge)]
    return [
        (e.event_type, e.subject_type, e.subject_id, e.asset_id, e.actor_label, e.reason, e.payload)
        for e in JournalEvent.objects.filter(
            subject_id__in=numbers, event_type__in=CERTIFICATE_EVENTS
        ).order_by("id")
    ]


def _content(pledge: Pledge, certificate: Certificate, **changed) -> dict:
    """What the pledge certificate prints for the pledge in `tests/conftest.py`'s scene."""
    pledge.refresh_from_db()
    return {
        "pledge_number": pledge.number,
        "registration_number": pledge.asset.registration_number,
        "asset_name": ASSET_NAME,
        "pledgor_name": HOLDER_NAME,
        "pledgor_uscc": pledge.pledgor.uscc,
        "pledgee_name": BANK_NAME,
        "pledgee_uscc": pledge.pledgee.uscc,
        "secured_amount": AMOUNT,
        "currency": "CNY",
        "debt_start": "2026-07-01",
        "debt_end": "2027-06-30",
        "registration_end": "2027-12-31",
        "registered_at": clock.localtime(pledge.registered_at).strftime("%Y-%m-%d %H:%M:%S"),
        "priority": pledge.priority,
        "certificate_number": certificate.number,
        "issued_on": clock.today().isoformat(),
        "verification_url": f"https://registry.example.cn/verify/{certificate.number}/",
        "registry_name": "天津数据资产登记评估中心",
        **changed,
    }


def _stored(certificate: Certificate) -> bytes:
    with certificate.document.open("rb") as handle:
        return handle.read()


def _compact_text(pdf: bytes) -> str:
    """The PDF's text without white space (letter-spaced headings come out with spaces)."""
    text = "".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf)).pages)
    return re.sub(r"\s+", "", text)


def _record_rows(html: str) -> dict[str, str]:
    """The verification page's record table: English header label → cell text."""
    rows = re.findall(r"<tr><th>[^<]*<small>([^<]+)</small></th><td[^>]*>(.*?)</td></tr>", html)
    return {label: " ".join(re.sub(r"<[^>]+>", " ", cell).split()) for label, cell in rows}


# --- issue at registration -----------------------------------------------------------------------
def test_registering_a_pledge_issues_one_valid_pledge_certificate(
    registered, holder, bank, pledgee_user, django_capture_on_commit_callbacks
):
    # given a registered asset with its registration certificate
    registration_certificate = Certificate.objects.get(asset=registered)

    # when the pledgee bank files a pledge on it
    with django_capture_on_commit_callbacks() as callbacks:
        pledge = _file(registered, pledgee_user)

    # then one valid pledge certificate names the pledge and the asset
    (certificate,) = _pledge_certificates(pledge)
    assert certificate.kind == CertificateKind.PLEDGE
    assert certificate.status == CertificateStatus.VALID
    assert (certificate.pledge_id, certificate.asset_id) == (pledge.pk, registered.pk)
    assert certificate.asset_version == 1
    assert certificate.requested_by is None
    assert certificate.issued_by == pledgee_user
    assert certificate.supersedes is None
    assert re.fullmatch(rf"{clock.today():%Y%m}1200\d{{7}}", certificate.number)
    assert certificate.number != registration_certificate.number
    assert _valid(pledge) == [certificate.number]
    # and its content is fixed at issue
    assert certificate.data == _content(pledge, certificate)
    assert certificate.data["pledgor_uscc"] == holder.uscc
    assert certificate.data["pledgee_uscc"] == bank.uscc
    # and the asset's registration certificate is left alone
    registration_certificate.refresh_from_db()
    assert registration_certificate.status == CertificateStatus.VALID
    # and the issue is journaled with the pledge's asset; rendering waits for the commit
    assert _certificate_events(pledge) == [
        (
            CERTIFICATE_ISSUED,
            "certificate",
            certificate.number,
            registered.pk,
            BANK_LABEL,
            "registration",
            {
                "number": certificate.number,
                "status": "valid",
                "kind": "pledge",
                "version": 1,
                "supersedes": None,
            },
        )
    ]
    assert len(callbacks) == 1
    assert certificate.rendered_at is None


# --- reissue after an amendment or extension -----------------------------------------------------
@pytest.mark.parametrize(
    ("step", "changed"),
    [
        ("amendment", {"secured_amount": "1500000.00", "debt_end": "2027-09-30"}),
        ("extension", {"debt_end": "2028-03-31", "registration_end": "2028-06-30"}),
    ],
)
def test_amend_and_extend_supersede_the_pledge_certificate(
    pledge, pledgee_user, step, changed, django_capture_on_commit_callbacks
):
    # given the pledge's valid certificate
    (old,) = _pledge_certificates(pledge)

    # when the pledgee amends or extends the pledge
    with django_capture_on_commit_callbacks() as callbacks:
        if step == "amendment":
            pledge_amend(
                pledge=pledge,
                actor=pledgee_user,
                reason="增加授信",
                secured_amount="1500000.00",
                debt_end=D(2027, 9, 30),
            )
        else:
            pledge_extend(
                pledge=pledge,
                actor=pledgee_user,
                registration_end=D(2028, 6, 30),
                debt_end=D(2028, 3, 31),
            )

    # then the old certificate is superseded by a new one showing the new figures
    old.refresh_from_db()
    new = Certificate.objects.get(supersedes=old)
    assert old.status == CertificateStatus.SUPERSEDED
    assert old.status_reason == step
    assert old.status_changed_at is not None
    assert new.number != old.number
    assert (new.kind, new.status) == (CertificateKind.PLEDGE, CertificateStatus.VALID)
    assert (new.pledge_id, new.asset_id) == (pledge.pk, pledge.asset_id)
    assert _valid(pledge) == [new.number]
    assert _pledge_certificates(pledge) == [old, new]
    assert new.data == _content(pledge, new, **changed)
    assert old.data == _content(pledge, old)  # the old one keeps what it printed
    # and both steps are journaled with the pledge's asset
    assert _certificate_events(pledge)[1:] == [
        (
            CERTIFICATE_SUPERSEDED,
            "certificate",
            old.number,
            pledge.asset_id,
            BANK_LABEL,
            step,
            {"number": old.number, "status": "superseded", "successor": new.number},
        ),
        (
            CERTIFICATE_ISSUED,
            "certificate",
            new.number,
            pledge.asset_id,
            BANK_LABEL,
            step,
            {
                "number": new.number,
                "status": "valid",
                "kind": "pledge",
                "version": 1,
                "supersedes": old.number,
            },
        ),
    ]
    assert len(callbacks) == 1  # only the new certificate is rendered


def test_amend_then_extend_keeps_one_valid_certificate_per_pledge(pledge, pledgee_user):
    # given
    (first,) = _pledge_certificates(pledge)
    # when amended, then extended
    pledge_amend(pledge=pledge, actor=pledgee_user, reason="增加授信", secured_amount="2000000.00")
    pledge_extend(pledge=pledge, actor=pledgee_user, registration_end=D(2028, 12, 31))
    # then a chain of three certificates, of which only the last is valid
    first_, second, third = _pledge_certificates(pledge)
    assert first_ == first
    assert [c.status for c in (first_, second, third)] == [
        CertificateStatus.SUPERSEDED,
        CertificateStatus.SUPERSEDED,
        CertificateStatus.VALID,
    ]
    assert (second.supersedes, third.supersedes) == (first, second)
    assert _valid(pledge) == [third.number]
    assert (third.data["secured_amount"], third.data["registration_end"]) == (
        "2000000.00",
        "2028-12-31",
    )
    assert third.data["debt_end"] == "2027-06-30"


# --- revocation when the pledge ends -------------------------------------------------------------
@pytest.mark.parametrize(
    ("end", "status", "label", "reason"),
    [
        ("release", PledgeStatus.RELEASED, BANK_LABEL, "贷款已结清"),
        ("annul", PledgeStatus.ANNULLED, REGISTRAR_LABEL, "登记错误"),
        ("expire", PledgeStatus.EXPIRED, SYSTEM_LABEL, "registration period ended"),
    ],
)
def test_release_annulment_and_expiry_revoke_the_pledge_certificate(
    pledge, pledgee_user, registrar, end, status, label, reason, django_capture_on_commit_callbacks
):
    # given the pledge's valid certificate
    (certificate,) = _pledge_certificates(pledge)

    # when the pledge ends
    with django_capture_on_commit_callbacks() as callbacks:
        if end == "release":
            pledge_release(pledge=pledge, actor=pledgee_user, reason=reason)
        elif end == "annul":
            pledge_annul(pledge=pledge, actor=registrar, reason=reason)
        else:
            pledge_expire(pledge=pledge, on=REGISTRATION_END + dt.timedelta(days=1))

    # then its certificate is revoked, and no other is issued
    pledge.refresh_from_db()
    assert pledge.status == status
    certificate.refresh_from_db()
    assert certificate.status == CertificateStatus.REVOKED
    assert certificate.status_reason == reason
    assert certificate.status_changed_at >= pledge.status_changed_at
    assert _pledge_certificates(pledge) == [certificate]
    assert _valid(pledge) == []
    assert callbacks == []
    # and the revocation is journaled with the pledge's asset
    assert _certificate_events(pledge)[1:] == [
        (
            CERTIFICATE_REVOKED,
            "certificate",
            certificate.number,
            pledge.asset_id,
            label,
            reason,
            {"number": certificate.number, "status": "revoked"},
        )
    ]


def test_revoking_one_pledge_leaves_the_other_pledges_certificates_alone(
    pledge, registered, pledgee_user, other_bank_user
):
    # given a second pledge on the same asset, of another bank
    second = _file(registered, other_bank_user, "300000.00")
    # when the first is released
    pledge_release(pledge=pledge, actor=pledgee_user, reason="贷款已结清")
    # then only its certificate is revoked
    assert _valid(pledge) == []
    (kept,) = _pledge_certificates(second)
    assert kept.status == CertificateStatus.VALID
    assert kept.data["pledgee_name"] == OTHER_BANK_NAME
    assert kept.data["secured_amount"] == "300000.00"
    assert Certificate.objects.get(asset=registered, kind="registration").status == "valid"


# --- the rendered PDF ----------------------------------------------------------------------------
def test_the_rendered_pdf_is_one_signed_page_with_the_pledge(rendered_pledge):
    # given the pledge's rendered certificate
    (certificate,) = _pledge_certificates(rendered_pledge)
    assert certificate.is_rendered
    pdf = _stored(certificate)

    # when its text and signature are read
    text = _compact_text(pdf)
    signature = verify_pdf(pdf, trusted_certificate_path())

    # then it prints the title, the numbers, both parties and the amount with separators
    assert pdf.startswith(b"%PDF")
    assert len(PdfReader(io.BytesIO(pdf)).pages) == 1
    for expected in (
        "质押登记证明",
        certificate.number,
        rendered_pledge.number,
        rendered_pledge.asset.registration_number,
        HOLDER_NAME,
        BANK_NAME,
        "CNY1,200,000.00",
    ):
        assert expected in text, expected
    # and it is signed with the registry's (demo) identity, byte for byte as recorded
    assert certificate.signed is True
    assert (signature.signed, signature.intact, signature.valid) == (True, True, True)
    assert signature.covers_whole_document is True
    assert signature.problem is None
    assert certificate.document_sha256 == hashlib.sha256(pdf).hexdigest()
    assert certificate.document_size == len(pdf)
    rendered_event = JournalEvent.objects.get(
        event_type=CERTIFICATE_RENDERED, subject_id=certificate.number
    )
    assert rendered_event.asset_id == rendered_pledge.asset_id


# --- the public verification page ----------------------------------------------------------------
def test_verify_page_shows_the_pledge_to_whoever_has_the_code(pledge, holder, bank, client):
    # given a pledge certificate (not yet rendered) and a visitor with its verification code
    (certificate,) = _pledge_certificates(pledge)

    # when
    response = client.get(f"/verify/{certificate.number}/?code={certificate.verification_code}")

    # then
    assert response.status_code == 200
    html = response.content.decode()
    assert 'class="status valid"' in html
    registered_at = clock.localtime(pledge.registered_at).strftime("%Y-%m-%d %H:%M:%S")
    assert _record_rows(html) == {
        "Certificate No.": certificate.number,
        "Kind": "质押登记证明 Pledge registration certificate",
        "Pledge No.": pledge.number,
        "Registration No.": pledge.asset.registration_number,
        "Asset": ASSET_NAME,
        "Pledgor": f"{HOLDER_NAME} {holder.uscc}",
        "Pledgee": f"{BANK_NAME} {bank.uscc}",
        "Secured amount": "CNY 1200000.00",
        "Debt term": "2026-07-01 – 2027-06-30",
        "Registered until": "2027-12-31",
        "Registered at": registered_at,
        "Issued": clock.today().isoformat(),
        "Document SHA-256": "The document is being prepared.",
    }


def test_verify_page_of_a_released_pledge_says_revoked(pledge, pledgee_user, client):
    # given
    (certificate,) = _pledge_certificates(pledge)
    pledge_release(pledge=pledge, actor=pledgee_user, reason="贷款已结清")
    # when
    response = client.get(f"/verify/{certificate.number}/")
    # then
    assert response.status_code == 200
    html = response.content.decode()
    assert 'class="status revoked"' in html
    assert "已撤销 Revoked" in html


def test_verify_page_of_a_superseded_pledge_certificate_links_to_its_successor(
    pledge, pledgee_user, client
):
    # given
    (old,) = _pledge_certificates(pledge)
    pledge_amend(pledge=pledge, actor=pledgee_user, reason="增加授信", secured_amount="1500000.00")
    new = Certificate.objects.get(supersedes=old)
    # when (each with its own code)
    html = client.get(f"/verify/{old.number}/?code={old.verification_code}").content.decode()
    new_html = client.get(f"/verify/{new.number}/?code={new.verification_code}").content.decode()
    # then
    assert 'class="status superseded"' in html
    assert f'href="/verify/{new.number}/"' in html
    assert _record_rows(html)["Secured amount"] == "CNY 1200000.00"
    assert _record_rows(new_html)["Secured amount"] == "CNY 1500000.00"


# --- download ------------------------------------------------------------------------------------
def test_download_by_the_holder_the_pledgee_and_a_registrar_but_not_another_bank(
    rendered_pledge, enterprise_user, pledgee_user, registrar, other_bank_user, client
):
    # given the rendered pledge certificate
    (certificate,) = _pledge_certificates(rendered_pledge)
    url = f"/certificates/{certificate.number}.pdf"
    stored = _stored(certificate)

    for user in (enterprise_user, pledgee_user, registrar):
        # when the holder's user, the pledgee bank's user or a registrar downloads it
        client.force_login(user)
        response = client.get(url)
        # then
        assert response.status_code == 200, user.username
        assert response["Content-Type"] == "application/pdf"
        assert response["Content-Disposition"] == f'attachment; filename="{certificate.number}.pdf"'
        assert response["ETag"] == f'"{certificate.document_sha256}"'
        assert b"".join(response.streaming_content) == stored

    # when another bank's user asks
    client.force_login(other_bank_user)
    response = client.get(url)
    # then
    assert response.status_code == 404
    assert response.get("Content-Disposition") is None
