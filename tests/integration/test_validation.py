"""Bad input through the services (domain.md sections 1-2): a ValidationError naming the field,
and nothing written."""

import datetime as dt
import hashlib

import pytest
from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.utils import translation

from registry import services
from registry.choices import AssetStatus
from registry.exceptions import IncompleteApplication, NotPermitted
from registry.models import DataAsset, Organisation
from tests.factories import OrganisationFactory, complete_application, table_counts

VALID_USCC = "91110000600037341L"


@pytest.fixture(autouse=True)
def _english():
    # Messages are asserted verbatim; Django's own messages would otherwise be in Chinese.
    with translation.override("en"):
        yield


def _snapshot(asset: DataAsset) -> dict:
    asset.refresh_from_db()
    return {
        field.attname: getattr(asset, field.attname)
        for field in DataAsset._meta.concrete_fields
        if field.attname != "updated_at"
    }


# --- organisations ------------------------------------------------------------------------------
def test_organisation_create_with_valid_uscc(registrar):
    # given
    before = table_counts()
    # when
    org = services.organisation_create(
        actor=registrar, name="天津港数据服务二公司", uscc=VALID_USCC, kind="enterprise"
    )
    # then
    assert Organisation.objects.get(pk=org.pk).uscc == VALID_USCC
    assert table_counts() == {
        **before,
        "organisations": before["organisations"] + 1,
        "journal": before["journal"] + 1,
    }


@pytest.mark.parametrize(
    ("uscc", "messages"),
    [
        # one serial digit mistyped (…373… → …374…)
        (
            "91110000600047341L",
            ["统一社会信用代码校验位错误 (USCC check character does not match)"],
        ),
        # the check character mistyped
        (
            "91110000600037341K",
            ["统一社会信用代码校验位错误 (USCC check character does not match)"],
        ),
        # 17 characters
        (
            "91110000600037341",
            ["统一社会信用代码应为18位 (USCC must have 18 characters)"],
        ),
        # 19 characters: too long for the column as well
        (
            "91110000600037341LX",
            [
                "统一社会信用代码应为18位 (USCC must have 18 characters)",
                "Ensure this value has at most 18 characters (it has 19).",
            ],
        ),
        # a letter in the region code
        ("91A10000600037341L", ["统一社会信用代码格式错误 (USCC format is invalid)"]),
        # valid but not canonical
        (
            "91110000600037341l",
            ["Write the USCC in upper case without spaces: 91110000600037341L"],
        ),
    ],
)
def test_organisation_create_refuses_an_invalid_uscc(registrar, uscc, messages):
    # given
    before = table_counts()
    # when
    with pytest.raises(ValidationError) as excinfo:
        services.organisation_create(
            actor=registrar, name="天津港数据服务二公司", uscc=uscc, kind="enterprise"
        )
    # then
    assert excinfo.value.message_dict == {"uscc": messages}
    codes = [error.code for error in excinfo.value.error_dict["uscc"]]
    assert codes == ["invalid_uscc"] + (["max_length"] if len(uscc) > 18 else [])
    assert table_counts() == before


def test_organisation_create_refuses_a_duplicate_uscc(registrar, holder):
    # given
    before = table_counts()
    # when
    with pytest.raises(ValidationError) as excinfo:
        services.organisation_create(
            actor=registrar, name="另一家公司", uscc=holder.uscc, kind="enterprise"
        )
    # then
    assert excinfo.value.message_dict == {
        "uscc": ["Organisation with this Unified social credit code already exists."]
    }
    assert table_counts() == before


def test_organisation_create_refuses_an_unknown_kind(registrar):
    # given
    before = table_counts()
    # when
    with pytest.raises(ValidationError) as excinfo:
        services.organisation_create(
            actor=registrar, name="天津港数据服务二公司", uscc=VALID_USCC, kind="foo"
        )
    # then
    assert excinfo.value.message_dict == {"kind": ["Value 'foo' is not a valid choice."]}
    assert table_counts() == before


def test_organisation_create_needs_a_registrar(enterprise_user):
    # given
    before = table_counts()
    # when
    with pytest.raises(NotPermitted) as excinfo:
        services.organisation_create(
            actor=enterprise_user, name="天津港数据服务二公司", uscc=VALID_USCC, kind="enterprise"
        )
    # then
    assert excinfo.value.message == "Only a registrar may perform this step."
    assert table_counts() == before


# --- application content ------------------------------------------------------------------
@pytest.mark.parametrize(
    ("overrides", "errors"),
    [
        # the field check and the model's own rule both speak
        (
            {"name": ""},
            {"name": ["This field cannot be blank."]},
        ),
        ({"name": "   "}, {"name": ["The asset name cannot be empty."]}),
        (
            {"record_count": -1},
            {"record_count": ["Ensure this value is greater than or equal to 0."]},
        ),
        (
            {"size_bytes": -1},
            {"size_bytes": ["Ensure this value is greater than or equal to 0."]},
        ),
        ({"data_category": "foo"}, {"data_category": ["Value 'foo' is not a valid choice."]}),
        ({"industry": "Z"}, {"industry": ["Value 'Z' is not a valid choice."]}),
        ({"data_format": "xls"}, {"data_format": ["Value 'xls' is not a valid choice."]}),
        ({"source": "stolen"}, {"source": ["Value 'stolen' is not a valid choice."]}),
        (
            {"update_frequency": "hourly"},
            {"update_frequency": ["Value 'hourly' is not a valid choice."]},
        ),
        (
            {
                "source_licence_start": dt.date(2026, 1, 1),
                "source_licence_end": dt.date(2025, 12, 31),
            },
            {"source_licence_end": ["The source licence cannot end before it starts."]},
        ),
        (
            {"time_span_start": dt.date(2025, 1, 1), "time_span_end": dt.date(2024, 12, 31)},
            {"time_span_end": ["The time span cannot end before it starts."]},
        ),
        (
            {"security_level": "core"},
            {"security_level": ["Core data cannot be registered (Data Security Law, art. 21)."]},
        ),
        ({"status": "registered"}, {"status": ["This field cannot be set here."]}),
        (
            {"registration_number": "2026019000000015"},
            {"registration_number": ["This field cannot be set here."]},
        ),
    ],
)
def test_asset_create_refuses_bad_input(holder, enterprise_user, overrides, errors):
    # given
    before = table_counts()
    # when
    with pytest.raises(ValidationError) as excinfo:
        services.asset_create(
            actor=enterprise_user, holder=holder, data=complete_application(**overrides)
        )
    # then
    assert excinfo.value.message_dict == errors
    assert table_counts() == before


def test_asset_create_refuses_a_duplicate_live_name(draft, holder, enterprise_user):
    # given a live draft named like the new one
    before = table_counts()
    # when
    with pytest.raises(ValidationError) as excinfo:
        services.asset_create(actor=enterprise_user, holder=holder, data=complete_application())
    # then
    assert excinfo.value.message_dict == {
        "name": ["This holder already has a live application or registration with this name."]
    }
    assert table_counts() == before


def test_same_name_is_free_for_another_holder_and_after_rejection(
    submitted, holder, enterprise_user, registrar
):
    # given another holder's user, and the holder's application rejected
    other = OrganisationFactory()
    services.asset_reject(asset=submitted, actor=registrar, reason="来源证明不足")
    # when
    mine = services.asset_create(actor=enterprise_user, holder=holder, data=complete_application())
    theirs = services.asset_create(actor=registrar, holder=other, data=complete_application())
    # then
    assert mine.status == AssetStatus.DRAFT
    assert theirs.status == AssetStatus.DRAFT
    assert mine.name == theirs.name == submitted.name


def test_asset_create_refuses_the_registry_as_holder(registrar):
    # given
    registry_org = registrar.organisation
    before = table_counts()
    # when
    with pytest.raises(ValidationError) as excinfo:
        services.asset_create(actor=registrar, holder=registry_org, data=complete_application())
    # then
    assert excinfo.value.message_dict == {
        "holder": ["The registration body cannot hold assets here."]
    }
    assert table_counts() == before


@pytest.mark.parametrize(
    ("data", "errors"),
    [
        ({"size_bytes": -5}, {"size_bytes": ["Ensure this value is greater than or equal to 0."]}),
        ({"name": "  "}, {"name": ["The asset name cannot be empty."]}),
        ({"industry": "Z"}, {"industry": ["Value 'Z' is not a valid choice."]}),
        (
            {"security_level": "core"},
            {"security_level": ["Core data cannot be registered (Data Security Law, art. 21)."]},
        ),
        ({"version": 7}, {"version": ["This field cannot be set here."]}),
    ],
)
def test_asset_update_draft_refuses_bad_input(draft, enterprise_user, data, errors):
    # given
    before_counts = table_counts()
    before = _snapshot(draft)
    # when
    with pytest.raises(ValidationError) as excinfo:
        services.asset_update_draft(asset=draft, actor=enterprise_user, data=data)
    # then
    assert excinfo.value.message_dict == errors
    assert table_counts() == before_counts
    assert _snapshot(draft) == before


def test_update_draft_to_the_name_of_another_live_asset_is_refused(draft, holder, enterprise_user):
    # given a second draft of the same holder
    second = services.asset_create(
        actor=enterprise_user, holder=holder, data=complete_application(name="第二个数据集")
    )
    before_counts = table_counts()
    before = _snapshot(second)
    # when
    with pytest.raises(ValidationError) as excinfo:
        services.asset_update_draft(asset=second, actor=enterprise_user, data={"name": draft.name})
    # then
    assert excinfo.value.message_dict == {
        "name": ["This holder already has a live application or registration with this name."]
    }
    assert table_counts() == before_counts
    assert _snapshot(second) == before


# --- submission ---------------------------------------------------------------------------------
def test_incomplete_submission_lists_every_missing_item_at_once(holder, enterprise_user):
    # given a draft with nothing but a name
    draft = services.asset_create(
        actor=enterprise_user, holder=holder, data={"name": "仅有名称的数据集"}
    )
    before_counts = table_counts()
    before = _snapshot(draft)
    # when
    with pytest.raises(IncompleteApplication) as excinfo:
        services.asset_submit(asset=draft, actor=enterprise_user)
    # then: one notice with all of them
    assert excinfo.value.missing == {
        "description": "required",
        "industry": "required",
        "data_category": "required",
        "data_format": "required",
        "source": "required",
        "record_count": "required",
        "size_bytes": "required",
        "time_span_start": "required",
        "update_frequency": "required",
        "application_scenarios": "required",
        "processing_rules": "required",
        "security_level": "required",
        "rights": "claim at least one right",
        "sample_file": "upload the data sample or manifest to hash",
    }
    assert excinfo.value.code == "incomplete_application"
    assert excinfo.value.message.startswith(
        "申请材料不齐全 (application incomplete): description: "
    )
    assert excinfo.value.message.count("；") == 13
    assert table_counts() == before_counts
    assert _snapshot(draft) == before
    assert before["status"] == AssetStatus.DRAFT
    assert before["application_number"] is None


def test_incomplete_submission_lists_conditional_material(holder, enterprise_user):
    # given a licensed source without proof, personal information without de-identification,
    # an agent without power of attorney and no sample
    agent = OrganisationFactory(name="天津数据代理有限公司")
    data = complete_application(
        source="licensed",
        involves_personal_info=True,
        agent=agent,
        right_holding=False,
        right_processing=False,
    )
    del data["sample_file"]
    draft = services.asset_create(actor=enterprise_user, holder=holder, data=data)
    before_counts = table_counts()
    before = _snapshot(draft)
    # when
    with pytest.raises(IncompleteApplication) as excinfo:
        services.asset_submit(asset=draft, actor=enterprise_user)
    # then
    assert excinfo.value.missing == {
        "rights": "claim at least one right",
        "source_proof": "proof of the source's authorisation is required",
        "deidentification_method": "describe how personal information was de-identified",
        "power_of_attorney": "an agent must provide a power of attorney",
        "sample_file": "upload the data sample or manifest to hash",
    }
    assert table_counts() == before_counts
    assert _snapshot(draft) == before


def test_agent_cannot_be_the_holder(holder, enterprise_user):
    # given
    before = table_counts()
    # when
    with pytest.raises(ValidationError) as excinfo:
        services.asset_create(
            actor=enterprise_user, holder=holder, data=complete_application(agent=holder)
        )
    # then
    assert excinfo.value.message_dict == {
        "agent": ["The agent must be another organisation than the holder."]
    }
    assert table_counts() == before


def test_evidence_hash_is_the_sha256_of_the_sample(holder, enterprise_user):
    # given a draft with a known sample
    sample = b"container_id,time,berth\nTJU001,2025-01-01T08:00,3\nTJU002,2025-01-01T09:00,4\n"
    draft = services.asset_create(
        actor=enterprise_user,
        holder=holder,
        data=complete_application(sample_file=ContentFile(sample, "sample.csv")),
    )
    assert draft.evidence_sha256 == ""
    # when
    submitted = services.asset_submit(asset=draft, actor=enterprise_user)
    # then
    submitted.refresh_from_db()
    assert submitted.evidence_sha256 == hashlib.sha256(sample).hexdigest()
    assert submitted.evidence_sha256 == (
        "4acbd463927e332f630fc7a75cffd9a337336465396b39182dcae861f9e38d55"
    )


def test_sample_larger_than_the_limit_is_refused(settings, holder, enterprise_user):
    # given a limit of 16 bytes and a 17-byte sample
    settings.REGISTRY_SAMPLE_MAX_BYTES = 16
    draft = services.asset_create(
        actor=enterprise_user,
        holder=holder,
        data=complete_application(sample_file=ContentFile(b"x" * 17, "big.csv")),
    )
    before_counts = table_counts()
    before = _snapshot(draft)
    # when
    with pytest.raises(ValidationError) as excinfo:
        services.asset_submit(asset=draft, actor=enterprise_user)
    # then
    assert excinfo.value.message_dict == {"sample_file": ["The sample file exceeds 16 bytes."]}
    assert table_counts() == before_counts
    assert _snapshot(draft) == before
