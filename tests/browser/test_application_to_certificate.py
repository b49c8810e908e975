"""The whole path a person clicks through, in headless Chromium against a live server:

an enterprise user applies with a sample file → a registrar accepts it and starts publicity in
the admin → a visitor objects on the public publicity page → the registrar dismisses the
objection → after the period the registrar registers the asset → the enterprise downloads the
certificate → its public verification page says it is valid. Screenshots of the main pages are
saved under test-artifacts/screenshots/.
"""

import datetime as dt
import hashlib
import re

import pytest

from certificates.models import Certificate, CertificateStatus
from registry.choices import AssetStatus
from registry.models import DataAsset, Objection
from tests.factories import OrganisationFactory, RegistrarFactory, UserFactory

pytestmark = pytest.mark.django_db(transaction=True)

PASSWORD = "pass-2026-test"
ASSET_NAME = "天津港集装箱堆场作业数据集"
SAMPLE = b"box_id,arrived_at,yard\nTJU0001,2026-01-05T08:00,B3\n"


def _login(page, base: str, username: str) -> None:
    page.goto(f"{base}/accounts/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", PASSWORD)
    page.click("button[type=submit]")


def _admin_login(page, base: str, username: str) -> None:
    page.goto(f"{base}/admin/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", PASSWORD)
    page.click("input[type=submit]")


def _fill_application(page) -> None:
    page.fill("#id_name", ASSET_NAME)
    page.fill("#id_description", "天津港集装箱堆场每日作业记录，经清洗与脱敏后形成的数据集。")
    page.select_option("#id_industry", "G")
    page.select_option("#id_data_category", "enterprise")
    page.select_option("#id_data_format", "table")
    page.select_option("#id_source", "self_collected")
    page.fill("#id_record_count", "820000")
    page.fill("#id_size_bytes", "1500000000")
    page.fill("#id_time_span_start", "2022-01-01")
    page.select_option("#id_update_frequency", "daily")
    page.fill("#id_application_scenarios", "堆场调度优化；港口物流金融。")
    page.fill("#id_processing_rules", "采集→清洗→去重→脱敏→按日汇总。")
    page.select_option("#id_security_level", "general")
    page.check("#id_right_holding")
    page.check("#id_right_processing")
    page.set_input_files(
        "#id_sample_file", files=[{"name": "sample.csv", "mimeType": "text/csv", "buffer": SAMPLE}]
    )


def _admin_step(page, base: str, asset: DataAsset, action: str, reason: str = "") -> None:
    page.goto(f"{base}/admin/registry/dataasset/{asset.pk}/transition/{action}/")
    if reason:
        page.fill("#id_reason", reason)
    page.click("input[type=submit].default")


def test_from_application_to_a_verified_certificate(live_server, page, screenshots):
    base = live_server.url
    holder = OrganisationFactory(name="天津港数据服务有限公司")
    UserFactory(username="ent1", organisation=holder)
    RegistrarFactory(username="registrar1")

    # an enterprise user logs in and applies with a sample file
    _login(page, base, "ent1")
    page.wait_for_url(f"{base}/portal/")
    page.screenshot(path=screenshots / "01-portal-dashboard.png", full_page=True)
    page.goto(f"{base}/portal/assets/new/")
    _fill_application(page)
    page.screenshot(path=screenshots / "02-application-form.png", full_page=True)
    page.click("#save-submit")
    page.wait_for_load_state()
    asset = DataAsset.objects.get(name=ASSET_NAME)
    assert asset.status == AssetStatus.SUBMITTED
    assert asset.evidence_sha256 == hashlib.sha256(SAMPLE).hexdigest()
    page.screenshot(path=screenshots / "03-application-submitted.png", full_page=True)

    # a registrar accepts it and starts publicity in the admin
    registrar_page = page.context.browser.new_page()
    _admin_login(registrar_page, base, "registrar1")
    _admin_step(registrar_page, base, asset, "accept_for_review")
    _admin_step(registrar_page, base, asset, "start_publicity")
    asset.refresh_from_db()
    assert asset.status == AssetStatus.PUBLICITY
    registrar_page.screenshot(path=screenshots / "04-admin-asset.png", full_page=True)

    # a visitor (no login) objects on the public publicity page
    visitor = page.context.browser.new_page()
    visitor.goto(f"{base}/publicity/")
    assert ASSET_NAME in visitor.content()
    visitor.screenshot(path=screenshots / "05-publicity-list.png", full_page=True)
    visitor.goto(f"{base}/publicity/{asset.pk}/object/")
    visitor.fill("#id_objector_name", "天津某物流有限公司")
    visitor.fill("#id_objector_contact", "legal@logistics.example.cn")
    visitor.fill("#id_reasons", "部分堆场数据由我司采集，请核实权属。")
    visitor.click("form button[type=submit]")
    visitor.wait_for_load_state()
    asset.refresh_from_db()
    assert asset.status == AssetStatus.OBJECTED
    objection = Objection.objects.get(asset=asset)

    # the registrar dismisses the objection in the admin
    registrar_page.goto(f"{base}/admin/registry/objection/")
    registrar_page.check(f"input[name=_selected_action][value='{objection.pk}']")
    registrar_page.select_option("select[name=action]", "dismiss")
    registrar_page.click("button[name=index], input[name=index], .actions button")
    registrar_page.fill("#id_note", "经核查，申请人提供了完整的采集授权，异议不成立。")
    registrar_page.click("input[type=submit].default")
    asset.refresh_from_db()
    assert asset.status == AssetStatus.PUBLICITY

    # ten working days later (the test moves the calendar: the period now ended yesterday)...
    yesterday = dt.date.today() - dt.timedelta(days=1)
    DataAsset.objects.filter(pk=asset.pk).update(
        publicity_start=yesterday - dt.timedelta(days=14), publicity_end=yesterday
    )
    # ...the registrar registers the asset
    _admin_step(registrar_page, base, asset, "register", reason="公示期满，异议已驳回")
    asset.refresh_from_db()
    assert asset.status == AssetStatus.REGISTERED
    certificate = Certificate.objects.get(asset=asset, status=CertificateStatus.VALID)

    # the enterprise downloads the certificate from its asset page
    page.goto(f"{base}/portal/assets/{asset.pk}/")
    page.screenshot(path=screenshots / "06-portal-asset.png", full_page=True)
    with page.expect_download() as download_info:
        page.click(f"a[href='/certificates/{certificate.number}.pdf']")
    pdf = download_info.value.path().read_bytes()
    certificate.refresh_from_db()
    assert pdf.startswith(b"%PDF")
    assert hashlib.sha256(pdf).hexdigest() == certificate.document_sha256

    # and anyone with the document can verify it (its QR code's link): valid, with its hash
    visitor.goto(f"{base}/verify/{certificate.number}/?code={certificate.verification_code}")
    assert re.search(r"有效\s*Valid", visitor.inner_text("#certificate-status"))
    assert visitor.inner_text("#document-sha256").strip() == certificate.document_sha256
    visitor.set_input_files(
        "#id_document",
        files=[{"name": "cert.pdf", "mimeType": "application/pdf", "buffer": pdf}],
    )
    visitor.click("form button[type=submit]")
    assert "authentic" in visitor.inner_text("#check-verdict").lower()
    visitor.screenshot(path=screenshots / "07-verification.png", full_page=True)
