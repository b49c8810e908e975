"""Serializers that only document: the request and response bodies of the views that parse and
answer by hand (the valuation and quality previews, whose bodies `valuation.methods` parses; the
search certificates). Nothing validates through them; `api.schema` and the views' `extend_schema`
use them, and tests/api/test_schemathesis.py checks the answers against them."""

from __future__ import annotations

from drf_spectacular.utils import PolymorphicProxySerializer, extend_schema_field
from rest_framework import serializers

from api.serializers import MAX_BULK_NUMBERS
from valuation.methods import cost, market
from valuation.methods import income as income_method
from valuation.methods.quality import SUB_INDICATORS

# A decimal string as `valuation.methods.money.to_decimal` reads it (integers are accepted too,
# JSON floats are refused); the calculators decide the ranges and answer 400 naming the field.
DECIMAL_PATTERN = r"^-?[0-9]+(\.[0-9]+)?$"


@extend_schema_field(
    {"oneOf": [{"type": "string", "pattern": DECIMAL_PATTERN}, {"type": "integer"}]}
)
class DecimalInputField(serializers.Field):
    """A decimal string, or a JSON integer."""


@extend_schema_field(
    {
        "oneOf": [{"type": "string", "pattern": DECIMAL_PATTERN}, {"type": "integer"}],
        "nullable": True,
    }
)
class OptionalDecimalInputField(serializers.Field):
    """A decimal string, a JSON integer, or null (the default)."""


def _decimal(**kwargs) -> serializers.Field:
    if kwargs.get("required", True):
        return DecimalInputField(**kwargs)
    return OptionalDecimalInputField(allow_null=True, **kwargs)


def _literal(*values: str, **kwargs) -> serializers.RegexField:
    """One of `values`, as a pattern: several bodies share the property names `method` and
    `variant` with different values, which drf-spectacular's enum naming reports as collisions."""
    return serializers.RegexField(f"^({'|'.join(values)})$", **kwargs)


class ClosedBodySerializer(serializers.Serializer):
    """A body whose parser refuses unknown keys: `additionalProperties: false` (api.schema)."""


# --- valuation preview: requests ---------------------------------------------------------------
class CostsSerializer(ClosedBodySerializer):
    """Replacement cost components (missing ones count 0)."""

    def get_fields(self):
        return {name: _decimal(required=False) for name in cost.COST_COMPONENTS}


class CostGuidance2023Serializer(ClosedBodySerializer):
    method = _literal("cost")
    variant = _literal("guidance_2023")
    costs = CostsSerializer()
    delta = _decimal(required=False, help_text="δ, the value adjustment factor (0 to 1).")
    quality_score = _decimal(required=False, help_text="δ from the quality score (0 to 100).")
    used_years = _decimal(required=False)
    remaining_years = _decimal(required=False)


class CostExpertGuideline9Serializer(ClosedBodySerializer):
    method = _literal("cost")
    variant = _literal("expert_guideline_9")
    total_cost = _decimal()
    return_rate = _decimal()
    alpha = _decimal()
    beta = _decimal()
    monopoly = _decimal(required=False)
    risk = _decimal(required=False)


class CostDeyangSerializer(ClosedBodySerializer):
    method = _literal("cost")
    variant = _literal("deyang")
    a = _decimal()
    d = _decimal()
    e = _decimal()
    b = _decimal()
    c = _decimal()


class IncomePeriodSerializer(ClosedBodySerializer):
    """One period; the fields of the variant: `income` (direct), `revenue` + `share_rate`
    (royalty), `total_benefit` + `contributory_charges` (excess), `with_asset` +
    `without_asset` (incremental)."""

    income = _decimal(required=False)
    revenue = _decimal(required=False)
    share_rate = _decimal(required=False)
    total_benefit = _decimal(required=False)
    contributory_charges = serializers.ListField(
        child=_decimal(), required=False, max_length=income_method.MAX_CONTRIBUTORY_CHARGES
    )
    with_asset = _decimal(required=False)
    without_asset = _decimal(required=False)


class IncomeSerializer(ClosedBodySerializer):
    method = _literal("income")
    variant = _literal(*(v.value for v in income_method.IncomeVariant))
    discount_rate = _decimal()
    tax_rate = _decimal(required=False)
    mid_year = serializers.BooleanField(required=False)
    periods = IncomePeriodSerializer(many=True, max_length=income_method.MAX_PERIODS)


class ComparableSerializer(ClosedBodySerializer):
    def get_fields(self):
        fields = {"price": _decimal()}
        fields.update({name: _decimal(required=False) for name in market.FACTORS})
        fields["weight"] = _decimal(required=False)
        return fields


class MarketSerializer(ClosedBodySerializer):
    method = _literal("market")
    comparables = ComparableSerializer(many=True, max_length=market.MAX_COMPARABLES)


METHOD_BODIES = [
    CostGuidance2023Serializer,
    CostExpertGuideline9Serializer,
    CostDeyangSerializer,
    IncomeSerializer,
    MarketSerializer,
]


class ReconciledComponentSerializer(ClosedBodySerializer):
    weight = _decimal()
    body = PolymorphicProxySerializer(
        component_name="ValuationMethodBody",
        serializers=METHOD_BODIES,
        resource_type_field_name=None,
    )


class ReconciledSerializer(ClosedBodySerializer):
    method = _literal("reconciled")
    components = ReconciledComponentSerializer(many=True, min_length=1, max_length=5)


VALUATION_PREVIEW_REQUEST = PolymorphicProxySerializer(
    component_name="ValuationPreviewRequest",
    serializers=[*METHOD_BODIES, ReconciledSerializer],
    resource_type_field_name=None,
)


class ValuationPreviewResponseSerializer(serializers.Serializer):
    method = serializers.CharField()
    variant = serializers.CharField(allow_null=True)
    value = serializers.CharField(help_text="Decimal string, CNY.")
    low = serializers.CharField()
    high = serializers.CharField()
    currency = serializers.CharField()
    formula = serializers.CharField()
    breakdown = serializers.JSONField(help_text="The calculator's intermediate values.")
    sensitivity = serializers.ListField(child=serializers.DictField())


# --- quality preview ---------------------------------------------------------------------------
class MeasurementSerializer(ClosedBodySerializer):
    count = _decimal(help_text="Whole number of elements meeting the requirement.")
    evaluated = _decimal(help_text="Whole number of elements evaluated.")


class MeasurementsSerializer(serializers.Serializer):
    def get_fields(self):
        return {
            name: MeasurementSerializer(required=False, allow_null=True) for name in SUB_INDICATORS
        }


class QualityPreviewRequestSerializer(ClosedBodySerializer):
    measurements = MeasurementsSerializer()
    weights = serializers.DictField(
        child=_decimal(),
        required=False,
        allow_null=True,
        help_text="All six indicators' weights, summing to 1 (equal weights otherwise).",
    )


class QualityPreviewResponseSerializer(serializers.Serializer):
    score = serializers.CharField()
    grade = serializers.CharField()
    equal_weights = serializers.BooleanField()
    indicators = serializers.JSONField()
    formula = serializers.CharField()


# --- search certificates -----------------------------------------------------------------------
class SearchByNumbersSerializer(serializers.Serializer):
    registration_numbers = serializers.ListField(
        child=serializers.CharField(allow_blank=True, trim_whitespace=False),
        min_length=1,
        max_length=MAX_BULK_NUMBERS,
        help_text="As for the bulk pledge status: one result per number sent.",
    )


class SearchByPledgorSerializer(serializers.Serializer):
    pledgor = serializers.CharField(max_length=200, help_text="USCC or name, as for the search.")


SEARCH_CERTIFICATE_REQUEST = PolymorphicProxySerializer(
    component_name="SearchCertificateRequest",
    serializers=[SearchByNumbersSerializer, SearchByPledgorSerializer],
    resource_type_field_name=None,
)


class SearchCertificateSerializer(serializers.Serializer):
    number = serializers.CharField()
    searched_at = serializers.DateTimeField()
    query = serializers.JSONField(help_text="The search as sent: registration_numbers or pledgor.")
    results = serializers.JSONField(
        help_text="What the register showed: a bulk pledge status or a pledge search."
    )
    results_sha256 = serializers.CharField()
    verification_url = serializers.URLField()
    document_ready = serializers.BooleanField()
    document_sha256 = serializers.CharField(allow_null=True)
