"""The database itself refuses what the services refuse (style.md "Invariants live in the
database"): writes that bypass the services raise IntegrityError and change nothing."""

import datetime as dt

import pytest
from django.db import IntegrityError, transaction
from django.utils import timezone

from registry.choices import AssetStatus, ObjectionStatus
from registry.identifiers import compose_registration_number
from registry.models import AssetVersion, DataAsset, JournalEvent, Objection
from tests.factories import table_counts

D = dt.date


def _stored(asset: DataAsset) -> dict:
    asset.refresh_from_db()
    return {field.attname: getattr(asset, field.attname) for field in asset._meta.concrete_fields}


def _refused_update(asset: DataAsset, **fields) -> None:
    """Bypass the services; assert the database refuses and nothing changed."""
    before_counts = table_counts()
    before = _stored(asset)
    with pytest.raises(IntegrityError), transaction.atomic():
        DataAsset.objects.filter(pk=asset.pk).update(**fields)
    assert table_counts() == before_counts
    assert _stored(asset) == before


def _refused_create(model, **fields) -> None:
    before = table_counts()
    with pytest.raises(IntegrityError), transaction.atomic():
        model.objects.create(**fields)
    assert table_counts() == before


@pytest.mark.parametrize(
    "fields",
    [
        pytest.param({"status": "approved"}, id="unknown-status"),
        pytest.param({"status": ""}, id="empty-status"),
        pytest.param({"size_bytes": -1}, id="negative-size"),
        pytest.param({"record_count": -1}, id="negative-record-count"),
        pytest.param({"industry": "Z"}, id="unknown-industry"),
        pytest.param({"data_category": "foo"}, id="unknown-category"),
        pytest.param({"security_level": "secret"}, id="unknown-security-level"),
        pytest.param({"name": ""}, id="empty-name"),
        pytest.param({"time_span_end": D(2020, 12, 31)}, id="time-span-reversed"),
        pytest.param(
            {"source_licence_start": D(2026, 1, 1), "source_licence_end": D(2025, 1, 1)},
            id="licence-reversed",
        ),
        pytest.param(
            {"publicity_start": D(2026, 5, 25), "publicity_end": D(2026, 5, 25)},
            id="publicity-not-after-start",
        ),
    ],
)
def test_database_refuses_invalid_draft_values(draft, fields):
    # given a draft  # when / then
    _refused_update(draft, **fields)


def test_database_accepts_the_same_columns_with_valid_values(draft):
    # given / when: the control for the refusals above
    DataAsset.objects.filter(pk=draft.pk).update(
        status=AssetStatus.SUBMITTED, size_bytes=0, industry="I", time_span_end=D(2021, 1, 1)
    )
    # then
    draft.refresh_from_db()
    assert (draft.status, draft.size_bytes, draft.industry) == ("submitted", 0, "I")


@pytest.mark.parametrize(
    "status",
    [AssetStatus.REGISTERED, AssetStatus.CANCELLED, AssetStatus.REVOKED, AssetStatus.EXPIRED],
)
def test_numbered_status_without_number_is_refused(draft, status):
    # given a draft without registration number  # when / then
    _refused_update(draft, status=status, valid_from=D(2026, 6, 9), valid_until=D(2029, 6, 8))


def test_registered_status_without_validity_is_refused(registered):
    # given / when / then
    _refused_update(registered, valid_until=None)


def test_validity_ending_before_it_starts_is_refused(registered):
    # given / when / then
    _refused_update(registered, valid_until=D(2026, 6, 8))


@pytest.mark.parametrize(
    "status",
    [AssetStatus.SUBMITTED, AssetStatus.UNDER_REVIEW, AssetStatus.PUBLICITY],
)
def test_core_data_beyond_draft_is_refused(draft, status):
    # given / when / then
    _refused_update(draft, status=status, security_level="core")


def test_core_data_registered_is_refused(registered):
    # given / when / then
    _refused_update(registered, security_level="core")


def test_core_data_may_sit_in_a_draft(draft):
    # given / when: the database lets a draft hold it; the services refuse to go further
    DataAsset.objects.filter(pk=draft.pk).update(security_level="core")
    # then
    draft.refresh_from_db()
    assert draft.security_level == "core"


def test_two_live_assets_with_the_same_holder_and_name_are_refused(draft, holder):
    # given a live draft  # when / then
    _refused_create(DataAsset, holder=holder, name=draft.name, status=AssetStatus.SUBMITTED)


def test_same_name_allowed_once_the_first_is_no_longer_live(draft, holder):
    # given the first application rejected
    DataAsset.objects.filter(pk=draft.pk).update(status=AssetStatus.REJECTED)
    # when
    second = DataAsset.objects.create(holder=holder, name=draft.name)
    # then
    assert second.status == AssetStatus.DRAFT
    assert DataAsset.objects.filter(holder=holder, name=draft.name).count() == 2


def test_live_name_clash_by_update_is_refused(draft, holder, enterprise_user):
    # given a rejected asset of the same name, revived behind the services' back
    rejected = DataAsset.objects.create(holder=holder, name=draft.name, status="rejected")
    # when / then
    _refused_update(rejected, status=AssetStatus.DRAFT)


def test_duplicate_registration_number_is_refused(registered, holder):
    # given a second asset in publicity
    other = DataAsset.objects.create(
        holder=holder, name="另一个数据集", status=AssetStatus.PUBLICITY
    )
    # when / then
    _refused_update(
        other,
        status=AssetStatus.REGISTERED,
        registration_number=registered.registration_number,
        valid_from=D(2026, 6, 9),
        valid_until=D(2029, 6, 8),
    )


def test_a_fresh_registration_number_is_accepted(registered, holder):
    # given / when: the control for the test above
    other = DataAsset.objects.create(holder=holder, name="另一个数据集", status="publicity")
    number = compose_registration_number(
        year=2026, source_code="01", subject_code="9", sequence=99_999_999
    )
    DataAsset.objects.filter(pk=other.pk).update(
        status=AssetStatus.REGISTERED,
        registration_number=number,
        valid_from=D(2026, 6, 9),
        valid_until=D(2029, 6, 8),
    )
    # then
    other.refresh_from_db()
    assert other.registration_number == number


def test_duplicate_application_number_is_refused(submitted, holder):
    # given / when / then
    _refused_create(
        DataAsset,
        holder=holder,
        name="另一个数据集",
        application_number=submitted.application_number,
    )


def test_journal_event_with_empty_type_is_refused(draft):
    # given / when / then
    _refused_create(
        JournalEvent,
        event_type="",
        actor_label="registrar1",
        subject_type="asset",
        subject_id=str(draft.pk),
        subject_label=draft.name,
        stream=f"asset:{draft.pk}",
        seq=99,
        prev_hash="0" * 64,
        hash="0" * 64,
    )


@pytest.mark.parametrize(
    ("status", "resolved_at"),
    [
        pytest.param(ObjectionStatus.UPHELD, None, id="upheld-without-resolved-at"),
        pytest.param(ObjectionStatus.DISMISSED, None, id="dismissed-without-resolved-at"),
        pytest.param(ObjectionStatus.OPEN, "now", id="open-with-resolved-at"),
        pytest.param("withdrawn", "now", id="unknown-status"),
    ],
)
def test_inconsistent_objection_is_refused(in_publicity, status, resolved_at):
    # given / when / then
    _refused_create(
        Objection,
        asset=in_publicity,
        objector_name="张三",
        objector_contact="13800000000",
        reasons="权属争议",
        status=status,
        resolved_at=timezone.now() if resolved_at == "now" else None,
    )


def test_objection_without_reasons_is_refused(in_publicity):
    # given / when / then
    _refused_create(
        Objection,
        asset=in_publicity,
        objector_name="张三",
        objector_contact="13800000000",
        reasons="",
    )


def test_resolved_objection_with_its_date_is_accepted(in_publicity):
    # given / when: the control for the refusals above
    objection = Objection.objects.create(
        asset=in_publicity,
        objector_name="张三",
        objector_contact="13800000000",
        reasons="权属争议",
        status=ObjectionStatus.UPHELD,
        resolved_at=timezone.now(),
    )
    # then
    assert Objection.objects.get(pk=objection.pk).status == ObjectionStatus.UPHELD


def test_duplicate_version_number_is_refused(registered):
    # given version 1  # when / then
    v1 = registered.versions.get()
    _refused_create(
        AssetVersion,
        asset=registered,
        number=1,
        reason="amendment",
        holder=registered.holder,
        content=v1.content,
        evidence_sha256=v1.evidence_sha256,
        valid_from=v1.valid_from,
        valid_until=v1.valid_until,
    )


def test_asset_version_is_immutable(registered):
    # given
    v1 = registered.versions.get()
    v1.note = "改写"
    # when
    with pytest.raises(
        ValueError, match=r"^Asset versions are immutable: add a new version instead\.$"
    ):
        v1.save()
    # then
    v1.refresh_from_db()
    assert v1.note == ""
