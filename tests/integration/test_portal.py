"""The enterprise portal (/portal/), through Django's test client: dashboard, application form
(draft, submission, validation, upload limits), asset detail (objection response, cancellation),
password change, and who may see what."""

import datetime as dt
import hashlib
from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse

from certificates.models import Certificate, CertificateKind, CertificateStatus
from core import clock
from pledges.services import pledge_register
from registry import services
from registry.choices import AssetStatus
from registry.models import DataAsset, JournalEvent, Objection
from tests.factories import (
    BankFactory,
    UserFactory,
    complete_application,
    quality_body,
    table_counts,
)
from valuation import services as valuation_services

pytestmark = pytest.mark.django_db

PASSWORD = "pass-2026-test"
SAMPLE = b"container_id,time,berth\nTJU001,2025-01-01T08:00,3\nTJU002,2025-01-01T09:10,5\n"
OBJECTION_DAY = dt.date(2026, 5, 28)
COST_BODY = {
    "method": "cost",
    "variant": "guidance_2023",
    "costs": {
        "preliminary": "20",
        "direct": "120",
        "indirect": "30",
        "opportunity": "10",
        "taxes": "5",
    },
    "delta": "0.88",
}
MISSING_FOR_SUBMISSION = {
    "description",
    "industry",
    "data_category",
    "data_format",
    "source",
    "record_count",
    "size_bytes",
    "time_span_start",
    "update_frequency",
    "application_scenarios",
    "processing_rules",
    "security_level",
    "right_holding",  # "claim at least one right" is shown on the first right
    "sample_file",
}


# --- helpers -------------------------------------------------------------------------------------
def _form_data(action: str = "save", sample: bytes | None = SAMPLE, **overrides) -> dict:
    """The application form as a browser posts it (multipart): unchecked boxes are absent."""
    data = {}
    for field, value in complete_application(**overrides).items():
        if field == "sample_file":
            continue
        if isinstance(value, bool):
            if value:
                data[field] = "on"
        elif isinstance(value, dt.date):
            data[field] = value.isoformat()
        elif value is None:
            data[field] = ""
        else:
            data[field] = str(value)
    if sample is not None:
        data["sample_file"] = SimpleUploadedFile("sample.csv", sample, content_type="text/csv")
    data["action"] = action
    return data


def _minimal_form_data(action: str, **fields) -> dict:
    """Only a name: a valid draft, an incomplete application."""
    return {"name": "仅有名称的申请", "action": action, **fields}


def _logged_in(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def _detail(asset: DataAsset) -> str:
    return reverse("portal:asset-detail", args=[asset.pk])


def _edit(asset: DataAsset) -> str:
    return reverse("portal:asset-edit", args=[asset.pk])


def _cancel(asset: DataAsset) -> str:
    return reverse("portal:asset-cancel", args=[asset.pk])


def _messages(response) -> list[str]:
    return [str(message) for message in response.context["messages"]]


def _state(asset: DataAsset) -> dict:
    return DataAsset.objects.filter(pk=asset.pk).values().get()


@pytest.fixture
def objection(in_publicity) -> Objection:
    return services.objection_file(
        asset=in_publicity,
        objector_name="天津某物流公司",
        objector_contact="legal@example.cn",
        reasons="该数据集包含我司提供的堆场数据，权属存在争议。",
        on=OBJECTION_DAY,
    )


@pytest.fixture
def pledged(registered, registrar):
    """The registered asset with one active pledge (debt term from today, for a year)."""
    today = clock.today()
    pledge_register(
        asset=registered,
        pledgee=BankFactory(name="津门商业银行"),
        actor=registrar,
        secured_amount="5000000.00",
        debt_start=today,
        debt_end=today + dt.timedelta(days=365),
    )
    return registered


# --- access --------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    "name, args",
    [
        ("portal:dashboard", []),
        ("portal:asset-create", []),
        ("portal:asset-detail", [1]),
        ("portal:asset-edit", [1]),
        ("portal:password-change", []),
    ],
)
def test_anonymous_visitor_is_sent_to_the_login_page(client, name, args):
    # given
    url = reverse(name, args=args)
    # when
    response = client.get(url)
    # then
    assert response.status_code == 302
    assert response.url == f"{reverse('login')}?next={url}"


def test_anonymous_post_writes_nothing_and_redirects_to_login(client, holder):
    # given
    before = table_counts()
    # when
    response = client.post(reverse("portal:asset-create"), _form_data())
    # then
    assert response.status_code == 302
    assert response.url.startswith(reverse("login"))
    assert table_counts() == before


def test_enterprise_user_logs_in_through_the_login_form_and_reaches_the_portal(
    client, enterprise_user
):
    # given
    dashboard = reverse("portal:dashboard")
    # when
    response = client.post(
        reverse("login"), {"username": "ent1", "password": PASSWORD, "next": dashboard}
    )
    # then
    assert response.status_code == 302
    assert response.url == dashboard
    page = client.get(dashboard)
    assert page.status_code == 200
    assert "天津港数据服务有限公司" in page.text


def test_registrar_is_sent_to_the_admin(registrar):
    # given
    client = _logged_in(registrar)
    # when
    response = client.get(reverse("portal:dashboard"))
    # then
    assert response.status_code == 302
    assert response.url == reverse("admin:index")


def test_bank_user_is_refused(bank_user, draft):
    # given
    client = _logged_in(bank_user)
    # when
    responses = [client.get(reverse("portal:dashboard")), client.get(_detail(draft))]
    # then
    assert [response.status_code for response in responses] == [403, 403]


def test_post_without_csrf_token_is_refused(enterprise_user):
    # given
    client = Client(enforce_csrf_checks=True)
    client.force_login(enterprise_user)
    before = table_counts()
    # when
    response = client.post(reverse("portal:asset-create"), _form_data())
    # then
    assert response.status_code == 403
    assert table_counts() == before


def test_post_with_the_pages_csrf_token_is_accepted(enterprise_user):
    # given: the token the form page put in the cookie
    client = Client(enforce_csrf_checks=True)
    client.force_login(enterprise_user)
    client.get(reverse("portal:asset-create"))
    token = client.cookies["csrftoken"].value
    # when
    response = client.post(
        reverse("portal:asset-create"), {**_form_data(), "csrfmiddlewaretoken": token}
    )
    # then
    assert response.status_code == 302
    assert DataAsset.objects.filter(holder=enterprise_user.organisation).count() == 1


# --- dashboard -----------------------------------------------------------------------------------
def test_dashboard_lists_only_the_organisations_assets_newest_first(
    enterprise_user, other_enterprise_user, holder, draft
):
    # given: a second own asset and another organisation's asset
    newer = services.asset_create(
        actor=enterprise_user, holder=holder, data=complete_application(name="港口船舶靠泊数据集")
    )
    services.asset_create(
        actor=other_enterprise_user,
        holder=other_enterprise_user.organisation,
        data=complete_application(name="别家企业的数据集"),
    )
    # when
    response = _logged_in(enterprise_user).get(reverse("portal:dashboard"))
    # then
    assert response.status_code == 200
    assert list(response.context["assets"]) == [newer, draft]
    assert "港口船舶靠泊数据集" in response.text
    assert "别家企业的数据集" not in response.text
    assert reverse("portal:asset-create") in response.text


def test_dashboard_shows_numbers_grade_value_pledges_and_certificate(
    enterprise_user, pledged, registrar
):
    # given: a graded, appraised, pledged registered asset
    valuation_services.quality_assess(
        asset=pledged, actor=registrar, body=quality_body("92"), assessed_on=dt.date(2026, 7, 1)
    )
    appraisal = valuation_services.appraisal_draft(
        asset=pledged, actor=registrar, body=COST_BODY, base_date=dt.date(2026, 7, 31)
    )
    valuation_services.appraisal_finalise(appraisal=appraisal, actor=registrar)
    certificate = Certificate.objects.get(
        asset=pledged, kind=CertificateKind.REGISTRATION, status=CertificateStatus.VALID
    )
    # when
    response = _logged_in(enterprise_user).get(reverse("portal:dashboard"))
    # then
    row = response.context["assets"][0]
    assert row.status == AssetStatus.REGISTERED
    assert row.quality_grade == "A"
    assert row.value_amount == Decimal("162.80")
    assert row.value_base_date == dt.date(2026, 7, 31)
    assert row.active_pledge_count == 1
    assert row.certificate_number == certificate.number
    for text in (pledged.application_number, pledged.registration_number, "162.80", "2026-07-31"):
        assert text in response.text
    assert certificate.number in response.text


# --- application form: drafts and submission -----------------------------------------------------
def test_new_application_form_shows_every_field_in_bilingual_fieldsets(enterprise_user):
    # when
    response = _logged_in(enterprise_user).get(reverse("portal:asset-create"))
    # then
    assert response.status_code == 200
    form = response.context["form"]
    assert set(form.fields) == {
        *complete_application().keys(),
        "source_proof",
        "source_proof_file",
        "deidentification_method",
        "right_operation",
        "source_licence_start",
        "source_licence_end",
    }
    for text in ("数据资产名称", "Asset name", "数据资源持有权", "样本数据或清单", "存证"):
        assert text in response.text
    assert 'enctype="multipart/form-data"' in response.text


def test_save_draft_with_a_sample_file_creates_the_draft_and_journals_it(enterprise_user, holder):
    # given
    client = _logged_in(enterprise_user)
    # when
    response = client.post(reverse("portal:asset-create"), _form_data("save"))
    # then
    asset = DataAsset.objects.get(holder=holder)
    assert response.status_code == 302
    assert response.url == _edit(asset)
    assert asset.status == AssetStatus.DRAFT
    assert asset.name == "港口集装箱物流轨迹数据集"
    assert asset.record_count == 1_250_000
    assert asset.time_span_end == dt.date(2025, 12, 31)
    assert (asset.right_holding, asset.right_processing, asset.right_operation) == (
        True,
        True,
        False,
    )
    assert asset.created_by == enterprise_user
    assert asset.application_number is None
    assert asset.evidence_sha256 == ""
    with asset.sample_file.open("rb") as stored:
        assert stored.read() == SAMPLE
    assert list(JournalEvent.objects.filter(asset=asset).values_list("event_type", flat=True)) == [
        "asset.created"
    ]
    assert "The draft is saved." in " ".join(_messages(client.get(response.url)))


def test_save_and_submit_a_complete_application(enterprise_user, holder):
    # given
    client = _logged_in(enterprise_user)
    # when
    response = client.post(reverse("portal:asset-create"), _form_data("submit"))
    # then
    asset = DataAsset.objects.get(holder=holder)
    assert response.status_code == 302
    assert response.url == _detail(asset)
    assert asset.status == AssetStatus.SUBMITTED
    assert asset.evidence_sha256 == hashlib.sha256(SAMPLE).hexdigest()
    assert asset.application_number.startswith("SQ")
    assert list(JournalEvent.objects.filter(asset=asset).values_list("event_type", flat=True)) == [
        "asset.created",
        "asset.submitted",
    ]
    detail = client.get(response.url)
    assert asset.application_number in " ".join(_messages(detail))
    assert asset.evidence_sha256 in detail.text


def test_submit_an_incomplete_application_reports_every_gap_and_keeps_the_draft(
    enterprise_user, holder
):
    # given
    client = _logged_in(enterprise_user)
    # when
    response = client.post(reverse("portal:asset-create"), _minimal_form_data("submit"))
    # then: the draft is saved, not submitted, and all missing items are listed at once
    asset = DataAsset.objects.get(holder=holder)
    assert response.status_code == 200
    assert asset.status == AssetStatus.DRAFT
    assert asset.application_number is None
    assert asset.submitted_at is None
    form = response.context["form"]
    assert set(form.errors) == MISSING_FOR_SUBMISSION
    assert form.errors["description"] == ["Required to submit the application."]
    assert form.errors["right_holding"] == ["Claim at least one right."]
    assert form.errors["sample_file"] == ["Upload the data sample or manifest to hash."]
    assert len(response.context["gaps"]) == len(MISSING_FOR_SUBMISSION)
    assert 'id="incomplete-notice"' in response.text
    assert 'id="draft-saved"' in response.text
    # the next post goes to the saved draft, not to a second new application
    assert f'action="{_edit(asset)}"' in response.text
    assert 'value="仅有名称的申请"' in response.text
    assert list(JournalEvent.objects.filter(asset=asset).values_list("event_type", flat=True)) == [
        "asset.created"
    ]


def test_completing_the_saved_draft_and_submitting_it(enterprise_user, holder):
    # given: an incomplete submission (a name and the sample) left a draft
    client = _logged_in(enterprise_user)
    first = _minimal_form_data(
        "submit", sample_file=SimpleUploadedFile("sample.csv", SAMPLE, content_type="text/csv")
    )
    client.post(reverse("portal:asset-create"), first)
    asset = DataAsset.objects.get(holder=holder)
    # when: the user completes the form on the draft and submits again (no new file)
    response = client.post(_edit(asset), _form_data("submit", sample=None, name="仅有名称的申请"))
    # then
    asset.refresh_from_db()
    assert response.status_code == 302
    assert asset.status == AssetStatus.SUBMITTED
    assert asset.evidence_sha256 == hashlib.sha256(SAMPLE).hexdigest()
    assert list(JournalEvent.objects.filter(asset=asset).values_list("event_type", flat=True)) == [
        "asset.created",
        "asset.updated",
        "asset.submitted",
    ]


@pytest.mark.parametrize("field", ["sample_file", "source_proof_file"])
def test_uploading_a_file_while_editing_a_draft(enterprise_user, draft, field):
    # given
    client = _logged_in(enterprise_user)
    data = _form_data("save", sample=None)
    data[field] = SimpleUploadedFile("new.csv", b"id,value\n1,2\n", content_type="text/csv")
    # when
    response = client.post(_edit(draft), data)
    # then
    draft.refresh_from_db()
    assert response.status_code == 302
    with getattr(draft, field).open("rb") as stored:
        assert stored.read() == b"id,value\n1,2\n"


def test_editing_a_draft_keeps_the_stored_sample_when_no_new_file_is_chosen(enterprise_user, draft):
    # given
    client = _logged_in(enterprise_user)
    stored_name = draft.sample_file.name
    # when
    response = client.post(
        _edit(draft), _form_data("save", sample=None, description="更新后的描述。")
    )
    # then
    draft.refresh_from_db()
    assert response.status_code == 302
    assert draft.description == "更新后的描述。"
    assert draft.sample_file.name == stored_name
    event = JournalEvent.objects.filter(asset=draft).order_by("-id").first()
    assert event.event_type == "asset.updated"
    assert set(event.payload["changes"]) == {"description"}


@pytest.mark.parametrize(
    "overrides, field, message, kept",
    [
        (
            {"size_bytes": "-5"},
            "size_bytes",
            "The size cannot be negative.",
            'value="-5"',
        ),
        (
            {"record_count": "-1"},
            "record_count",
            "The number of records cannot be negative.",
            'value="-1"',
        ),
        (
            {"time_span_start": "2025-12-31", "time_span_end": "2021-01-01"},
            "time_span_end",
            "The time span cannot end before it starts.",
            'value="2021-01-01"',
        ),
        (
            {"source_licence_start": "2026-01-01", "source_licence_end": "2025-01-01"},
            "source_licence_end",
            "The source licence cannot end before it starts.",
            'value="2025-01-01"',
        ),
        (
            {"data_category": "stolen_data"},
            "data_category",
            "Select a valid choice. stolen_data is not one of the available choices.",
            "天津港集装箱进出港及堆场作业轨迹",
        ),
        (
            {"security_level": "core"},
            "security_level",
            "Core data cannot be registered (Data Security Law, art. 21).",
            'value="港口集装箱物流轨迹数据集"',
        ),
        (
            {"time_span_start": "2025-02-30"},
            "time_span_start",
            "Enter a valid date.",
            'value="2025-02-30"',
        ),
    ],
)
@pytest.mark.parametrize("action", ["save", "submit"])
def test_bad_input_is_refused_with_field_errors_keeping_what_was_typed(
    enterprise_user, overrides, field, message, kept, action
):
    # given
    client = _logged_in(enterprise_user)
    data = {**_form_data(action), **overrides}
    before = table_counts()
    # when
    response = client.post(reverse("portal:asset-create"), data)
    # then
    assert response.status_code == 200
    assert response.context["form"].errors == {field: [message]}
    assert kept in response.text
    assert 'value="港口集装箱物流轨迹数据集"' in response.text
    assert "Nothing was saved" in response.text
    assert "choose the sample and proof files again" in response.text
    assert table_counts() == before


def test_a_name_already_used_by_a_live_application_is_a_field_error(enterprise_user, draft):
    # given
    before = table_counts()
    # when
    response = _logged_in(enterprise_user).post(reverse("portal:asset-create"), _form_data())
    # then
    assert response.status_code == 200
    assert response.context["form"].errors == {
        "name": ["This holder already has a live application or registration with this name."]
    }
    assert table_counts() == before


def test_an_oversize_sample_file_is_a_field_error(enterprise_user, settings):
    # given
    settings.REGISTRY_SAMPLE_MAX_BYTES = 32
    before = table_counts()
    # when
    response = _logged_in(enterprise_user).post(
        reverse("portal:asset-create"), _form_data("submit")
    )
    # then
    assert response.status_code == 200
    [error] = response.context["form"].errors["sample_file"]
    assert error.startswith(f"The sample file is {len(SAMPLE)}\xa0bytes; the limit is 32\xa0bytes")
    assert list(response.context["form"].errors) == ["sample_file"]
    assert table_counts() == before


def test_an_empty_sample_file_is_refused(enterprise_user):
    # given
    before = table_counts()
    # when
    response = _logged_in(enterprise_user).post(
        reverse("portal:asset-create"), _form_data(sample=b"")
    )
    # then
    assert response.status_code == 200
    assert response.context["form"].errors == {"sample_file": ["The submitted file is empty."]}
    assert table_counts() == before


def test_editing_a_submitted_application_is_refused_and_changes_nothing(enterprise_user, submitted):
    # given
    client = _logged_in(enterprise_user)
    state = _state(submitted)
    before = table_counts()
    # when
    page = client.get(_edit(submitted))
    posted = client.post(_edit(submitted), _form_data("submit", name="改名后的数据集"))
    # then
    assert page.status_code == 302 and page.url == _detail(submitted)
    assert posted.status_code == 302 and posted.url == _detail(submitted)
    assert (
        _messages(client.get(_detail(submitted)))
        == ["Only a draft or a returned application can be edited; this asset is Submitted."] * 2
    )
    assert _state(submitted) == state
    assert table_counts() == before


def test_a_returned_application_shows_the_notice_and_can_be_corrected_and_resubmitted(
    enterprise_user, submitted, registrar
):
    # given
    services.asset_return_for_correction(
        asset=submitted, actor=registrar, missing=["补充数据来源证明", "说明更新机制"]
    )
    client = _logged_in(enterprise_user)
    # when
    detail = client.get(_detail(submitted))
    form_page = client.get(_edit(submitted))
    response = client.post(_edit(submitted), _form_data("submit", sample=None))
    # then
    assert "1. 补充数据来源证明\n2. 说明更新机制" in detail.text
    assert f'href="{_edit(submitted)}"' in detail.text
    assert 'id="correction-notice"' in form_page.text
    assert "Save and resubmit" in form_page.text
    submitted.refresh_from_db()
    assert response.status_code == 302
    assert submitted.status == AssetStatus.SUBMITTED
    assert submitted.correction_notice == ""


# --- another organisation's assets ---------------------------------------------------------------
@pytest.mark.parametrize("method, url_of", [("get", _detail), ("get", _edit), ("post", _edit)])
def test_another_organisations_asset_is_not_found(other_enterprise_user, draft, method, url_of):
    # given
    client = _logged_in(other_enterprise_user)
    before = table_counts()
    state = _state(draft)
    # when
    response = getattr(client, method)(url_of(draft), _form_data() if method == "post" else None)
    # then
    assert response.status_code == 404
    assert _state(draft) == state
    assert table_counts() == before


def test_another_organisations_registration_cannot_be_cancelled_or_its_certificate_fetched(
    other_enterprise_user, registered
):
    # given
    client = _logged_in(other_enterprise_user)
    certificate = Certificate.objects.get(asset=registered)
    # when
    cancel = client.post(_cancel(registered), {"reason": "恶意注销", "confirm": "on"})
    download = client.get(reverse("certificate-download", args=[certificate.number]))
    # then
    assert (cancel.status_code, download.status_code) == (404, 404)
    registered.refresh_from_db()
    assert registered.status == AssetStatus.REGISTERED


def test_another_organisations_objection_cannot_be_answered(other_enterprise_user, objection):
    # given
    client = _logged_in(other_enterprise_user)
    url = reverse("portal:objection-respond", args=[objection.asset_id, objection.pk])
    # when
    response = client.post(url, {"response": "不是我们的资产"})
    # then
    assert response.status_code == 404
    objection.refresh_from_db()
    assert objection.applicant_response == ""


# --- asset detail --------------------------------------------------------------------------------
def test_detail_of_a_registered_asset(enterprise_user, registered):
    # given
    certificate = Certificate.objects.get(asset=registered)
    # when
    response = _logged_in(enterprise_user).get(_detail(registered))
    # then
    assert response.status_code == 200
    for text in (
        registered.application_number,
        registered.registration_number,
        "2026-05-25 – 2026-06-08",  # publicity
        "2026-06-09 – 2029-06-08",  # validity
        registered.evidence_sha256,
        certificate.number,
        "Request cancellation",
    ):
        assert text in response.text
    timeline = response.context["timeline"]
    assert [entry.event_type for entry in timeline if entry.event_type.startswith("asset.")] == [
        "asset.created",
        "asset.submitted",
        "asset.accepted_for_review",
        "asset.publicity_started",
        "asset.registered",
    ]
    assert [entry.label_zh for entry in timeline[:2]] == ["创建申请草稿", "提交申请"]
    assert timeline[0].actor_label == "ent1 @ 天津港数据服务有限公司"
    assert "准予登记" in response.text


def test_open_objection_can_be_answered(enterprise_user, objection):
    # given
    client = _logged_in(enterprise_user)
    asset = objection.asset
    url = reverse("portal:objection-respond", args=[asset.pk, objection.pk])
    detail = client.get(_detail(asset))
    assert "权属存在争议" in detail.text
    assert f'action="{url}"' in detail.text
    # when
    response = client.post(url, {"response": "  堆场数据由我司自行采集，附采集合同。  "})
    # then
    objection.refresh_from_db()
    assert response.status_code == 302
    assert response.url == _detail(asset) + "#objections"
    assert objection.applicant_response == "堆场数据由我司自行采集，附采集合同。"
    event = JournalEvent.objects.order_by("-id").first()
    assert (event.event_type, event.reason, event.actor_id) == (
        "objection.responded",
        "堆场数据由我司自行采集，附采集合同。",
        enterprise_user.pk,
    )


def test_an_empty_objection_response_is_refused(enterprise_user, objection):
    # given
    client = _logged_in(enterprise_user)
    url = reverse("portal:objection-respond", args=[objection.asset_id, objection.pk])
    before = table_counts()
    # when
    response = client.post(url, {"response": "   "})
    # then
    assert response.status_code == 200
    assert "Write your response to the objection." in response.text
    assert table_counts() == before


def test_a_registered_asset_can_be_cancelled(enterprise_user, registered):
    # given
    client = _logged_in(enterprise_user)
    # when
    response = client.post(_cancel(registered), {"reason": "业务终止，申请注销", "confirm": "on"})
    # then
    registered.refresh_from_db()
    assert response.status_code == 302
    assert registered.status == AssetStatus.CANCELLED
    assert registered.status_reason == "业务终止，申请注销"
    assert Certificate.objects.get(asset=registered).status == CertificateStatus.REVOKED
    event = JournalEvent.objects.filter(event_type="asset.cancelled").get()
    assert event.actor_id == enterprise_user.pk
    assert "The registration is cancelled" in " ".join(_messages(client.get(response.url)))


@pytest.mark.parametrize(
    "data, field, message",
    [
        ({"reason": "  ", "confirm": "on"}, "reason", "Give the reason for the cancellation."),
        (
            {"reason": "业务终止"},
            "confirm",
            "Tick the box to confirm: a cancelled registration cannot be restored.",
        ),
    ],
)
def test_cancellation_needs_a_reason_and_a_confirmation(
    enterprise_user, registered, data, field, message
):
    # given
    before = table_counts()
    # when
    response = _logged_in(enterprise_user).post(_cancel(registered), data)
    # then
    assert response.status_code == 200
    assert response.context["cancel_form"].errors == {field: [message]}
    registered.refresh_from_db()
    assert registered.status == AssetStatus.REGISTERED
    assert table_counts() == before


def test_cancelling_a_pledged_asset_is_refused_with_the_reason(enterprise_user, pledged):
    # given
    before = table_counts()
    # when
    response = _logged_in(enterprise_user).post(
        _cancel(pledged), {"reason": "业务终止", "confirm": "on", "pledgee_consent": "on"}
    )
    # then: the enterprise cannot give the pledgee's consent itself
    assert response.status_code == 200
    [error] = response.context["cancel_form"].non_field_errors()
    assert error.startswith("The asset is pledged (ZY")
    assert error.endswith("Cancel registration needs the pledgees' written consent.")
    assert "pledgees&#x27; written consent" in response.text
    pledged.refresh_from_db()
    assert pledged.status == AssetStatus.REGISTERED
    assert table_counts() == before
    assert "津门商业银行" in response.text  # the pledge's public facts


def test_cancelling_an_asset_that_is_not_registered_is_refused(enterprise_user, submitted):
    # given
    client = _logged_in(enterprise_user)
    state = _state(submitted)
    # when
    response = client.post(_cancel(submitted), {"reason": "撤回", "confirm": "on"})
    # then
    assert response.status_code == 302
    assert _messages(client.get(response.url)) == [
        "Only a registered asset can be cancelled; this asset is Submitted."
    ]
    assert _state(submitted) == state


# --- password ------------------------------------------------------------------------------------
def test_password_change(enterprise_user):
    # given
    client = _logged_in(enterprise_user)
    new_password = "港口-new-pass-2026"
    # when
    response = client.post(
        reverse("portal:password-change"),
        {
            "old_password": PASSWORD,
            "new_password1": new_password,
            "new_password2": new_password,
        },
    )
    # then
    assert response.status_code == 302
    assert response.url == reverse("portal:password-change-done")
    assert client.get(response.url).status_code == 200
    enterprise_user.refresh_from_db()
    assert enterprise_user.check_password(new_password)


def test_password_change_with_a_wrong_old_password_is_refused(enterprise_user):
    # given
    client = _logged_in(enterprise_user)
    # when
    response = client.post(
        reverse("portal:password-change"),
        {"old_password": "wrong", "new_password1": "x-2026-abc!", "new_password2": "x-2026-abc!"},
    )
    # then
    assert response.status_code == 200
    assert "old_password" in response.context["form"].errors
    enterprise_user.refresh_from_db()
    assert enterprise_user.check_password(PASSWORD)


def test_a_user_of_an_inactive_account_cannot_use_the_portal(holder):
    # given
    user = UserFactory(username="gone", organisation=holder, is_active=False)
    client = Client()
    client.force_login(user)
    # when
    response = client.get(reverse("portal:dashboard"))
    # then: the session is not accepted for an inactive user
    assert response.status_code == 302
    assert response.url.startswith(reverse("login"))
