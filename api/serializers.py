"""Input and output serializers of the bank API. Amounts are decimal strings (CNY), dates ISO 8601,
times ISO 8601 with the registry's offset (+08:00).

Inputs check shapes (types, presence) and the strict grammar of `api.fields`: amounts are
decimal strings of at most 2 decimals, 0.01 to 9,999,999,999,999.99, with nothing else in them
(no exponent, spaces, separators or non-ASCII digits); dates are `YYYY-MM-DD` between 1949-10-01
and 2100-12-31. The rules (terms ordered, who may file) stay in `pledges.services`, whose errors
reach the client through `api.errors`.
"""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import PolymorphicProxySerializer, extend_schema_field
from rest_framework import serializers

from api.fields import StrictDateField, positive_money
from pledges.models import PledgeStatus
from records.pledge_status import MALFORMED, NOT_FOUND, BulkLookup, PledgeStatusSnapshot
from records.register import current_certificate

MAX_BULK_NUMBERS = 1000
MAX_REASON = 2000
SECURED_AMOUNT_MESSAGES = {"minimum": _("The secured amount must be greater than 0.")}


class StrictCharField(serializers.CharField):
    """A string and nothing else: DRF's CharField would turn 12 or 1.5 into "12" or "1.5"."""

    default_error_messages = {"not_a_string": _("Must be a string.")}

    def to_internal_value(self, data):
        if not isinstance(data, str):
            self.fail("not_a_string")
        return super().to_internal_value(data)


class ErrorSerializer(serializers.Serializer):
    """The error envelope of every endpoint (api.errors)."""

    code = serializers.CharField(help_text="Stable, for programs: invalid_input, not_found, ...")
    message = serializers.CharField(help_text="For people.")
    errors = serializers.DictField(
        child=serializers.ListField(child=serializers.CharField()),
        required=False,
        help_text="Field (dotted path) → messages; with invalid_input only.",
    )


# --- output: shared parts --------------------------------------------------------------------
class OrganisationRefSerializer(serializers.Serializer):
    name = serializers.CharField()
    uscc = serializers.CharField()


class AssetRefSerializer(serializers.Serializer):
    registration_number = serializers.CharField()
    name = serializers.CharField()


class CertificateRefSerializer(serializers.Serializer):
    number = serializers.CharField()
    status = serializers.CharField(
        help_text="valid, superseded or revoked; expired when the registration has lapsed."
    )


class AppraisalRefSerializer(serializers.Serializer):
    value_amount = serializers.DecimalField(max_digits=20, decimal_places=2)
    currency = serializers.CharField()
    base_date = serializers.DateField()


# --- assets ----------------------------------------------------------------------------------
class AssetListItemSerializer(serializers.Serializer):
    registration_number = serializers.CharField()
    name = serializers.CharField()
    holder = OrganisationRefSerializer()
    status = serializers.CharField()
    data_category = serializers.CharField()
    registered_at = serializers.DateTimeField()
    valid_until = serializers.DateField()
    quality_grade = serializers.CharField(allow_null=True)
    encumbered = serializers.BooleanField(help_text="Whether any pledge on the asset is active.")


class AssetDetailSerializer(serializers.Serializer):
    """The public record: what the registration certificate prints (domain.md section 5), the
    description, the current status and whether the asset is encumbered."""

    registration_number = serializers.CharField()
    name = serializers.CharField()
    holder = OrganisationRefSerializer()
    status = serializers.CharField()
    description = serializers.CharField()
    industry = serializers.CharField()
    data_category = serializers.CharField()
    data_format = serializers.CharField()
    source = serializers.CharField()
    record_count = serializers.IntegerField(allow_null=True)
    size_bytes = serializers.IntegerField(allow_null=True)
    update_frequency = serializers.CharField()
    time_span_start = serializers.DateField(allow_null=True)
    time_span_end = serializers.DateField(allow_null=True)
    rights = serializers.SerializerMethodField(
        help_text="right_holding, right_processing, right_operation: the rights registered."
    )
    registered_at = serializers.DateTimeField()
    valid_from = serializers.DateField()
    valid_until = serializers.DateField()
    version = serializers.IntegerField()
    evidence_sha256 = serializers.CharField()
    quality_grade = serializers.CharField(allow_null=True)
    quality_score = serializers.DecimalField(max_digits=5, decimal_places=2, allow_null=True)
    encumbered = serializers.BooleanField()
    certificate = serializers.SerializerMethodField()

    def get_rights(self, asset) -> list[str]:
        return [
            field
            for field in ("right_holding", "right_processing", "right_operation")
            if getattr(asset, field)
        ]

    @extend_schema_field(CertificateRefSerializer(allow_null=True))
    def get_certificate(self, asset):
        ref = current_certificate(asset)
        return CertificateRefSerializer(ref).data if ref else None


# --- pledge status ---------------------------------------------------------------------------
class RankedPledgeSerializer(serializers.Serializer):
    number = serializers.CharField()
    pledgee = OrganisationRefSerializer()
    secured_amount = serializers.DecimalField(max_digits=20, decimal_places=2)
    currency = serializers.CharField()
    debt_start = serializers.DateField()
    debt_end = serializers.DateField()
    registration_end = serializers.DateField()
    registered_at = serializers.DateTimeField()
    rank = serializers.IntegerField(help_text="1 = first in priority (earliest filing).")


class PledgeStatusItemSerializer(serializers.Serializer):
    """Documents the pledge status (and serializes a `PledgeStatusSnapshot`); the API answers
    through `pledge_status_item`, which builds the same JSON without DRF's field machinery."""

    registration_number = serializers.CharField()
    status = serializers.CharField()
    valid_from = serializers.DateField()
    valid_until = serializers.DateField()
    encumbered = serializers.BooleanField()
    pledges = RankedPledgeSerializer(many=True, help_text="Every active pledge, in priority order.")
    certificate = CertificateRefSerializer(
        allow_null=True, help_text="The current registration certificate."
    )
    quality_grade = serializers.CharField(allow_null=True)
    appraisal = AppraisalRefSerializer(
        allow_null=True,
        help_text="The latest final appraisal; only for the holder, registrars and banks with an "
        "active pledge on the asset (null otherwise, or when the asset has none).",
    )


class PledgeStatusSerializer(PledgeStatusItemSerializer):
    as_of = serializers.DateTimeField(help_text="When the register was read.")


class BulkPledgeStatusInputSerializer(serializers.Serializer):
    registration_numbers = serializers.ListField(
        child=StrictCharField(allow_blank=True, trim_whitespace=False),
        allow_empty=False,
        max_length=MAX_BULK_NUMBERS,
    )


class BulkFoundSerializer(PledgeStatusItemSerializer):
    found = serializers.BooleanField(help_text="true")


class BulkLookupErrorSerializer(serializers.Serializer):
    code = serializers.ChoiceField(choices=[MALFORMED, NOT_FOUND])
    message = serializers.CharField()


class BulkNotFoundSerializer(serializers.Serializer):
    registration_number = serializers.CharField(help_text="As sent.")
    found = serializers.BooleanField(help_text="false")
    error = BulkLookupErrorSerializer()


@extend_schema_field(
    PolymorphicProxySerializer(
        component_name="BulkPledgeStatusResult",
        serializers=[BulkFoundSerializer, BulkNotFoundSerializer],
        resource_type_field_name=None,
        many=True,
    )
)
class BulkResultsField(serializers.ListField):
    """Results already shaped by the view (found: a pledge status; else an error)."""

    child = serializers.DictField()


# --- pledge status without DRF's field machinery ---------------------------------------------
# The pledge status is the API's hot path (banks poll it, up to 1,000 numbers at once): it is
# shaped by hand below, key for key as `PledgeStatusSerializer` / `PledgeStatusItemSerializer`
# would shape it, each value formatted by the same DRF field (decimal strings with 2 places, ISO
# dates, times in the registry's zone). tests/api/test_bank_api.py pins the JSON.
_AMOUNT = serializers.DecimalField(max_digits=20, decimal_places=2)
_DATE = serializers.DateField()
_MOMENT = serializers.DateTimeField()


def _amount(value) -> str:
    return _AMOUNT.to_representation(value)


def _date(value) -> str | None:
    return None if value is None else _DATE.to_representation(value)


def _moment(value) -> str | None:
    return None if value is None else _MOMENT.to_representation(value)


def pledge_status_item(snapshot: PledgeStatusSnapshot) -> dict:
    """`PledgeStatusItemSerializer(snapshot).data`, built directly."""
    certificate = snapshot.certificate
    appraisal = snapshot.appraisal
    return {
        "registration_number": snapshot.registration_number,
        "status": snapshot.status,
        "valid_from": _date(snapshot.valid_from),
        "valid_until": _date(snapshot.valid_until),
        "encumbered": bool(snapshot.pledges),
        "pledges": [
            {
                "number": pledge.number,
                "pledgee": {"name": pledge.pledgee.name, "uscc": pledge.pledgee.uscc},
                "secured_amount": _amount(pledge.secured_amount),
                "currency": pledge.currency,
                "debt_start": _date(pledge.debt_start),
                "debt_end": _date(pledge.debt_end),
                "registration_end": _date(pledge.registration_end),
                "registered_at": _moment(pledge.registered_at),
                "rank": pledge.rank,
            }
            for pledge in snapshot.pledges
        ],
        "certificate": None
        if certificate is None
        else {"number": certificate.number, "status": certificate.status},
        "quality_grade": snapshot.quality_grade,
        "appraisal": None
        if appraisal is None
        else {
            "value_amount": _amount(appraisal.value_amount),
            "currency": appraisal.currency,
            "base_date": _date(appraisal.base_date),
        },
    }


def pledge_status_data(snapshot: PledgeStatusSnapshot) -> dict:
    """`PledgeStatusSerializer(snapshot).data`, built directly."""
    return {**pledge_status_item(snapshot), "as_of": _moment(snapshot.as_of)}


def bulk_results(lookups: list[BulkLookup]) -> list[dict]:
    """Each lookup as its result object; each distinct asset is shaped once."""
    shaped: dict[int, dict] = {}
    results = []
    for lookup in lookups:
        snapshot = lookup.snapshot
        if snapshot is None:
            error = {"code": lookup.error_code, "message": lookup.error_message}
            results.append({"registration_number": lookup.sent, "found": False, "error": error})
            continue
        item = shaped.get(id(snapshot))
        if item is None:
            item = shaped[id(snapshot)] = pledge_status_item(snapshot)
        results.append({"registration_number": item["registration_number"], "found": True, **item})
    return results


def bulk_pledge_status_data(as_of, lookups: list[BulkLookup]) -> dict:
    """`BulkPledgeStatusSerializer({"as_of": as_of, "results": bulk_results(lookups)}).data`."""
    return {"as_of": _moment(as_of), "results": bulk_results(lookups)}


class BulkPledgeStatusSerializer(serializers.Serializer):
    as_of = serializers.DateTimeField(help_text="When the register was read.")
    results = BulkResultsField(help_text="One per number sent, in the same order.")


# --- pledges ---------------------------------------------------------------------------------
class PledgeSerializer(serializers.Serializer):
    number = serializers.CharField()
    asset = AssetRefSerializer()
    pledgor = OrganisationRefSerializer()
    pledgee = OrganisationRefSerializer()
    secured_amount = serializers.DecimalField(max_digits=20, decimal_places=2)
    currency = serializers.CharField()
    debt_start = serializers.DateField()
    debt_end = serializers.DateField()
    registration_end = serializers.DateField()
    status = serializers.CharField()
    registered_at = serializers.DateTimeField()
    status_changed_at = serializers.DateTimeField(allow_null=True)
    rank = serializers.IntegerField(
        allow_null=True, help_text="Place among the asset's active pledges; null once closed."
    )


class PledgeSearchInputSerializer(serializers.Serializer):
    pledgor = serializers.CharField(
        max_length=200, help_text="The pledgor's USCC or name (exact and similar matches)."
    )
    status = serializers.ChoiceField(choices=PledgeStatus.choices, required=False)


class PledgeSearchSerializer(serializers.Serializer):
    query = serializers.CharField()
    as_of = serializers.DateTimeField()
    exact = PledgeSerializer(many=True, help_text="The pledgor's USCC or name equals the query.")
    similar = PledgeSerializer(
        many=True,
        help_text="The pledgor's name resembles the query (ignoring case, spaces, parenthesised "
        "parts and legal-form suffixes such as 有限公司), without being equal.",
    )


class PledgeRegisterInputSerializer(serializers.Serializer):
    registration_number = StrictCharField(max_length=40)
    secured_amount = positive_money(error_messages=SECURED_AMOUNT_MESSAGES)
    debt_start = StrictDateField()
    debt_end = StrictDateField()
    registration_end = StrictDateField(
        required=False, help_text="Defaults to the end of the debt term."
    )
    pledgee_uscc = StrictCharField(
        max_length=40,
        required=False,
        help_text="Registrars name the pledgee bank; a bank's key files for its own organisation.",
    )


class PledgeReleaseInputSerializer(serializers.Serializer):
    reason = StrictCharField(max_length=MAX_REASON, required=False, allow_blank=True, default="")


class PledgeAmendInputSerializer(serializers.Serializer):
    reason = StrictCharField(max_length=MAX_REASON, allow_blank=True)
    secured_amount = positive_money(required=False, error_messages=SECURED_AMOUNT_MESSAGES)
    debt_start = StrictDateField(required=False)
    debt_end = StrictDateField(required=False)


class PledgeExtendInputSerializer(serializers.Serializer):
    registration_end = StrictDateField()
    debt_end = StrictDateField(required=False)
    reason = StrictCharField(max_length=MAX_REASON, required=False, allow_blank=True, default="")
