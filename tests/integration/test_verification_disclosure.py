"""Verification without disclosure (issue 11): certificate numbers are sequential and verification
needs no key, so a number alone tells only that the document exists, its kind, status and
validity. The details (parties, amounts, debt term, the search's requester and time, the
document's hash) need the document's own verification code, an authorised caller, or the issued
PDF itself. A wrong code is answered byte for byte as no code.

Through Django's test client, in process: the API (`/api/v1/certificates/<number>/verify/`) and
the page (`/verify/<number>/`)."""

import datetime as dt
import io
import re
import shutil
import subprocess

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.test import Client
from django.utils import timezone
from pypdf import PdfReader

from certificates.models import VERIFICATION_CODE_ALPHABET, Certificate, CertificateKind
from certificates.services import certificate_issue_search
from certificates.verification import code_matches
from pledges.services import pledge_register, pledge_release
from registry import services
from tests.conftest import AFTER_PUBLICITY
from tests.factories import BankFactory, UserFactory

AMOUNT = "1234567.89"
SUMMARY_KEYS = {
    "number",
    "kind",
    "status",
    "effective_status",
    "valid_from",
    "valid_until",
    "document_ready",
    "disclosure",
}


# --- fixtures ------------------------------------------------------------------------------------
@pytest.fixture
def bank(db):
    return BankFactory(name="中国工商银行天津分行")


@pytest.fixture
def pledgee_user(bank):
    return UserFactory(username="pledgee1", organisation=bank, role="bank")


@pytest.fixture
def world(registered, pledgee_user, bank, holder):
    """A registration, a pledge and a search certificate, issued one after another."""
    pledge = pledge_register(
        asset=registered,
        pledgee=bank,
        actor=pledgee_user,
        secured_amount=AMOUNT,
        debt_start=dt.date(2026, 7, 1),
        debt_end=dt.date(2027, 6, 30),
        registration_end=dt.date(2027, 12, 31),
    )
    search = certificate_issue_search(
        requested_by=bank,
        actor=pledgee_user,
        query={"registration_numbers": [registered.registration_number]},
        results={"results": [{"registration_number": registered.registration_number}]},
    )
    return {
        "registration": Certificate.objects.get(
            asset=registered, kind=CertificateKind.REGISTRATION
        ),
        "pledge": Certificate.objects.get(pledge=pledge),
        "search": search,
        "pledge_row": pledge,
        "asset": registered,
        "holder": holder,
        "bank": bank,
    }


def _secrets(world) -> list[str]:
    """What counting through the numbers used to reveal (issue 11)."""
    search = world["search"]
    return [
        world["holder"].uscc,
        world["bank"].uscc,
        world["bank"].name,
        world["holder"].name,
        world["asset"].registration_number,
        world["asset"].name,
        world["pledge_row"].number,
        AMOUNT,
        "2026-07-01",
        "2027-06-30",
        search.data["searched_at"],
        search.data["results_sha256"],
        *(certificate.verification_code for key, certificate in world.items() if key in KINDS),
    ]


KINDS = ("registration", "pledge", "search")


def _api(number: str) -> str:
    return f"/api/v1/certificates/{number}/verify/"


def _key_client(registrar, organisation) -> Client:
    _record, key = services.api_key_issue(organisation=organisation, actor=registrar, name="loans")
    return Client(headers={"Authorization": f"Api-Key {key}"})


# --- the regression: enumeration ---------------------------------------------------------------
def test_counting_through_certificate_numbers_discloses_no_details(world, client):
    # given three certificates with sequential numbers, and a visitor without any credential
    numbers = sorted(world[kind].number for kind in KINDS)
    first = int(numbers[0])
    secrets = _secrets(world)
    found = {}

    # when the visitor counts through 40 numbers from the first one, on the API and the page
    for serial in range(first - 5, first + 35):
        number = str(serial)
        api = client.get(_api(number))
        page = client.get(f"/verify/{number}/")
        assert api.status_code == page.status_code
        if api.status_code == 404:
            continue
        # then every answer is the summary, and nothing of the details is in it
        assert api.status_code == 200
        body = api.json()
        assert set(body) == SUMMARY_KEYS
        assert body["disclosure"] == "summary"
        found[number] = body
        for text in (api.content.decode(), page.content.decode()):
            leaked = [secret for secret in secrets if secret in text]
            assert leaked == [], (number, leaked)
        assert 'id="details-withheld"' in page.content.decode()

    # and exactly the three certificates exist, each with its kind, status and validity only
    assert sorted(found) == numbers
    by_kind = {body["kind"]: body for body in found.values()}
    assert by_kind["registration"] == {
        "number": world["registration"].number,
        "kind": "registration",
        "status": "valid",
        "effective_status": "valid",
        "valid_from": "2026-06-09",
        "valid_until": "2029-06-08",
        "document_ready": False,
        "disclosure": "summary",
    }
    assert (by_kind["pledge"]["valid_from"], by_kind["pledge"]["valid_until"]) == (
        timezone.localdate(world["pledge_row"].registered_at).isoformat(),
        "2027-12-31",
    )
    assert (by_kind["search"]["valid_from"], by_kind["search"]["valid_until"]) == (None, None)


@pytest.mark.parametrize("kind", KINDS)
def test_a_wrong_code_is_answered_exactly_as_no_code(world, client, kind):
    # given a certificate and codes that are not its own
    certificate = world[kind]
    other = world["pledge" if kind != "pledge" else "search"].verification_code
    plain_api = client.get(_api(certificate.number))
    plain_page = client.get(f"/verify/{certificate.number}/")
    for wrong in (other, "A" * 20, certificate.verification_code[:-1], "x" * 500, "码", ""):
        # when
        api = client.get(_api(certificate.number), {"code": wrong})
        page = client.get(f"/verify/{certificate.number}/", {"code": wrong})
        # then same status, same body, same headers that matter
        assert (api.status_code, api.content) == (plain_api.status_code, plain_api.content)
        assert api.get("Cache-Control") == plain_api.get("Cache-Control")
        assert page.status_code == plain_page.status_code
        assert _without_csrf(page.content) == _without_csrf(plain_page.content)


def _without_csrf(html: bytes) -> bytes:
    """The page without its CSRF token and the request's own path echoed back (the login
    form's `next`): what the page says of the certificate."""
    html = re.sub(rb'name="csrfmiddlewaretoken" value="[^"]+"', b"", html)
    return re.sub(rb'\?code=[^"]*"', b'"', html)


# --- the code opens the details ------------------------------------------------------------------
@pytest.mark.parametrize("kind", KINDS)
def test_the_documents_code_discloses_the_details(world, client, kind):
    # given the code printed on the document, typed in lower case and in its printed groups
    certificate = world[kind]
    code = certificate.verification_code
    typed = "-".join(code[i : i + 5] for i in range(0, 20, 5)).lower()
    for given in (code, typed):
        # when
        api = client.get(_api(certificate.number), {"code": given})
        page = client.get(f"/verify/{certificate.number}/", {"code": given})
        # then the details, as the registry recorded them
        assert api.status_code == 200
        body = api.json()
        assert body["disclosure"] == "details"
        assert body["verification_code"] == code
        assert body["registration_status"] == ("registered" if kind != "search" else None)
        assert api["Cache-Control"] == "private, no-store"
        assert page.status_code == 200
        assert 'id="details-withheld"' not in page.content.decode()
        assert page["Cache-Control"] == "private, no-store"
    if kind == "pledge":
        assert body["content"]["secured_amount"] == AMOUNT
        assert body["content"]["pledgee_uscc"] == world["bank"].uscc
        assert AMOUNT in page.content.decode()
    elif kind == "search":
        assert body["content"]["requested_by_uscc"] == world["bank"].uscc
        assert set(body["content"]) == {
            "requested_by_name",
            "requested_by_uscc",
            "searched_at",
            "results_sha256",
        }
    else:
        assert body["content"]["holder_uscc"] == world["holder"].uscc
    # and another certificate's code does not open this one
    assert not code_matches(world["search" if kind != "search" else "pledge"], code)


# --- authorised callers ------------------------------------------------------------------------
def _disclosure(client: Client, number: str) -> tuple[str, str]:
    api = client.get(_api(number)).json()["disclosure"]
    page = client.get(f"/verify/{number}/").content.decode()
    return api, "summary" if 'id="details-withheld"' in page else "details"


def test_authorised_callers_see_the_details_without_the_code(
    world, registrar, enterprise_user, pledgee_user, other_enterprise_user, bank_user
):
    numbers = {kind: world[kind].number for kind in KINDS}
    bank = world["bank"]

    def signed_in(user) -> Client:
        client = Client()
        client.force_login(user)
        return client

    expected = {
        # who                                        registration pledge    search
        "registrar": (signed_in(registrar), ("details", "details", "details")),
        "holder's user": (signed_in(enterprise_user), ("details", "details", "summary")),
        "holder's API key": (
            _key_client(registrar, world["holder"]),
            ("details", "details", "summary"),
        ),
        "pledgee's user": (signed_in(pledgee_user), ("details", "details", "details")),
        "pledgee's API key": (_key_client(registrar, bank), ("details", "details", "details")),
        "another enterprise": (signed_in(other_enterprise_user), ("summary",) * 3),
        "another bank's user": (signed_in(bank_user), ("summary",) * 3),
        "another bank's API key": (_key_client(registrar, BankFactory()), ("summary",) * 3),
        "anyone": (Client(), ("summary",) * 3),
    }
    for who, (client, shapes) in expected.items():
        seen = tuple(_disclosure(client, numbers[kind]) for kind in KINDS)
        # (the page knows sessions only: an API key opens the API's answer, not the page)
        on_page = ("summary",) * 3 if "API key" in who else shapes
        assert seen == tuple(zip(shapes, on_page, strict=True)), who


def test_a_released_pledges_pledgee_still_sees_its_own_certificate(world, pledgee_user, registrar):
    # given the pledge released: the bank is no longer an active pledgee of the asset
    pledge_release(pledge=world["pledge_row"], actor=pledgee_user, reason="贷款已结清")
    client = _key_client(registrar, world["bank"])
    # when / then: its own pledge certificate yes, the asset's registration certificate no more
    assert client.get(_api(world["pledge"].number)).json()["disclosure"] == "details"
    assert client.get(_api(world["registration"].number)).json()["disclosure"] == "summary"


# --- the issued document opens the details -----------------------------------------------------
@pytest.fixture
def rendered(in_publicity, registrar, django_capture_on_commit_callbacks) -> Certificate:
    with django_capture_on_commit_callbacks(execute=True):
        asset = services.asset_register(asset=in_publicity, actor=registrar, on=AFTER_PUBLICITY)
    return Certificate.objects.get(asset=asset)


def _stored(certificate: Certificate) -> bytes:
    with certificate.document.open("rb") as handle:
        return handle.read()


def test_the_code_is_printed_on_the_document_and_in_its_qr_code(rendered, tmp_path, client):
    # given the rendered, signed certificate
    pdf = _stored(rendered)
    code = rendered.verification_code
    printed = "-".join(code[i : i + 5] for i in range(0, 20, 5))
    # then the code is printed in its groups, and is not in the content shown to verifiers
    text = "".join(PdfReader(io.BytesIO(pdf)).pages[0].extract_text().split())
    assert printed in text
    assert code not in str(rendered.data)
    # and uploading the issued PDF, without the code, shows the details
    upload = io.BytesIO(pdf)
    upload.name = "certificate.pdf"
    api = client.post(_api(rendered.number), {"document": upload})
    assert api.json()["matches_issued"] is True
    assert api.json()["record"]["disclosure"] == "details"
    # and the QR code links to the verification page with the code
    if not (shutil.which("pdftoppm") and shutil.which("zbarimg")):
        pytest.skip("pdftoppm (poppler-utils) and zbarimg (zbar-tools) are needed to scan the QR")
    (tmp_path / "c.pdf").write_bytes(pdf)
    subprocess.run(
        [
            "pdftoppm",
            "-r",
            "150",
            "-png",
            "-singlefile",
            str(tmp_path / "c.pdf"),
            str(tmp_path / "c"),
        ],
        check=True,
    )
    scan = subprocess.run(
        ["zbarimg", "--raw", "-q", str(tmp_path / "c.png")], capture_output=True, text=True
    )
    link = f"https://registry.example.cn/verify/{rendered.number}/?code={code}"
    assert scan.stdout.splitlines() == [link]
    page = client.get(link.removeprefix("https://registry.example.cn"))
    assert 'id="details-withheld"' not in page.content.decode()
    assert rendered.document_sha256 in page.content.decode()


def test_an_upload_of_another_file_keeps_the_details_hidden(world, client):
    # given a file that is not the issued document
    upload = io.BytesIO(b"%PDF-1.7\nnot the certificate\n")
    upload.name = "forged.pdf"
    # when
    response = client.post(_api(world["pledge"].number), {"document": upload})
    # then
    assert response.status_code == 200
    assert response.json()["record"] == client.get(_api(world["pledge"].number)).json()


# --- the codes themselves ----------------------------------------------------------------------
def test_every_certificate_gets_its_own_random_code_at_issue(world):
    codes = [world[kind].verification_code for kind in KINDS]
    assert len(set(codes)) == 3
    for code in codes:
        assert len(code) == 20
        assert set(code) <= set(VERIFICATION_CODE_ALPHABET)
    for kind in KINDS:
        assert world[kind].verification_code not in str(world[kind].data)


@pytest.fixture
def before_the_codes(transactional_db):
    """The certificates app migrated back to before the codes (0003); forward again after."""
    executor = MigrationExecutor(connection)
    latest = executor.loader.graph.leaf_nodes()
    try:
        executor.migrate([("certificates", "0003_alter_certificate_pledge")])
        executor.loader.build_graph()
        yield executor
    finally:
        executor.loader.build_graph()
        executor.migrate(latest)


def test_the_migration_gives_each_existing_certificate_its_own_code(before_the_codes):
    # given certificates issued before the codes existed
    executor = before_the_codes
    old_apps = executor.loader.project_state(list(executor.loader.applied_migrations)).apps
    old_certificate = old_apps.get_model("certificates", "Certificate")
    for serial in range(1, 6):
        old_certificate.objects.create(
            number=f"2026061200{serial:07d}",
            kind="registration",
            data={"asset_name": f"数据集{serial}"},
            issued_at=timezone.now(),
        )
    # when the migrations run forward
    executor.loader.build_graph()
    executor.migrate(executor.loader.graph.leaf_nodes())
    # then each has a code of its own, and its printed content is untouched
    rows = list(Certificate.objects.order_by("number").values("verification_code", "data"))
    codes = [row["verification_code"] for row in rows]
    assert len(codes) == 5
    assert len(set(codes)) == 5
    assert all(len(code) == 20 and set(code) <= set(VERIFICATION_CODE_ALPHABET) for code in codes)
    assert [row["data"] for row in rows] == [{"asset_name": f"数据集{n}"} for n in range(1, 6)]
