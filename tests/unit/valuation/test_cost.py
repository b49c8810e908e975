"""Cost approach: 2023 guidance P = C × δ, expert guideline 9, and the Deyang local formula."""

from decimal import Decimal as D

import pytest

from valuation.methods.cost import (
    DeltaSource,
    DeyangInput,
    ExpertGuideline9Input,
    Guidance2023Input,
    ReplacementCost,
    calculate_deyang,
    calculate_expert_guideline_9,
    calculate_guidance_2023,
)
from valuation.methods.errors import CalculationInputError

FRACTION_CLOSED = "must be a fraction from 0 to 1 (e.g. 0.05 for 5%)"
FRACTION_BELOW_ONE = "must be a fraction from 0 up to but not including 1 (e.g. 0.25 for 25%)"

# The body of domain.md section 9: C = 20 + 120 + 30 + 10 + 5 = 185.
SECTION_9_COSTS = ReplacementCost(
    preliminary=D("20"), direct=D("120"), indirect=D("30"), opportunity=D("10"), taxes=D("5")
)


# --- 2023 guidance ------------------------------------------------------------------------------


def test_guidance_2023_with_a_given_delta():
    # given C = 185 and δ = 0.88
    inp = Guidance2023Input(costs=SECTION_9_COSTS, delta=D("0.88"))
    # when
    result = calculate_guidance_2023(inp)
    # then P = 185 × 0.88 = 162.80
    assert result.value == D("162.80")
    assert str(result.value) == "162.80"
    assert result.replacement_cost == D("185")
    assert result.delta == D("0.88")
    assert result.delta_source is DeltaSource.GIVEN
    assert result.formula == (
        "P = C × δ; C = preliminary + direct + indirect + opportunity + taxes = "
        "20 + 120 + 30 + 10 + 5 = 185; δ given = 0.88; P = 185 × 0.88 = 162.8 → 162.80"
    )


def test_guidance_2023_with_delta_from_the_quality_score():
    # given C = 185 and a quality score of 88
    inp = Guidance2023Input(costs=SECTION_9_COSTS, quality_score=D("88"))
    # when
    result = calculate_guidance_2023(inp)
    # then δ = 88 / 100 = 0.88 and P = 185 × 0.88 = 162.80
    assert result.delta == D("0.88")
    assert result.delta_source is DeltaSource.QUALITY_SCORE
    assert result.quality_score == D("88")
    assert result.value == D("162.80")


def test_guidance_2023_with_delta_from_the_remaining_life():
    # given C = 185, 2 years used and 6 remaining
    inp = Guidance2023Input(costs=SECTION_9_COSTS, used_years=D("2"), remaining_years=D("6"))
    # when
    result = calculate_guidance_2023(inp)
    # then δ = 6 / (2 + 6) = 0.75 and P = 185 × 0.75 = 138.75
    assert result.delta == D("0.75")
    assert result.delta_source is DeltaSource.REMAINING_LIFE
    assert (result.used_years, result.remaining_years) == (D("2"), D("6"))
    assert result.value == D("138.75")


def test_guidance_2023_keeps_intermediates_unrounded():
    # given C = 100 and δ = 2 / (1 + 2), a repeating fraction
    inp = Guidance2023Input(
        costs=ReplacementCost(direct=D("100")), used_years=D("1"), remaining_years=D("2")
    )
    # when
    result = calculate_guidance_2023(inp)
    # then δ = 0.666…67 to 34 significant digits, P = 66.666…67 unrounded and 66.67 rounded
    assert result.delta == D("0.6666666666666666666666666666666667")
    assert result.unrounded_value == D("66.66666666666666666666666666666667")
    assert result.value == D("66.67")


def test_guidance_2023_missing_cost_components_count_as_zero():
    # given only the direct cost
    inp = Guidance2023Input(costs=ReplacementCost(direct=D("50.50")), delta=D("1"))
    # when
    result = calculate_guidance_2023(inp)
    # then C = 0 + 50.50 + 0 + 0 + 0
    assert result.replacement_cost == D("50.50")
    assert result.value == D("50.50")


@pytest.mark.parametrize("component", ["preliminary", "direct", "indirect", "opportunity", "taxes"])
def test_guidance_2023_refuses_a_negative_cost(component):
    # given one negative cost component
    inp = Guidance2023Input(costs=ReplacementCost(**{component: D("-1")}), delta=D("0.5"))
    # when
    with pytest.raises(CalculationInputError) as refused:
        calculate_guidance_2023(inp)
    # then
    assert (refused.value.field, refused.value.message) == (
        f"costs.{component}",
        "must not be negative",
    )


@pytest.mark.parametrize(
    ("kwargs", "field", "message"),
    [
        ({}, "delta", "give delta, quality_score, or used_years with remaining_years"),
        (
            {"delta": D("0.5"), "quality_score": D("50")},
            "delta",
            "give only one of delta, quality_score, or used_years with remaining_years",
        ),
        (
            {"quality_score": D("50"), "used_years": D("1"), "remaining_years": D("1")},
            "delta",
            "give only one of delta, quality_score, or used_years with remaining_years",
        ),
        ({"delta": D("1.2")}, "delta", "must be between 0 and 1"),
        ({"delta": D("-0.1")}, "delta", "must be between 0 and 1"),
        ({"quality_score": D("100.5")}, "quality_score", "must be between 0 and 100"),
        ({"quality_score": D("-1")}, "quality_score", "must be between 0 and 100"),
        ({"used_years": D("2")}, "remaining_years", "is required together with used_years"),
        ({"remaining_years": D("2")}, "used_years", "is required together with remaining_years"),
        (
            {"used_years": D("0"), "remaining_years": D("0")},
            "remaining_years",
            "used_years + remaining_years must be greater than 0",
        ),
        ({"used_years": D("-1"), "remaining_years": D("3")}, "used_years", "must not be negative"),
        (
            {"used_years": D("1"), "remaining_years": D("-3")},
            "remaining_years",
            "must not be negative",
        ),
    ],
)
def test_guidance_2023_refuses_a_bad_delta_source(kwargs, field, message):
    # given
    inp = Guidance2023Input(costs=SECTION_9_COSTS, **kwargs)
    # when
    with pytest.raises(CalculationInputError) as refused:
        calculate_guidance_2023(inp)
    # then
    assert (refused.value.field, refused.value.message) == (field, message)


def test_guidance_2023_refuses_a_float_smuggled_into_the_input():
    # given a float in a dataclass typed Decimal
    inp = Guidance2023Input(costs=ReplacementCost(direct=0.1), delta=D("1"))  # type: ignore[arg-type]
    # when
    with pytest.raises(CalculationInputError) as refused:
        calculate_guidance_2023(inp)
    # then
    assert refused.value.field == "costs.direct"
    assert refused.value.message.startswith("must be given as a decimal string")


# --- Expert guideline 9 -------------------------------------------------------------------------


def test_expert_guideline_9_section_9_example():
    # given the domain.md section 9 body
    inp = ExpertGuideline9Input(
        total_cost=D("100"),
        return_rate=D("0.10"),
        alpha=D("0.9"),
        beta=D("1.0"),
        monopoly=D("0.10"),
        risk=D("0.05"),
    )
    # when
    result = calculate_expert_guideline_9(inp)
    # then U = 0.9 × 1.0 × 1.10 × 0.95 = 0.9405; TC × (1 + R) = 110;
    # P = 110 × 0.9405 = 103.455 → 103.46 (rounding U first to 0.94 would give 103.40)
    assert result.u == D("0.9405")
    assert result.cost_with_return == D("110")
    assert result.unrounded_value == D("103.455")
    assert result.value == D("103.46")


def test_expert_guideline_9_monopoly_and_risk_default_to_zero():
    # given TC = 200, R = 0.2, α = 0.5, β = 0.8
    inp = ExpertGuideline9Input(
        total_cost=D("200"), return_rate=D("0.2"), alpha=D("0.5"), beta=D("0.8")
    )
    # when
    result = calculate_expert_guideline_9(inp)
    # then U = 0.5 × 0.8 × 1 × 1 = 0.4; P = 200 × 1.2 × 0.4 = 96.00
    assert result.u == D("0.4")
    assert result.value == D("96.00")


@pytest.mark.parametrize(
    ("field", "bad", "message"),
    [
        ("total_cost", D("-0.01"), "must not be negative"),
        ("return_rate", D("1"), FRACTION_BELOW_ONE),
        ("return_rate", D("-0.1"), FRACTION_BELOW_ONE),
        ("alpha", D("1.5"), FRACTION_CLOSED),
        ("beta", D("-0.1"), FRACTION_CLOSED),
        ("monopoly", D("2"), FRACTION_CLOSED),
        ("risk", D("1"), FRACTION_BELOW_ONE),
    ],
)
def test_expert_guideline_9_refuses_out_of_range_inputs(field, bad, message):
    # given valid inputs with one field out of range
    values = {
        "total_cost": D("100"),
        "return_rate": D("0.1"),
        "alpha": D("0.9"),
        "beta": D("1"),
        "monopoly": D("0.1"),
        "risk": D("0.05"),
    }
    inp = ExpertGuideline9Input(**{**values, field: bad})
    # when
    with pytest.raises(CalculationInputError) as refused:
        calculate_expert_guideline_9(inp)
    # then
    assert (refused.value.field, refused.value.message) == (field, message)


# --- Deyang -------------------------------------------------------------------------------------


def test_deyang_published_worked_example():
    # given the published case a = 26.0, d = 20.0, e = 6.0, b = 1.4, c = 1.4 (万元)
    inp = DeyangInput(a=D("26.0"), d=D("20.0"), e=D("6.0"), b=D("1.4"), c=D("1.4"))
    # when
    result = calculate_deyang(inp)
    # then (d + e)·b = 26.0 × 1.4 = 36.4; a·c = 26.0 × 1.4 = 36.4;
    # A = 26.0 + 36.4 + 36.4 = 98.8
    assert result.processing_term == D("36.4")
    assert result.scenario_term == D("36.4")
    assert result.value == D("98.8")
    assert str(result.value) == "98.80"


@pytest.mark.parametrize("field", ["a", "d", "e", "b", "c"])
def test_deyang_refuses_negative_inputs(field):
    # given
    values = {"a": D("26"), "d": D("20"), "e": D("6"), "b": D("1.4"), "c": D("1.4")}
    inp = DeyangInput(**{**values, field: D("-1")})
    # when
    with pytest.raises(CalculationInputError) as refused:
        calculate_deyang(inp)
    # then
    assert (refused.value.field, refused.value.message) == (field, "must not be negative")


def test_guidance_2023_refuses_costs_that_are_not_replacement_cost_components():
    # given a plain dict where the components belong
    inp = Guidance2023Input(costs={"direct": D("1")}, delta=D("1"))  # type: ignore[arg-type]
    # when
    with pytest.raises(CalculationInputError) as refused:
        calculate_guidance_2023(inp)
    # then
    assert (refused.value.field, refused.value.message) == (
        "costs",
        "must be the replacement cost components",
    )
