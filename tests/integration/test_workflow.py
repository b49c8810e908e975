"""The registration workflow (domain.md section 3) through its services: every transition of
`registry.workflow.TRANSITIONS`, and every refusal leaving the database untouched."""

import datetime as dt
import hashlib

import pytest
from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.utils import translation

from core import clock
from registry import journal, services
from registry.choices import NUMBERED_STATUSES, AssetStatus, ObjectionStatus, VersionReason
from registry.exceptions import InvalidTransition, NotPermitted, TransitionBlocked
from registry.identifiers import (
    compose_registration_number,
    is_application_number,
    parse_registration_number,
)
from registry.models import AssetVersion, DataAsset, JournalEvent, Objection
from registry.workflow import ACTION_LABELS, TRANSITIONS, Action, allowed_from
from tests.conftest import AFTER_PUBLICITY, PUBLICITY_DAY, PUBLICITY_END
from tests.factories import (
    OrganisationFactory,
    RegistryOrganisationFactory,
    complete_application,
    table_counts,
)

D = dt.date
# Registered on AFTER_PUBLICITY (9 June 2026): valid until 8 June 2029, renewable from 10 Dec 2028.
VALID_UNTIL = D(2029, 6, 8)
RENEWAL_OPENS = D(2028, 12, 10)
OBJECTION_DAY = D(2026, 5, 28)
SAMPLE = b"container_id,time,berth\nTJU001,2025-01-01T08:00,3\n"

REGISTRAR_ONLY = "Only a registrar may perform this step."
HOLDER_OR_REGISTRAR = "Only the holder's users or a registrar may perform this step."
REASON_REQUIRED = "A reason is required for this step."


@pytest.fixture(autouse=True)
def _english():
    # Messages are asserted verbatim; labels would otherwise follow LANGUAGE_CODE.
    with translation.override("en"):
        yield


@pytest.fixture
def objection(in_publicity):
    return services.objection_file(
        asset=in_publicity,
        objector_name="天津某物流公司",
        objector_contact="legal@example.cn",
        reasons="该数据集包含我司提供的堆场数据，权属存在争议。",
        on=OBJECTION_DAY,
    )


@pytest.fixture
def objected(objection):
    return DataAsset.objects.get(pk=objection.asset_id)


@pytest.fixture
def new_holder(db):
    return OrganisationFactory(name="天津数据交易服务有限公司")


def _snapshot(asset: DataAsset) -> dict:
    """The asset's stored state, re-read from the database."""
    asset.refresh_from_db()
    return {field.attname: getattr(asset, field.attname) for field in asset._meta.concrete_fields}


def _create(enterprise_user, **overrides) -> DataAsset:
    return services.asset_create(
        actor=enterprise_user,
        holder=enterprise_user.organisation,
        data=complete_application(**overrides),
    )


def _to_publicity(asset, enterprise_user, registrar, on=PUBLICITY_DAY) -> DataAsset:
    asset = services.asset_submit(asset=asset, actor=enterprise_user)
    asset = services.asset_accept_for_review(asset=asset, actor=registrar)
    return services.asset_start_publicity(asset=asset, actor=registrar, on=on)


def _events(asset) -> list[str]:
    return list(JournalEvent.objects.filter(asset=asset).values_list("event_type", flat=True))


# --- submission and formal review ------------------------------------------------------------
def test_submit_draft(draft, enterprise_user, monkeypatch):
    # given a draft, on 18 May 2026
    monkeypatch.setattr(clock, "today", lambda: D(2026, 5, 18))
    # when
    services.asset_submit(asset=draft, actor=enterprise_user)
    # then
    draft.refresh_from_db()
    assert draft.status == AssetStatus.SUBMITTED
    assert is_application_number(draft.application_number)
    assert draft.application_number.startswith("SQ2026")
    assert int(draft.application_number[6:]) >= 1
    assert draft.submitted_at is not None
    assert draft.evidence_sha256 == hashlib.sha256(SAMPLE).hexdigest()
    assert draft.registration_number is None
    assert _events(draft) == [journal.ASSET_CREATED, journal.ASSET_SUBMITTED]


def test_return_for_correction_sends_one_numbered_notice(submitted, registrar):
    # given a submitted application and three items, one of them blank
    missing = ["补充数据来源的采购合同", "  ", " 说明脱敏方法 ", "提供授权委托书"]
    # when
    services.asset_return_for_correction(
        asset=submitted, actor=registrar, missing=missing, reason="材料不齐全"
    )
    # then
    submitted.refresh_from_db()
    assert submitted.status == AssetStatus.RETURNED
    assert submitted.correction_notice == (
        "1. 补充数据来源的采购合同\n2. 说明脱敏方法\n3. 提供授权委托书"
    )
    assert submitted.status_reason == "材料不齐全"
    event = JournalEvent.objects.filter(asset=submitted).last()
    assert event.event_type == journal.ASSET_RETURNED
    assert event.payload["missing"] == ["补充数据来源的采购合同", "说明脱敏方法", "提供授权委托书"]


def test_return_for_correction_from_substantive_review(under_review, registrar):
    # given / when
    services.asset_return_for_correction(
        asset=under_review, actor=registrar, missing=["补充处理规则说明"]
    )
    # then
    under_review.refresh_from_db()
    assert under_review.status == AssetStatus.RETURNED
    assert under_review.correction_notice == "1. 补充处理规则说明"


def test_return_for_correction_needs_at_least_one_item(submitted, registrar):
    # given
    before_counts = table_counts()
    before = _snapshot(submitted)
    # when
    with pytest.raises(ValidationError) as excinfo:
        services.asset_return_for_correction(asset=submitted, actor=registrar, missing=["", " "])
    # then
    assert excinfo.value.message_dict == {"missing": ["List what must be corrected or supplied."]}
    assert table_counts() == before_counts
    assert _snapshot(submitted) == before


def test_resubmit_after_return_keeps_the_application_number(submitted, registrar, enterprise_user):
    # given a returned application, corrected by the holder
    number = submitted.application_number
    services.asset_return_for_correction(asset=submitted, actor=registrar, missing=["补充说明"])
    services.asset_update_draft(
        asset=submitted, actor=enterprise_user, data={"description": "补充后的完整说明。"}
    )
    # when
    services.asset_submit(asset=submitted, actor=enterprise_user)
    # then
    submitted.refresh_from_db()
    assert submitted.status == AssetStatus.SUBMITTED
    assert submitted.application_number == number
    assert submitted.correction_notice == ""
    assert submitted.description == "补充后的完整说明。"
    event = JournalEvent.objects.filter(asset=submitted).last()
    assert event.event_type == journal.ASSET_SUBMITTED
    assert event.payload["resubmission"] is True
    assert event.payload["application_number"] == number


def test_accept_for_review(submitted, registrar):
    # given / when
    services.asset_accept_for_review(asset=submitted, actor=registrar)
    # then
    submitted.refresh_from_db()
    assert submitted.status == AssetStatus.UNDER_REVIEW


# --- publicity and objections ---------------------------------------------------------------------
def test_start_publicity_sets_ten_working_days(under_review, registrar):
    # given / when
    services.asset_start_publicity(asset=under_review, actor=registrar, on=PUBLICITY_DAY)
    # then
    under_review.refresh_from_db()
    assert under_review.status == AssetStatus.PUBLICITY
    assert under_review.publicity_start == D(2026, 5, 25)
    assert under_review.publicity_end == D(2026, 6, 8)
    event = JournalEvent.objects.filter(asset=under_review).last()
    assert event.payload == {
        "old_status": "under_review",
        "new_status": "publicity",
        "publicity_start": "2026-05-25",
        "publicity_end": "2026-06-08",
        "working_days": 10,
    }


def test_start_publicity_across_national_day(under_review, registrar):
    # given / when: announced Monday 28 September 2026 (see tests/unit/test_workdays.py)
    services.asset_start_publicity(asset=under_review, actor=registrar, on=D(2026, 9, 28))
    # then
    under_review.refresh_from_db()
    assert under_review.publicity_end == D(2026, 10, 16)


def test_start_publicity_honours_registrar_overrides(under_review, registrar):
    # given Monday 1 June 2026 declared non-working by the registry
    services.calendar_override_set(
        actor=registrar, day=D(2026, 6, 1), is_working_day=False, note="系统停机维护"
    )
    # when
    services.asset_start_publicity(asset=under_review, actor=registrar, on=PUBLICITY_DAY)
    # then: one working day later than PUBLICITY_END
    under_review.refresh_from_db()
    assert under_review.publicity_end == D(2026, 6, 9)


def test_calendar_override_needs_a_registrar_and_a_note(registrar, enterprise_user):
    # given
    before = table_counts()
    # when
    with pytest.raises(NotPermitted) as not_permitted:
        services.calendar_override_set(
            actor=enterprise_user, day=D(2026, 6, 1), is_working_day=False, note="停机"
        )
    with pytest.raises(ValidationError) as no_note:
        services.calendar_override_set(
            actor=registrar, day=D(2026, 6, 1), is_working_day=False, note="  "
        )
    # then
    assert not_permitted.value.message == REGISTRAR_ONLY
    assert no_note.value.message_dict == {"note": [REASON_REQUIRED]}
    assert table_counts() == before


def test_objection_during_publicity(in_publicity):
    # given
    before = table_counts()
    # when
    objection = services.objection_file(
        asset=in_publicity,
        objector_name="天津某物流公司",
        objector_contact="legal@example.cn",
        reasons="权属存在争议。",
        evidence=ContentFile(b"contract", "contract.pdf"),
        on=OBJECTION_DAY,
    )
    # then
    objection.refresh_from_db()
    in_publicity.refresh_from_db()
    assert objection.status == ObjectionStatus.OPEN
    assert objection.asset_id == in_publicity.pk
    assert objection.reasons == "权属存在争议。"
    assert objection.evidence.read() == b"contract"
    assert objection.resolved_at is None
    assert in_publicity.status == AssetStatus.OBJECTED
    assert in_publicity.status_reason == "权属存在争议。"
    assert table_counts() == {
        **before,
        "objections": before["objections"] + 1,
        "journal": before["journal"] + 2,
    }
    assert _events(in_publicity)[-2:] == [journal.OBJECTION_FILED, journal.ASSET_OBJECTED]


def test_objection_on_the_last_day_of_publicity_is_accepted(in_publicity):
    # given / when
    services.objection_file(
        asset=in_publicity,
        objector_name="张三",
        objector_contact="13800000000",
        reasons="权属争议",
        on=PUBLICITY_END,
    )
    # then
    in_publicity.refresh_from_db()
    assert in_publicity.status == AssetStatus.OBJECTED


def test_objection_after_the_period_is_refused(in_publicity):
    # given
    before_counts = table_counts()
    before = _snapshot(in_publicity)
    # when
    with pytest.raises(TransitionBlocked) as excinfo:
        services.objection_file(
            asset=in_publicity,
            objector_name="张三",
            objector_contact="13800000000",
            reasons="权属争议",
            on=AFTER_PUBLICITY,
        )
    # then
    assert excinfo.value.message == (
        "The publicity period ended on 2026-06-08; objections are no longer accepted."
    )
    assert table_counts() == before_counts
    assert _snapshot(in_publicity) == before


def test_objection_needs_objector_contact_and_reasons(in_publicity):
    # given
    before_counts = table_counts()
    before = _snapshot(in_publicity)
    # when
    with pytest.raises(ValidationError) as excinfo:
        services.objection_file(
            asset=in_publicity, objector_name=" ", objector_contact="", reasons="", on=OBJECTION_DAY
        )
    # then: all three at once
    assert excinfo.value.message_dict == {
        "objector_name": ["Give the objector's name."],
        "objector_contact": ["Give a way to contact the objector."],
        "reasons": ["State the reasons for the objection."],
    }
    assert table_counts() == before_counts
    assert _snapshot(in_publicity) == before


def test_second_objection_keeps_the_asset_objected(objected):
    # given / when
    services.objection_file(
        asset=objected,
        objector_name="李四",
        objector_contact="lisi@example.cn",
        reasons="数据来源未获授权",
        on=PUBLICITY_END,
    )
    # then
    objected.refresh_from_db()
    assert objected.status == AssetStatus.OBJECTED
    assert objected.objections.filter(status=ObjectionStatus.OPEN).count() == 2
    assert _events(objected)[-1] == journal.OBJECTION_FILED


def test_holder_responds_to_an_objection(objection, enterprise_user):
    # given / when
    services.objection_respond(
        objection=objection, actor=enterprise_user, response="堆场数据由我司自行采集，附采集日志。"
    )
    # then
    objection.refresh_from_db()
    assert objection.applicant_response == "堆场数据由我司自行采集，附采集日志。"
    assert objection.status == ObjectionStatus.OPEN
    event = JournalEvent.objects.last()
    assert event.event_type == journal.OBJECTION_RESPONDED
    assert event.reason == "堆场数据由我司自行采集，附采集日志。"


@pytest.mark.parametrize(
    ("actor_fixture", "response", "error"),
    [
        ("other_enterprise_user", "我们也有意见", NotPermitted(HOLDER_OR_REGISTRAR)),
        ("bank_user", "我们也有意见", NotPermitted(HOLDER_OR_REGISTRAR)),
        ("enterprise_user", "  ", ValidationError({"applicant_response": [REASON_REQUIRED]})),
    ],
)
def test_objection_response_refusals(request, objection, actor_fixture, response, error):
    # given
    actor = request.getfixturevalue(actor_fixture)
    before_counts = table_counts()
    # when
    with pytest.raises(type(error)) as excinfo:
        services.objection_respond(objection=objection, actor=actor, response=response)
    # then
    if isinstance(error, ValidationError):
        assert excinfo.value.message_dict == error.message_dict
    else:
        assert excinfo.value.message == error.message
    assert table_counts() == before_counts
    objection.refresh_from_db()
    assert objection.applicant_response == ""


def test_objection_upheld_rejects_the_application(objection, objected, registrar):
    # given / when
    services.objection_resolve(
        objection=objection, actor=registrar, upheld=True, note="异议人提供了权属证明。"
    )
    # then
    objection.refresh_from_db()
    objected.refresh_from_db()
    assert objection.status == ObjectionStatus.UPHELD
    assert objection.resolved_by == registrar
    assert objection.resolved_at is not None
    assert objection.resolution_note == "异议人提供了权属证明。"
    assert objected.status == AssetStatus.REJECTED
    assert objected.status_reason == "异议人提供了权属证明。"
    assert objected.registration_number is None
    assert _events(objected)[-2:] == [journal.OBJECTION_UPHELD, journal.ASSET_REJECTED]


def test_objection_dismissed_resumes_publicity(objection, objected, registrar):
    # given / when
    services.objection_resolve(
        objection=objection, actor=registrar, upheld=False, note="异议理由不成立。"
    )
    # then
    objection.refresh_from_db()
    objected.refresh_from_db()
    assert objection.status == ObjectionStatus.DISMISSED
    assert objected.status == AssetStatus.PUBLICITY
    assert objected.publicity_end == PUBLICITY_END
    assert _events(objected)[-2:] == [journal.OBJECTION_DISMISSED, journal.ASSET_OBJECTIONS_CLEARED]


def test_dismissal_resumes_publicity_only_when_no_other_objection_is_open(
    objection, objected, registrar
):
    # given a second open objection
    second = services.objection_file(
        asset=objected,
        objector_name="李四",
        objector_contact="lisi@example.cn",
        reasons="数据来源未获授权",
        on=OBJECTION_DAY,
    )
    # when the first is dismissed
    services.objection_resolve(objection=objection, actor=registrar, upheld=False, note="不成立")
    # then
    objected.refresh_from_db()
    assert objected.status == AssetStatus.OBJECTED
    # when the second is dismissed too
    services.objection_resolve(objection=second, actor=registrar, upheld=False, note="不成立")
    # then
    objected.refresh_from_db()
    assert objected.status == AssetStatus.PUBLICITY


def test_dismissing_a_remaining_objection_does_not_revive_a_rejected_application(
    objection, objected, registrar
):
    # given two objections, the first upheld (application rejected)
    second = services.objection_file(
        asset=objected,
        objector_name="李四",
        objector_contact="lisi@example.cn",
        reasons="数据来源未获授权",
        on=OBJECTION_DAY,
    )
    services.objection_resolve(objection=objection, actor=registrar, upheld=True, note="成立")
    # when
    services.objection_resolve(objection=second, actor=registrar, upheld=False, note="不成立")
    # then
    objected.refresh_from_db()
    second.refresh_from_db()
    assert second.status == ObjectionStatus.DISMISSED
    assert objected.status == AssetStatus.REJECTED


def test_resolving_a_resolved_objection_is_refused(objection, objected, registrar):
    # given
    services.objection_resolve(objection=objection, actor=registrar, upheld=False, note="不成立")
    before_counts = table_counts()
    before = _snapshot(objected)
    # when
    with pytest.raises(InvalidTransition) as excinfo:
        services.objection_resolve(objection=objection, actor=registrar, upheld=True, note="成立")
    # then
    assert excinfo.value.message == "This objection has already been resolved."
    assert table_counts() == before_counts
    assert _snapshot(objected) == before
    objection.refresh_from_db()
    assert objection.status == ObjectionStatus.DISMISSED


def test_objection_resolution_needs_a_note(objection, objected, registrar):
    # given
    before_counts = table_counts()
    before = _snapshot(objected)
    # when
    with pytest.raises(ValidationError) as excinfo:
        services.objection_resolve(objection=objection, actor=registrar, upheld=False, note="")
    # then
    assert excinfo.value.message_dict == {"resolution_note": [REASON_REQUIRED]}
    assert table_counts() == before_counts
    assert _snapshot(objected) == before
    assert Objection.objects.get(pk=objection.pk).status == ObjectionStatus.OPEN


# --- registration ---------------------------------------------------------------------------------
def test_register_after_publicity(in_publicity, registrar, holder):
    # given / when
    services.asset_register(asset=in_publicity, actor=registrar, on=AFTER_PUBLICITY)
    # then
    in_publicity.refresh_from_db()
    assert in_publicity.status == AssetStatus.REGISTERED
    parsed = parse_registration_number(in_publicity.registration_number)
    assert str(parsed) == in_publicity.registration_number
    assert (parsed.year, parsed.source_code, parsed.subject_code) == (2026, "01", "9")
    assert holder.uscc[0] == "9"
    assert parsed.sequence >= 1
    assert in_publicity.valid_from == D(2026, 6, 9)
    assert in_publicity.valid_until == D(2029, 6, 8)
    assert in_publicity.version == 1
    versions = list(in_publicity.versions.all())
    assert len(versions) == 1
    v1 = versions[0]
    assert v1.number == 1
    assert v1.reason == VersionReason.REGISTRATION
    assert v1.holder_id == holder.pk
    assert v1.valid_from == D(2026, 6, 9)
    assert v1.valid_until == D(2029, 6, 8)
    assert v1.evidence_sha256 == hashlib.sha256(SAMPLE).hexdigest()
    assert v1.content == in_publicity.content_snapshot()
    assert v1.content["time_span_start"] == "2021-01-01"


def test_registration_numbers_are_not_reused(enterprise_user, registrar):
    # given two assets in publicity
    first = _to_publicity(_create(enterprise_user, name="数据集一"), enterprise_user, registrar)
    second = _to_publicity(_create(enterprise_user, name="数据集二"), enterprise_user, registrar)
    # when
    services.asset_register(asset=first, actor=registrar, on=AFTER_PUBLICITY)
    services.asset_register(asset=second, actor=registrar, on=AFTER_PUBLICITY)
    # then
    first.refresh_from_db()
    second.refresh_from_db()
    one = parse_registration_number(first.registration_number)
    two = parse_registration_number(second.registration_number)
    assert two.sequence == one.sequence + 1


def test_validity_is_capped_by_the_source_licence(enterprise_user, registrar):
    # given a licensed source whose licence ends on 31 December 2027
    asset = _create(
        enterprise_user,
        source="licensed",
        source_proof="数据授权许可合同 2025-001",
        source_licence_start=D(2025, 1, 1),
        source_licence_end=D(2027, 12, 31),
    )
    asset = _to_publicity(asset, enterprise_user, registrar)
    # when
    services.asset_register(asset=asset, actor=registrar, on=AFTER_PUBLICITY)
    # then
    asset.refresh_from_db()
    assert asset.valid_until == D(2027, 12, 31)
    assert asset.versions.get().valid_until == D(2027, 12, 31)
    assert parse_registration_number(asset.registration_number).source_code == "03"


def test_register_on_the_last_day_of_publicity_is_refused(in_publicity, registrar):
    # given
    before_counts = table_counts()
    before = _snapshot(in_publicity)
    # when
    with pytest.raises(TransitionBlocked) as excinfo:
        services.asset_register(asset=in_publicity, actor=registrar, on=PUBLICITY_END)
    # then
    assert excinfo.value.message == (
        "The publicity period runs until 2026-06-08; registration is possible from the next day."
    )
    assert table_counts() == before_counts
    assert _snapshot(in_publicity) == before


def test_register_with_an_open_objection_is_refused(objected, registrar):
    # given
    before_counts = table_counts()
    before = _snapshot(objected)
    # when
    with pytest.raises(InvalidTransition) as excinfo:
        services.asset_register(asset=objected, actor=registrar, on=AFTER_PUBLICITY)
    # then
    assert excinfo.value.message == "Cannot Register: the asset is Objection pending."
    assert table_counts() == before_counts
    assert _snapshot(objected) == before


def test_register_checks_open_objections_even_in_publicity(objected, registrar):
    # given an asset put back in publicity behind the services' back, its objection still open
    DataAsset.objects.filter(pk=objected.pk).update(status=AssetStatus.PUBLICITY)
    before_counts = table_counts()
    before = _snapshot(objected)
    # when
    with pytest.raises(TransitionBlocked) as excinfo:
        services.asset_register(asset=objected, actor=registrar, on=AFTER_PUBLICITY)
    # then
    assert excinfo.value.message == "An open objection must be resolved before registration."
    assert table_counts() == before_counts
    assert _snapshot(objected) == before


def test_register_after_the_source_licence_ended_is_refused(enterprise_user, registrar):
    # given a licence ending on the last day of publicity
    asset = _create(
        enterprise_user,
        source="purchased",
        source_proof="采购合同",
        source_licence_end=PUBLICITY_END,
    )
    asset = _to_publicity(asset, enterprise_user, registrar)
    before_counts = table_counts()
    before = _snapshot(asset)
    # when
    with pytest.raises(TransitionBlocked) as excinfo:
        services.asset_register(asset=asset, actor=registrar, on=AFTER_PUBLICITY)
    # then
    assert excinfo.value.message == (
        "The source licence ended on 2026-06-08; the asset cannot be registered."
    )
    assert table_counts() == before_counts
    assert _snapshot(asset) == before


def test_registration_after_a_dismissed_objection(objection, objected, registrar):
    # given the objection dismissed
    services.objection_resolve(objection=objection, actor=registrar, upheld=False, note="不成立")
    # when
    services.asset_register(asset=objected, actor=registrar, on=AFTER_PUBLICITY)
    # then
    objected.refresh_from_db()
    assert objected.status == AssetStatus.REGISTERED
    assert objected.valid_until == VALID_UNTIL


@pytest.mark.parametrize("fixture", ["submitted", "under_review", "in_publicity", "objected"])
def test_reject(request, registrar, fixture):
    # given
    asset = request.getfixturevalue(fixture)
    # when
    services.asset_reject(asset=asset, actor=registrar, reason="数据来源合法性无法确认")
    # then
    asset.refresh_from_db()
    assert asset.status == AssetStatus.REJECTED
    assert asset.status_reason == "数据来源合法性无法确认"
    event = JournalEvent.objects.filter(asset=asset).last()
    assert event.event_type == journal.ASSET_REJECTED
    old_status = {"in_publicity": "publicity"}.get(fixture, fixture)
    assert event.payload == {"old_status": old_status, "new_status": "rejected"}


# --- after registration ------------------------------------------------------------------------
def test_amend_writes_a_new_version_and_keeps_the_old_one(registered, registrar):
    # given version 1
    v1 = registered.versions.get()
    v1_before = {f.attname: getattr(v1, f.attname) for f in AssetVersion._meta.concrete_fields}
    # when
    services.asset_amend(
        asset=registered,
        actor=registrar,
        changes={"description": "更正后的描述。", "record_count": 1_300_000},
        reason="更正数据规模",
    )
    # then
    registered.refresh_from_db()
    assert registered.status == AssetStatus.REGISTERED
    assert registered.version == 2
    assert registered.description == "更正后的描述。"
    assert registered.record_count == 1_300_000
    assert list(registered.versions.values_list("number", "reason")) == [
        (1, VersionReason.REGISTRATION),
        (2, VersionReason.AMENDMENT),
    ]
    v1.refresh_from_db()
    assert {f.attname: getattr(v1, f.attname) for f in AssetVersion._meta.concrete_fields} == (
        v1_before
    )
    assert v1.content["record_count"] == 1_250_000
    v2 = registered.versions.get(number=2)
    assert v2.content["description"] == "更正后的描述。"
    assert v2.content["record_count"] == 1_300_000
    assert v2.note == "更正数据规模"
    assert v2.valid_until == VALID_UNTIL
    event = JournalEvent.objects.filter(asset=registered, event_type=journal.ASSET_AMENDED).get()
    assert event.payload["changes"] == {
        "description": {
            "old": "天津港集装箱进出港及堆场作业轨迹，经清洗、脱敏后形成的结构化数据集。",
            "new": "更正后的描述。",
        },
        "record_count": {"old": 1_250_000, "new": 1_300_000},
    }


def test_amend_with_a_new_sample_rehashes_the_evidence(registered, registrar):
    # given
    new_sample = b"container_id,time,berth\nTJU009,2026-01-01T08:00,5\n"
    # when
    services.asset_amend(
        asset=registered,
        actor=registrar,
        changes={},
        reason="更换样本",
        new_sample=ContentFile(new_sample, "s2.csv"),
    )
    # then
    registered.refresh_from_db()
    assert registered.evidence_sha256 == hashlib.sha256(new_sample).hexdigest()
    assert registered.versions.get(number=1).evidence_sha256 == hashlib.sha256(SAMPLE).hexdigest()
    assert registered.versions.get(number=2).evidence_sha256 == registered.evidence_sha256


def test_amend_shortening_the_licence_caps_the_validity(registered, registrar):
    # given / when
    services.asset_amend(
        asset=registered,
        actor=registrar,
        changes={"source_licence_end": D(2028, 3, 31)},
        reason="许可期限变更",
    )
    # then
    registered.refresh_from_db()
    assert registered.valid_until == D(2028, 3, 31)
    assert registered.versions.get(number=2).valid_until == D(2028, 3, 31)


def test_amend_with_a_licence_ended_before_registration_is_refused(registered, registrar):
    # given a licence end earlier than the registration day (9 June 2026)
    before_counts = table_counts()
    before = _snapshot(registered)
    # when
    with pytest.raises(ValidationError) as excinfo:
        services.asset_amend(
            asset=registered,
            actor=registrar,
            changes={"source_licence_end": D(2026, 1, 31)},
            reason="许可期限变更",
        )
    # then
    assert set(excinfo.value.message_dict) == {"source_licence_end"}
    assert table_counts() == before_counts
    assert _snapshot(registered) == before


@pytest.mark.parametrize(
    ("changes", "reason", "errors"),
    [
        ({"description": "新描述"}, " ", {"reason": [REASON_REQUIRED]}),
        (
            {"description": complete_application()["description"]},
            "无变化",
            {"changes": ["The amendment changes nothing."]},
        ),
        ({"holder_id": 1}, "改持有人", {"holder_id": ["This field cannot be amended."]}),
        (
            {"valid_until": D(2035, 1, 1)},
            "延长",
            {"valid_until": ["This field cannot be amended."]},
        ),
        (
            {"security_level": "core"},
            "定级变化",
            {"security_level": ["Core data cannot be registered (Data Security Law, art. 21)."]},
        ),
    ],
)
def test_amend_refusals(registered, registrar, changes, reason, errors):
    # given
    before_counts = table_counts()
    before = _snapshot(registered)
    # when
    with pytest.raises(ValidationError) as excinfo:
        services.asset_amend(asset=registered, actor=registrar, changes=changes, reason=reason)
    # then
    assert excinfo.value.message_dict == errors
    assert table_counts() == before_counts
    assert _snapshot(registered) == before


def test_renew_inside_the_window_extends_by_three_years(registered, registrar):
    # given / when: the first day of the renewal window
    services.asset_renew(asset=registered, actor=registrar, on=RENEWAL_OPENS, reason="续展")
    # then
    registered.refresh_from_db()
    assert registered.status == AssetStatus.REGISTERED
    assert registered.valid_from == D(2026, 6, 9)
    assert registered.valid_until == D(2032, 6, 8)
    assert registered.version == 2
    v2 = registered.versions.get(number=2)
    assert v2.reason == VersionReason.RENEWAL
    assert v2.valid_until == D(2032, 6, 8)
    assert registered.versions.get(number=1).valid_until == VALID_UNTIL


def test_renew_before_the_window_is_refused(registered, registrar):
    # given
    before_counts = table_counts()
    before = _snapshot(registered)
    # when
    with pytest.raises(TransitionBlocked) as excinfo:
        services.asset_renew(asset=registered, actor=registrar, on=D(2028, 12, 9))
    # then
    assert excinfo.value.message == "Renewal opens 180 days before expiry, on 2028-12-10."
    assert table_counts() == before_counts
    assert _snapshot(registered) == before


def test_renew_refused_when_the_licence_prevents_any_extension(enterprise_user, registrar):
    # given a registration whose validity already ends with the licence
    asset = _create(
        enterprise_user, source="licensed", source_proof="许可合同", source_licence_end=VALID_UNTIL
    )
    asset = _to_publicity(asset, enterprise_user, registrar)
    services.asset_register(asset=asset, actor=registrar, on=AFTER_PUBLICITY)
    before_counts = table_counts()
    before = _snapshot(asset)
    assert before["valid_until"] == VALID_UNTIL
    # when
    with pytest.raises(TransitionBlocked) as excinfo:
        services.asset_renew(asset=asset, actor=registrar, on=RENEWAL_OPENS)
    # then
    assert excinfo.value.message == (
        "The source licence ends on 2029-06-08: renewal would not extend the validity."
    )
    assert table_counts() == before_counts
    assert _snapshot(asset) == before


def test_renew_is_capped_by_the_licence(enterprise_user, registrar):
    # given a licence running until the end of 2030
    asset = _create(
        enterprise_user,
        source="licensed",
        source_proof="许可合同",
        source_licence_end=D(2030, 12, 31),
    )
    asset = _to_publicity(asset, enterprise_user, registrar)
    services.asset_register(asset=asset, actor=registrar, on=AFTER_PUBLICITY)
    # when
    services.asset_renew(asset=asset, actor=registrar, on=RENEWAL_OPENS)
    # then
    asset.refresh_from_db()
    assert asset.valid_until == D(2030, 12, 31)


def test_transfer_changes_the_holder_and_keeps_the_number(
    registered, registrar, holder, new_holder
):
    # given
    number = registered.registration_number
    # when
    services.asset_transfer(
        asset=registered, actor=registrar, new_holder=new_holder, reason="股权转让协议"
    )
    # then
    registered.refresh_from_db()
    assert registered.holder_id == new_holder.pk
    assert registered.registration_number == number
    assert registered.status == AssetStatus.REGISTERED
    assert registered.version == 2
    assert list(registered.versions.values_list("number", "holder_id", "reason")) == [
        (1, holder.pk, VersionReason.REGISTRATION),
        (2, new_holder.pk, VersionReason.TRANSFER),
    ]
    event = JournalEvent.objects.filter(
        asset=registered, event_type=journal.ASSET_TRANSFERRED
    ).get()
    assert event.payload["old_holder"] == holder.uscc
    assert event.payload["new_holder"] == new_holder.uscc


@pytest.mark.parametrize(
    ("target", "reason", "errors"),
    [
        ("holder", "转让", {"new_holder": ["The asset already belongs to this holder."]}),
        ("registry", "转让", {"new_holder": ["The registration body cannot hold assets here."]}),
        ("new_holder", "", {"reason": [REASON_REQUIRED]}),
    ],
)
def test_transfer_refusals(request, registered, registrar, target, reason, errors):
    # given
    organisation = (
        RegistryOrganisationFactory() if target == "registry" else request.getfixturevalue(target)
    )
    before_counts = table_counts()
    before = _snapshot(registered)
    # when
    with pytest.raises(ValidationError) as excinfo:
        services.asset_transfer(
            asset=registered, actor=registrar, new_holder=organisation, reason=reason
        )
    # then
    assert excinfo.value.message_dict == errors
    assert table_counts() == before_counts
    assert _snapshot(registered) == before


def test_transfer_to_a_holder_with_a_live_asset_of_the_same_name_is_refused(
    registered, registrar, new_holder
):
    # given the new holder already has a draft with the same name
    services.asset_create(actor=registrar, holder=new_holder, data=complete_application())
    before_counts = table_counts()
    before = _snapshot(registered)
    # when
    with pytest.raises(ValidationError) as excinfo:
        services.asset_transfer(
            asset=registered, actor=registrar, new_holder=new_holder, reason="转让"
        )
    # then
    assert excinfo.value.message_dict == {
        "new_holder": ["The new holder already has a live asset with this name."]
    }
    assert table_counts() == before_counts
    assert _snapshot(registered) == before


@pytest.mark.parametrize("actor_fixture", ["enterprise_user", "registrar"])
def test_cancel(request, registered, actor_fixture):
    # given
    actor = request.getfixturevalue(actor_fixture)
    number = registered.registration_number
    # when
    services.asset_cancel(asset=registered, actor=actor, reason="业务终止，申请注销")
    # then
    registered.refresh_from_db()
    assert registered.status == AssetStatus.CANCELLED
    assert registered.status_reason == "业务终止，申请注销"
    assert registered.registration_number == number
    assert registered.versions.count() == 1


@pytest.mark.parametrize(
    ("actor_fixture", "reason", "error"),
    [
        ("other_enterprise_user", "注销", NotPermitted(HOLDER_OR_REGISTRAR)),
        ("bank_user", "注销", NotPermitted(HOLDER_OR_REGISTRAR)),
        (None, "注销", NotPermitted("Sign in to act on this asset.")),
        ("enterprise_user", " ", ValidationError({"reason": [REASON_REQUIRED]})),
    ],
)
def test_cancel_refusals(request, registered, actor_fixture, reason, error):
    # given
    actor = request.getfixturevalue(actor_fixture) if actor_fixture else None
    before_counts = table_counts()
    before = _snapshot(registered)
    # when
    with pytest.raises(type(error)) as excinfo:
        services.asset_cancel(asset=registered, actor=actor, reason=reason)
    # then
    if isinstance(error, ValidationError):
        assert excinfo.value.message_dict == error.message_dict
    else:
        assert excinfo.value.message == error.message
    assert table_counts() == before_counts
    assert _snapshot(registered) == before


def test_revoke(registered, registrar):
    # given / when
    services.asset_revoke(asset=registered, actor=registrar, reason="提交虚假材料")
    # then
    registered.refresh_from_db()
    assert registered.status == AssetStatus.REVOKED
    assert registered.status_reason == "提交虚假材料"


def test_revoke_needs_a_reason(registered, registrar):
    # given
    before_counts = table_counts()
    before = _snapshot(registered)
    # when
    with pytest.raises(ValidationError) as excinfo:
        services.asset_revoke(asset=registered, actor=registrar, reason="")
    # then
    assert excinfo.value.message_dict == {"reason": [REASON_REQUIRED]}
    assert table_counts() == before_counts
    assert _snapshot(registered) == before


def test_reject_needs_a_reason(submitted, registrar):
    # given
    before_counts = table_counts()
    before = _snapshot(submitted)
    # when
    with pytest.raises(ValidationError) as excinfo:
        services.asset_reject(asset=submitted, actor=registrar, reason="  ")
    # then
    assert excinfo.value.message_dict == {"reason": [REASON_REQUIRED]}
    assert table_counts() == before_counts
    assert _snapshot(submitted) == before


def test_expire_after_validity(registered):
    # given / when: the day after the last valid day, by the registry itself
    services.asset_expire(asset=registered, actor=None, on=D(2029, 6, 9))
    # then
    registered.refresh_from_db()
    assert registered.status == AssetStatus.EXPIRED
    event = JournalEvent.objects.filter(asset=registered).last()
    assert event.event_type == journal.ASSET_EXPIRED
    assert event.actor_label == journal.SYSTEM_LABEL
    assert event.payload == {
        "old_status": "registered",
        "new_status": "expired",
        "valid_until": "2029-06-08",
    }


def test_expire_on_the_last_valid_day_is_refused(registered):
    # given
    before_counts = table_counts()
    before = _snapshot(registered)
    # when
    with pytest.raises(TransitionBlocked) as excinfo:
        services.asset_expire(asset=registered, actor=None, on=VALID_UNTIL)
    # then
    assert excinfo.value.message == "The registration is valid until 2029-06-08."
    assert table_counts() == before_counts
    assert _snapshot(registered) == before


# --- housekeeping ---------------------------------------------------------------------------------
def test_registry_tick(enterprise_user, registrar):
    # given: an uncontested publicity that has ended,
    uncontested = _to_publicity(
        _create(enterprise_user, name="无异议数据集"), enterprise_user, registrar
    )
    # one with an open objection,
    contested = _to_publicity(
        _create(enterprise_user, name="有异议数据集"), enterprise_user, registrar
    )
    services.objection_file(
        asset=contested,
        objector_name="张三",
        objector_contact="13800000000",
        reasons="权属争议",
        on=OBJECTION_DAY,
    )
    # one still in publicity (announced 1 June, ends 15 June),
    running = _to_publicity(
        _create(enterprise_user, name="公示中数据集"), enterprise_user, registrar, on=D(2026, 6, 1)
    )
    # and a registration from 2023 that lapsed on 15 March 2026
    lapsed = _to_publicity(
        _create(enterprise_user, name="已到期数据集"), enterprise_user, registrar, on=D(2023, 3, 1)
    )
    services.asset_register(asset=lapsed, actor=registrar, on=D(2023, 3, 16))
    lapsed.refresh_from_db()
    assert lapsed.valid_until == D(2026, 3, 15)
    # when
    report = services.registry_tick(today=AFTER_PUBLICITY)
    # then
    for asset in (uncontested, contested, running, lapsed):
        asset.refresh_from_db()
    assert uncontested.status == AssetStatus.REGISTERED
    assert uncontested.valid_from == AFTER_PUBLICITY
    assert uncontested.valid_until == VALID_UNTIL
    assert contested.status == AssetStatus.OBJECTED
    assert running.status == AssetStatus.PUBLICITY
    assert lapsed.status == AssetStatus.EXPIRED
    assert report.registered == [uncontested.registration_number]
    assert report.expired == [lapsed.registration_number]
    assert report.failed == {}
    registered_event = JournalEvent.objects.get(
        asset=uncontested, event_type=journal.ASSET_REGISTERED
    )
    assert registered_event.actor_id is None
    assert registered_event.actor_label == "system (registry_tick)"


def test_registry_tick_with_nothing_due_writes_nothing(registered):
    # given a registration on its last valid day
    before_counts = table_counts()
    before = _snapshot(registered)
    # when
    report = services.registry_tick(today=VALID_UNTIL)
    # then
    assert (report.registered, report.expired, report.failed) == ([], [], {})
    assert table_counts() == before_counts
    assert _snapshot(registered) == before


# --- illegal transitions ------------------------------------------------------------------------
FORCED_NUMBER = compose_registration_number(
    year=2026, source_code="01", subject_code="9", sequence=99_999_998
)


def _force_status(asset: DataAsset, status: str) -> None:
    """Put the asset in `status` behind the services' back, with what the database requires."""
    fields = {"status": status, "publicity_start": PUBLICITY_DAY, "publicity_end": PUBLICITY_END}
    if status in NUMBERED_STATUSES:
        fields |= {
            "registration_number": FORCED_NUMBER,
            "valid_from": AFTER_PUBLICITY,
            "valid_until": VALID_UNTIL,
            "version": 1,
        }
    DataAsset.objects.filter(pk=asset.pk).update(**fields)


PERFORM = {
    Action.SUBMIT: lambda asset, actor, org: services.asset_submit(asset=asset, actor=actor),
    Action.RETURN: lambda asset, actor, org: services.asset_return_for_correction(
        asset=asset, actor=actor, missing=["补充来源证明"]
    ),
    Action.ACCEPT: lambda asset, actor, org: services.asset_accept_for_review(
        asset=asset, actor=actor
    ),
    Action.START_PUBLICITY: lambda asset, actor, org: services.asset_start_publicity(
        asset=asset, actor=actor, on=PUBLICITY_DAY
    ),
    Action.OBJECT: lambda asset, actor, org: services.objection_file(
        asset=asset,
        actor=actor,
        objector_name="张三",
        objector_contact="13800000000",
        reasons="权属争议",
        on=OBJECTION_DAY,
    ),
    Action.REGISTER: lambda asset, actor, org: services.asset_register(
        asset=asset, actor=actor, on=AFTER_PUBLICITY
    ),
    Action.REJECT: lambda asset, actor, org: services.asset_reject(
        asset=asset, actor=actor, reason="不予登记"
    ),
    Action.AMEND: lambda asset, actor, org: services.asset_amend(
        asset=asset, actor=actor, changes={"description": "新描述"}, reason="更正"
    ),
    Action.RENEW: lambda asset, actor, org: services.asset_renew(
        asset=asset, actor=actor, on=RENEWAL_OPENS
    ),
    Action.TRANSFER: lambda asset, actor, org: services.asset_transfer(
        asset=asset, actor=actor, new_holder=org, reason="转让"
    ),
    Action.CANCEL: lambda asset, actor, org: services.asset_cancel(
        asset=asset, actor=actor, reason="注销"
    ),
    Action.REVOKE: lambda asset, actor, org: services.asset_revoke(
        asset=asset, actor=actor, reason="撤销"
    ),
    Action.EXPIRE: lambda asset, actor, org: services.asset_expire(
        asset=asset, actor=actor, on=D(2029, 6, 9)
    ),
}

ILLEGAL = [
    pytest.param(action, status, id=f"{action.value}-from-{status}")
    for action in PERFORM
    for status in AssetStatus.values
    if status not in allowed_from(action)
]


def test_every_workflow_action_has_a_service():
    # given / when / then: resuming publicity is the effect of a dismissal, tested above
    assert set(PERFORM) | {Action.CLEAR_OBJECTIONS} == set(TRANSITIONS)
    assert len(ILLEGAL) == 13 * 11 - 19  # 19 allowed (action, status) pairs


@pytest.mark.parametrize(("action", "status"), ILLEGAL)
def test_illegal_transition_is_refused(draft, registrar, new_holder, action, status):
    # given an asset in a status the action does not start from
    _force_status(draft, status)
    before_counts = table_counts()
    before = _snapshot(draft)
    # when
    with pytest.raises(InvalidTransition) as excinfo:
        PERFORM[action](draft, registrar, new_holder)
    # then
    assert excinfo.value.message == (
        f"Cannot {ACTION_LABELS[action]}: the asset is {AssetStatus(status).label}."
    )
    assert excinfo.value.code == "invalid_transition"
    assert table_counts() == before_counts
    assert _snapshot(draft) == before


def test_illegal_transition_message_example(registered, registrar):
    # given / when
    with pytest.raises(InvalidTransition) as excinfo:
        services.asset_submit(asset=registered, actor=registrar)
    # then
    assert excinfo.value.message == "Cannot Submit: the asset is Registered."


# --- roles ----------------------------------------------------------------------------------------
REGISTRAR_STEPS = [
    ("submitted", Action.RETURN),
    ("submitted", Action.ACCEPT),
    ("under_review", Action.START_PUBLICITY),
    ("submitted", Action.REJECT),
    ("in_publicity", Action.REGISTER),
    ("registered", Action.AMEND),
    ("registered", Action.RENEW),
    ("registered", Action.TRANSFER),
    ("registered", Action.REVOKE),
    ("registered", Action.EXPIRE),
]


@pytest.mark.parametrize("actor_fixture", ["enterprise_user", "bank_user", "other_enterprise_user"])
@pytest.mark.parametrize(("fixture", "action"), REGISTRAR_STEPS)
def test_registrar_steps_refused_to_other_roles(
    request, new_holder, actor_fixture, fixture, action
):
    # given an asset where the step would be allowed for a registrar
    asset = request.getfixturevalue(fixture)
    actor = request.getfixturevalue(actor_fixture)
    before_counts = table_counts()
    before = _snapshot(asset)
    # when
    with pytest.raises(NotPermitted) as excinfo:
        PERFORM[action](asset, actor, new_holder)
    # then
    assert excinfo.value.message == REGISTRAR_ONLY
    assert table_counts() == before_counts
    assert _snapshot(asset) == before


@pytest.mark.parametrize(
    ("fixture", "action"),
    [step for step in REGISTRAR_STEPS if step[1] not in (Action.REGISTER, Action.EXPIRE)],
)
def test_registrar_steps_refused_without_actor(request, new_holder, fixture, action):
    # given: only registration and expiry are done by the registry itself
    asset = request.getfixturevalue(fixture)
    before_counts = table_counts()
    before = _snapshot(asset)
    # when
    with pytest.raises(NotPermitted) as excinfo:
        PERFORM[action](asset, None, new_holder)
    # then
    assert excinfo.value.message == REGISTRAR_ONLY
    assert table_counts() == before_counts
    assert _snapshot(asset) == before


@pytest.mark.parametrize("actor_fixture", ["enterprise_user", "bank_user"])
def test_objection_resolution_refused_to_other_roles(request, objection, objected, actor_fixture):
    # given
    actor = request.getfixturevalue(actor_fixture)
    before_counts = table_counts()
    before = _snapshot(objected)
    # when
    with pytest.raises(NotPermitted) as excinfo:
        services.objection_resolve(objection=objection, actor=actor, upheld=False, note="不成立")
    # then
    assert excinfo.value.message == REGISTRAR_ONLY
    assert table_counts() == before_counts
    assert _snapshot(objected) == before
    assert Objection.objects.get(pk=objection.pk).status == ObjectionStatus.OPEN


@pytest.mark.parametrize("actor_fixture", ["other_enterprise_user", "bank_user"])
def test_other_organisations_cannot_edit_or_submit_someone_elses_draft(
    request, draft, actor_fixture
):
    # given
    actor = request.getfixturevalue(actor_fixture)
    before_counts = table_counts()
    before = _snapshot(draft)
    # when
    with pytest.raises(NotPermitted) as edit:
        services.asset_update_draft(asset=draft, actor=actor, data={"description": "篡改"})
    with pytest.raises(NotPermitted) as submit:
        services.asset_submit(asset=draft, actor=actor)
    # then
    assert edit.value.message == HOLDER_OR_REGISTRAR
    assert submit.value.message == HOLDER_OR_REGISTRAR
    assert table_counts() == before_counts
    assert _snapshot(draft) == before


@pytest.mark.parametrize("actor_fixture", ["other_enterprise_user", "bank_user"])
def test_other_organisations_cannot_apply_for_the_holder(request, holder, actor_fixture):
    # given
    actor = request.getfixturevalue(actor_fixture)
    before = table_counts()
    # when
    with pytest.raises(NotPermitted) as excinfo:
        services.asset_create(actor=actor, holder=holder, data=complete_application())
    # then
    assert excinfo.value.message == HOLDER_OR_REGISTRAR
    assert table_counts() == before


def test_inactive_holder_user_is_refused(draft, enterprise_user):
    # given
    enterprise_user.is_active = False
    enterprise_user.save(update_fields=["is_active"])
    before_counts = table_counts()
    before = _snapshot(draft)
    # when
    with pytest.raises(NotPermitted) as excinfo:
        services.asset_submit(asset=draft, actor=enterprise_user)
    # then
    assert excinfo.value.message == HOLDER_OR_REGISTRAR
    assert table_counts() == before_counts
    assert _snapshot(draft) == before


def test_registrar_may_edit_a_returned_application(submitted, registrar):
    # given
    services.asset_return_for_correction(asset=submitted, actor=registrar, missing=["补充说明"])
    # when
    services.asset_update_draft(asset=submitted, actor=registrar, data={"description": "代为补正"})
    # then
    submitted.refresh_from_db()
    assert submitted.description == "代为补正"
    assert submitted.status == AssetStatus.RETURNED


@pytest.mark.parametrize("fixture", ["submitted", "in_publicity", "registered"])
def test_editing_beyond_draft_is_refused(request, enterprise_user, fixture):
    # given
    asset = request.getfixturevalue(fixture)
    before_counts = table_counts()
    before = _snapshot(asset)
    label = AssetStatus(before["status"]).label
    # when
    with pytest.raises(InvalidTransition) as excinfo:
        services.asset_update_draft(
            asset=asset, actor=enterprise_user, data={"description": "直接修改已登记内容"}
        )
    # then
    assert excinfo.value.message == (
        f"Only a draft or a returned application can be edited; this asset is {label}."
    )
    assert table_counts() == before_counts
    assert _snapshot(asset) == before


def test_editing_a_registered_asset_message(registered, enterprise_user):
    # given / when
    with pytest.raises(InvalidTransition) as excinfo:
        services.asset_update_draft(
            asset=registered, actor=enterprise_user, data={"description": "直接修改"}
        )
    # then
    assert excinfo.value.message == (
        "Only a draft or a returned application can be edited; this asset is Registered."
    )
