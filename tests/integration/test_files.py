"""Uploaded files (issue 11, "Files served to anyone"): no static route serves the media folder,
in DEBUG or not; every download is a permission-checked attachment; portal and objection uploads
are checked by content (magic bytes) against an allowed-type list with a size limit per kind."""

from __future__ import annotations

import datetime as dt
import importlib
import io
import threading
import zipfile
from wsgiref.simple_server import WSGIRequestHandler, make_server

import pytest
import requests
from django.core.files.base import ContentFile
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.handlers.wsgi import WSGIHandler
from django.test import Client
from django.urls import clear_url_caches, reverse

from core.uploads import TEXT, UploadValidator, detect
from registry import services
from registry.models import DataAsset, Objection
from tests.factories import BankFactory, UserFactory, complete_application, table_counts

pytestmark = pytest.mark.django_db

OBJECTION_DAY = dt.date(2026, 5, 28)
CSV = b"container_id,time,berth\nTJU001,2025-01-01T08:00,3\n"
GBK_CSV = "集装箱,时间\nTJU001,2025-01-01\n".encode("gbk")
JSON = b'{"rows": [{"id": 1}]}\n'
PDF = b"%PDF-1.7\n1 0 obj\n<<>>\nendobj\n%%EOF\n"
PNG = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR"
JPEG = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00"
PARQUET = b"PAR1" + b"\x15\x00" * 8 + b"PAR1"
HTML = b"<!DOCTYPE html><html><body><script>alert(document.cookie)</script></body></html>"
SVG = b'<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>'
XML_SVG = b'<?xml version="1.0"?>\n<svg xmlns="http://www.w3.org/2000/svg"/>'
CSV_WITH_SCRIPT = b"id,note\n1,<script>alert(1)</script>\n"
EXE = b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff\x00\x00"
NUL_TEXT = b"id,value\n1,\x002\n"


def _zip(names: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name, content in names.items():
            archive.writestr(name, content)
    return buffer.getvalue()


XLSX = _zip({"[Content_Types].xml": b"<Types/>", "xl/workbook.xml": b"<workbook/>"})
DOCX = _zip({"[Content_Types].xml": b"<Types/>", "word/document.xml": b"<document/>"})
ZIP = _zip({"data/part-0.csv": CSV})
NOT_A_SAMPLE = "The sample must be a CSV/TXT/JSON, XLSX, ZIP, Parquet or PDF file."
NOT_A_PROOF = "The proof of source must be a PDF, PNG, JPEG or CSV/TXT/JSON file."
NOT_EVIDENCE = "The evidence must be a PDF, JPEG or PNG file."


# --- helpers -------------------------------------------------------------------------------------
def _logged_in(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def _form_data(**files) -> dict:
    """The portal's application form as a browser posts it, with the given files."""
    data: dict = {"action": "save"}
    for field, value in complete_application().items():
        if field == "sample_file" or value is None:
            continue
        if isinstance(value, bool):
            if value:
                data[field] = "on"
        elif isinstance(value, dt.date):
            data[field] = value.isoformat()
        else:
            data[field] = str(value)
    for field, (name, content) in files.items():
        data[field] = SimpleUploadedFile(name, content, content_type="text/csv")
    return data


def _file_url(name: str) -> str:
    return reverse("portal:stored-file", args=[name])


def _assert_attachment(response, content: bytes, filename: str) -> None:
    assert response.status_code == 200
    assert response["Content-Type"] == "application/octet-stream"
    assert response["Content-Disposition"] == f'attachment; filename="{filename}"'
    assert response["X-Content-Type-Options"] == "nosniff"
    assert b"".join(response.streaming_content) == content


@pytest.fixture
def asset_with_files(holder, enterprise_user) -> DataAsset:
    """A draft with a sample and a proof of source stored (through the service, as the admin or a
    file uploaded before these checks would have)."""
    return services.asset_create(
        actor=enterprise_user,
        holder=holder,
        data=complete_application(
            sample_file=ContentFile(CSV, "berths.csv"),
            source_proof_file=ContentFile(PDF, "licence.pdf"),
        ),
    )


@pytest.fixture
def objection(in_publicity) -> Objection:
    return services.objection_file(
        asset=in_publicity,
        objector_name="天津某物流公司",
        objector_contact="legal@example.cn",
        reasons="权属存在争议。",
        evidence=ContentFile(PDF, "contract.pdf"),
        on=OBJECTION_DAY,
    )


# --- no static route for the media folder -------------------------------------------------------
@pytest.fixture
def debug_urls(settings):
    """DEBUG on, as `make run` has it, with the URLconf built again under it (the old static route
    was added at import time when DEBUG was on)."""
    import config.urls

    settings.DEBUG = True
    importlib.reload(config.urls)
    clear_url_caches()
    yield
    settings.DEBUG = False
    importlib.reload(config.urls)
    clear_url_caches()


@pytest.fixture
def app_server(debug_urls):
    """The application alone over HTTP, as gunicorn serves it. Django's `live_server` wraps the
    application in a handler of its own that serves MEDIA_URL from the disk (a test convenience,
    whatever the URLconf says), so it cannot show what the application itself serves."""
    server = make_server("127.0.0.1", 0, WSGIHandler(), handler_class=_QuietHandler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()
    server.server_close()
    thread.join(timeout=10)


class _QuietHandler(WSGIRequestHandler):
    def log_message(self, format, *args):
        return


@pytest.mark.django_db(transaction=True)
def test_media_is_not_served_by_any_route_even_in_debug(app_server, holder, enterprise_user):
    # given: a stored sample that is an HTML page (uploaded before the checks), on disk
    asset = services.asset_create(
        actor=enterprise_user,
        holder=holder,
        data=complete_application(sample_file=ContentFile(HTML, "page.html")),
    )
    name = asset.sample_file.name
    signed_in = requests.Session()
    django_client = Client()
    django_client.force_login(enterprise_user)
    signed_in.cookies.set("sessionid", django_client.cookies["sessionid"].value)

    # when: its old static address, anonymous and signed in as the holder
    anonymous_media = requests.get(f"{app_server}/media/{name}", timeout=10)
    holder_media = signed_in.get(f"{app_server}/media/{name}", timeout=10)
    # ... and the checked view, anonymous and as the holder
    anonymous_view = requests.get(f"{app_server}{_file_url(name)}", timeout=10)
    holder_view = signed_in.get(f"{app_server}{_file_url(name)}", timeout=10)

    # then
    assert anonymous_media.status_code == 404
    assert holder_media.status_code == 404
    assert HTML not in anonymous_media.content + holder_media.content
    assert anonymous_view.status_code == 404
    assert HTML not in anonymous_view.content
    assert holder_view.status_code == 200
    assert holder_view.headers["Content-Type"] == "application/octet-stream"
    assert holder_view.headers["Content-Disposition"] == 'attachment; filename="page.html"'
    assert holder_view.headers["X-Content-Type-Options"] == "nosniff"
    assert holder_view.content == HTML


@pytest.mark.django_db(transaction=True)
def test_media_is_not_found_over_the_live_server_in_debug(
    debug_urls, live_server, holder, enterprise_user
):
    # given
    asset = services.asset_create(
        actor=enterprise_user,
        holder=holder,
        data=complete_application(sample_file=ContentFile(HTML, "page.html")),
    )
    # when
    response = requests.get(f"{live_server.url}/media/{asset.sample_file.name}", timeout=10)
    # then
    assert response.status_code == 404
    assert HTML not in response.content


def test_stored_files_link_to_the_checked_view(asset_with_files, registrar):
    # when: the registrar's admin page of the draft (its file inputs show the stored files)
    page = _logged_in(registrar).get(
        reverse("admin:registry_dataasset_change", args=[asset_with_files.pk])
    )

    # then
    html = page.content.decode()
    assert page.status_code == 200
    assert asset_with_files.sample_file.url == _file_url(asset_with_files.sample_file.name)
    assert f'href="{_file_url(asset_with_files.sample_file.name)}"' in html
    assert f'href="{_file_url(asset_with_files.source_proof_file.name)}"' in html
    assert "/media/" not in html


# --- downloads: who gets what --------------------------------------------------------------------
@pytest.mark.parametrize("field", ["sample_file", "source_proof_file"])
def test_holder_users_and_registrars_download_an_assets_files(
    asset_with_files, enterprise_user, registrar, field
):
    # given
    file = getattr(asset_with_files, field)
    content = {"sample_file": CSV, "source_proof_file": PDF}[field]
    filename = file.name.rsplit("/", 1)[-1]

    for user in (enterprise_user, registrar):
        # when
        response = _logged_in(user).get(file.url)
        # then
        _assert_attachment(response, content, filename)
        assert response["Cache-Control"] == "private, no-store"


@pytest.mark.parametrize("field", ["sample_file", "source_proof_file"])
def test_nobody_else_downloads_an_assets_files(asset_with_files, other_enterprise_user, field):
    # given
    url = getattr(asset_with_files, field).url
    bank_user = UserFactory(organisation=BankFactory())
    inactive_holder_user = UserFactory(organisation=asset_with_files.holder, is_active=False)

    # when
    answers = [
        Client().get(url).status_code,
        _logged_in(other_enterprise_user).get(url).status_code,
        _logged_in(bank_user).get(url).status_code,
        _logged_in(inactive_holder_user).get(url).status_code,
    ]

    # then
    assert answers == [404, 404, 404, 404]


def test_objection_evidence_goes_to_registrars_only(objection, registrar, enterprise_user):
    # given
    url = objection.evidence.url
    filename = objection.evidence.name.rsplit("/", 1)[-1]

    # when / then
    _assert_attachment(_logged_in(registrar).get(url), PDF, filename)
    assert _logged_in(enterprise_user).get(url).status_code == 404
    assert Client().get(url).status_code == 404


def test_names_no_record_holds_are_not_found(asset_with_files, registrar, settings, tmp_path):
    # given: a file in the media folder that no record names, and the registrar
    orphan = tmp_path / "media" / "samples" / "orphan.csv"
    orphan.parent.mkdir(parents=True, exist_ok=True)
    orphan.write_bytes(CSV)
    client = _logged_in(registrar)
    stored = asset_with_files.sample_file.name

    # when / then
    assert client.get(_file_url("samples/orphan.csv")).status_code == 404
    assert client.get(_file_url(f"{stored}/../../{stored}")).status_code == 404
    assert client.get(_file_url("../config/settings.py")).status_code == 404
    assert client.post(_file_url(stored)).status_code == 405


def test_a_stored_file_missing_from_disk_is_not_found(asset_with_files, enterprise_user):
    # given
    asset_with_files.sample_file.storage.delete(asset_with_files.sample_file.name)
    # when
    response = _logged_in(enterprise_user).get(asset_with_files.sample_file.url)
    # then
    assert response.status_code == 404


# --- portal uploads: types by content, size per kind ---------------------------------------------
@pytest.mark.parametrize(
    ("field", "name", "content", "message"),
    [
        ("sample_file", "page.html", HTML, NOT_A_SAMPLE),
        ("sample_file", "tool.exe", EXE, NOT_A_SAMPLE),
        ("sample_file", "logo.svg", SVG, NOT_A_SAMPLE),
        (
            "sample_file",
            "page.csv",
            HTML,
            "The file's content is not a CSV/TXT/JSON file. It is HTML or XML markup "
            "(such as SVG).",
        ),
        (
            "sample_file",
            "logo.csv",
            XML_SVG,
            "The file's content is not a CSV/TXT/JSON file. It is HTML or XML markup "
            "(such as SVG).",
        ),
        (
            "sample_file",
            "data.csv",
            CSV_WITH_SCRIPT,
            "The file's content is not a CSV/TXT/JSON file. It is HTML or XML markup "
            "(such as SVG).",
        ),
        (
            "sample_file",
            "tool.csv",
            EXE,
            "The file's content is not a CSV/TXT/JSON file. It is a Windows executable.",
        ),
        (
            "sample_file",
            "data.csv",
            NUL_TEXT,
            "The file's content is not a CSV/TXT/JSON file. It is binary data of an unknown type.",
        ),
        (
            "sample_file",
            "photo.csv",
            PNG,
            "The file's content is not a CSV/TXT/JSON file. It is a PNG image.",
        ),
        (
            "sample_file",
            "report.xlsx",
            DOCX,
            "The file's content is not a XLSX file. It is an Office document other than XLSX.",
        ),
        ("sample_file", "no-extension", CSV, NOT_A_SAMPLE),
        ("source_proof_file", "licence.html", HTML, NOT_A_PROOF),
        ("source_proof_file", "licence.exe", EXE, NOT_A_PROOF),
        ("source_proof_file", "licence.svg", SVG, NOT_A_PROOF),
        (
            "source_proof_file",
            "licence.pdf",
            HTML,
            "The file's content is not a PDF file. It is HTML or XML markup (such as SVG).",
        ),
        (
            "source_proof_file",
            "licence.csv",
            SVG,
            "The file's content is not a CSV/TXT/JSON file. It is HTML or XML markup "
            "(such as SVG).",
        ),
        ("source_proof_file", "licence.zip", ZIP, NOT_A_PROOF),
    ],
)
def test_portal_refuses_a_file_of_a_type_not_allowed(
    enterprise_user, field, name, content, message
):
    # given
    before = table_counts()
    # when
    response = _logged_in(enterprise_user).post(
        reverse("portal:asset-create"), _form_data(**{field: (name, content)})
    )
    # then
    assert response.status_code == 200
    assert response.context["form"].errors == {field: [message]}
    assert table_counts() == before


def test_an_oversized_proof_is_refused(enterprise_user):
    # given: the default limit of a proof, 10 MB, and a PDF one byte larger
    before = table_counts()
    proof = PDF + b"0" * (10 * 1024 * 1024 + 1 - len(PDF))
    # when
    response = _logged_in(enterprise_user).post(
        reverse("portal:asset-create"),
        _form_data(sample_file=("s.csv", CSV), source_proof_file=("licence.pdf", proof)),
    )
    # then
    assert response.status_code == 200
    assert response.context["form"].errors == {
        "source_proof_file": ["The proof of source file is larger than 10 MB (10485761 bytes)."]
    }
    assert table_counts() == before


def test_the_limits_and_types_are_configurable(enterprise_user, settings):
    # given: proofs of at most 1 KB, and PDF only
    settings.UPLOAD_PROOF_MAX_BYTES = 1024
    settings.UPLOAD_PROOF_TYPES = ["pdf"]
    client = _logged_in(enterprise_user)
    url = reverse("portal:asset-create")

    # when
    too_big = client.post(url, _form_data(source_proof_file=("l.pdf", PDF + b"0" * 1024)))
    image = client.post(url, _form_data(source_proof_file=("l.png", PNG)))
    just_fits = client.post(url, _form_data(source_proof_file=("l.pdf", PDF)))

    # then
    assert too_big.context["form"].errors == {
        "source_proof_file": [
            f"The proof of source file is larger than 1 KB ({len(PDF) + 1024} bytes)."
        ]
    }
    assert image.context["form"].errors == {
        "source_proof_file": ["The proof of source must be a PDF file."]
    }
    assert just_fits.status_code == 302
    assert 'accept=".pdf"' in client.get(url).content.decode()


@pytest.mark.parametrize(
    ("field", "name", "content"),
    [
        ("sample_file", "berths.csv", CSV),
        ("sample_file", "berths-gbk.csv", GBK_CSV),
        ("sample_file", "berths-bom.csv", b"\xef\xbb\xbf" + CSV),
        ("sample_file", "manifest.json", JSON),
        ("sample_file", "manifest.TXT", b"manifest of the data set\n"),
        ("sample_file", "berths.xlsx", XLSX),
        ("sample_file", "berths.zip", ZIP),
        ("sample_file", "berths.parquet", PARQUET),
        ("sample_file", "manifest.pdf", PDF),
        ("source_proof_file", "licence.pdf", PDF),
        ("source_proof_file", "licence.png", PNG),
        ("source_proof_file", "licence.jpeg", JPEG),
        ("source_proof_file", "licence.txt", "授权书\n".encode()),
    ],
)
def test_portal_accepts_the_allowed_types(enterprise_user, field, name, content):
    # when
    response = _logged_in(enterprise_user).post(
        reverse("portal:asset-create"), _form_data(**{field: (name, content)})
    )
    # then
    assert response.status_code == 302
    stored = getattr(DataAsset.objects.get(), field)
    with stored.open("rb") as handle:
        assert handle.read() == content


# --- objection evidence (public page) ------------------------------------------------------------
@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        ("page.html", HTML, NOT_EVIDENCE),
        ("logo.svg", SVG, NOT_EVIDENCE),
        ("tool.exe", EXE, NOT_EVIDENCE),
        (
            "scan.pdf",
            HTML,
            "The file's content is not a PDF file. It is HTML or XML markup (such as SVG).",
        ),
        ("scan.jpg", EXE, "The file's content is not a JPEG file. It is a Windows executable."),
    ],
)
def test_objection_evidence_is_checked_by_content(registrar, name, content, message):
    # given: an application in publicity since today
    asset = services.asset_create(
        actor=registrar,
        holder=UserFactory().organisation,
        data=complete_application(),
    )
    asset = services.asset_submit(asset=asset, actor=registrar)
    asset = services.asset_accept_for_review(asset=asset, actor=registrar)
    asset = services.asset_start_publicity(asset=asset, actor=registrar)
    before = table_counts()
    data = {
        "objector_name": "天津某物流公司",
        "objector_contact": "legal@example.cn",
        "reasons": "权属存在争议。",
        "evidence": SimpleUploadedFile(name, content, content_type="application/pdf"),
    }
    # when
    response = Client().post(reverse("public-objection-file", args=[asset.pk]), data)
    # then
    assert response.status_code == 200
    assert response.context["form"].errors == {"evidence": [message]}
    assert table_counts() == before


# --- detection itself ----------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("content", "kind"),
    [
        (CSV, TEXT),
        (GBK_CSV, TEXT),
        (JSON, TEXT),
        (PDF, "pdf"),
        (PNG, "png"),
        (JPEG, "jpeg"),
        (XLSX, "xlsx"),
        (ZIP, "zip"),
        (PARQUET, "parquet"),
        (b"PAR1 but no footer", TEXT),
        (HTML, None),
        (SVG, None),
        (XML_SVG, None),
        (b"  \n<html>", None),
        (EXE, None),
        (DOCX, None),
        (b"PK\x03\x04 not really a zip", None),
        (b"\xff\xfe\x00\x00", None),
    ],
)
def test_detect_reads_the_content(content, kind):
    assert detect(io.BytesIO(content)).type == kind


def test_the_validator_is_deconstructible():
    # Model fields may use it: a migration must be able to write it down.
    path, args, kwargs = UploadValidator("proof").deconstruct()
    assert (path, args, kwargs) == ("core.uploads.UploadValidator", ("proof",), {})
    assert UploadValidator("proof") == UploadValidator("proof")
    with pytest.raises(ValueError):
        UploadValidator("anything")
