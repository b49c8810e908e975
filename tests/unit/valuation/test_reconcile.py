"""Reconciliation of method values, and the sensitivity range."""

from decimal import Decimal as D

import pytest

from valuation.methods.cost import Guidance2023Input, ReplacementCost, calculate_guidance_2023
from valuation.methods.errors import CalculationInputError
from valuation.methods.income import (
    DirectPeriod,
    IncomeInput,
    IncomeVariant,
    RoyaltyPeriod,
    calculate_income,
)
from valuation.methods.reconcile import (
    DEFAULT_SHIFTS,
    DELTA_SHIFT,
    DISCOUNT_RATE_SHIFT,
    QUALITY_SCORE_SHIFT,
    SHARE_RATE_SHIFT,
    MethodValue,
    ReconcileInput,
    Shift,
    ShiftKind,
    reconcile,
    sensitivity,
)


def test_reconcile_weights_the_method_values():
    # given cost 100, income 200 and market 150 weighted 0.3, 0.5 and 0.2
    inp = ReconcileInput(
        values=(
            MethodValue("cost", D("100"), D("0.3")),
            MethodValue("income", D("200"), D("0.5")),
            MethodValue("market", D("150"), D("0.2")),
        )
    )
    # when
    result = reconcile(inp)
    # then P = 30 + 100 + 30 = 160
    assert [row.contribution for row in result.values] == [D("30"), D("100"), D("30")]
    assert result.value == D("160.00")
    assert result.formula == (
        "P = Σ w_m × P_m = 0.3 × 100 (cost) + 0.5 × 200 (income) + 0.2 × 150 (market) = 160 "
        "→ 160.00"
    )


def test_reconcile_rounds_only_the_result():
    # given 0.01 and 0.02 weighted equally
    inp = ReconcileInput(
        values=(
            MethodValue("cost", D("0.01"), D("0.5")),
            MethodValue("market", D("0.02"), D("0.5")),
        )
    )
    # when
    result = reconcile(inp)
    # then 0.005 + 0.01 = 0.015 → 0.02
    assert result.unrounded_value == D("0.015")
    assert result.value == D("0.02")


@pytest.mark.parametrize(
    ("values", "field", "message"),
    [
        ((), "values", "must not be empty"),
        (
            (MethodValue("cost", D("1"), D("0.5")), MethodValue("income", D("1"), D("0.4"))),
            "values",
            "weights must sum to 1 (they sum to 0.9)",
        ),
        (
            (MethodValue("cost", D("1"), D("1.5")), MethodValue("income", D("1"), D("-0.5"))),
            "values.1.weight",
            "must not be negative",
        ),
        ((MethodValue("cost", D("-1"), D("1")),), "values.0.value", "must not be negative"),
        (
            (MethodValue("cost", D("1"), D("0.5")), MethodValue("cost", D("2"), D("0.5"))),
            "values.1.method",
            "is listed twice",
        ),
        ((MethodValue(" ", D("1"), D("1")),), "values.0.method", "must be a non-empty label"),
    ],
)
def test_reconcile_refuses_bad_inputs(values, field, message):
    # given
    inp = ReconcileInput(values=values)
    # when
    with pytest.raises(CalculationInputError) as refused:
        reconcile(inp)
    # then
    assert (refused.value.field, refused.value.message) == (field, message)


ROYALTY = IncomeInput(
    IncomeVariant.ROYALTY,
    discount_rate=D("0.25"),
    periods=tuple(RoyaltyPeriod(revenue=D("1000"), share_rate=D("0.1")) for _ in range(3)),
)


def test_sensitivity_to_the_discount_rate():
    # given F = 100 for 3 years at i = 0.25 (base 80 + 64 + 51.2 = 195.20), shifted ± 0.01
    # when
    result = sensitivity(calculate_income, ROYALTY, "discount_rate", DISCOUNT_RATE_SHIFT)
    # then i = 0.24: 100/1.24 + 100/1.5376 + 100/1.906624
    #             = 80.6451613 + 65.0364204 + 52.4487261 = 198.1303078 → 198.13
    #      i = 0.26: 100/1.26 + 100/1.5876 + 100/2.000376
    #             = 79.3650794 + 62.9881582 + 49.9906018 = 192.3438394 → 192.34
    assert result.base_value == D("195.20")
    assert (result.down.inputs, result.down.value) == ((D("0.24"),), D("198.13"))
    assert (result.up.inputs, result.up.value) == ((D("0.26"),), D("192.34"))
    assert (result.low, result.high) == (D("192.34"), D("198.13"))
    assert result.formula == (
        "discount_rate ± 0.01: down 0.24 → 198.13; base 0.25 → 195.20; up 0.26 → 192.34; "
        "range 192.34 to 198.13"
    )


def test_sensitivity_to_every_periods_share_rate_relative():
    # given the same forecast, share rate 0.1 shifted ± 10 % of itself in every period
    # when
    result = sensitivity(calculate_income, ROYALTY, "periods.*.share_rate", SHARE_RATE_SHIFT)
    # then K = 0.09 gives F = 90: 195.2 × 0.9 = 175.68; K = 0.11 gives F = 110: 195.2 × 1.1 = 214.72
    assert result.down.inputs == (D("0.09"),) * 3
    assert result.up.inputs == (D("0.11"),) * 3
    assert (result.low, result.base_value, result.high) == (D("175.68"), D("195.20"), D("214.72"))


def test_sensitivity_to_the_quality_score_is_clamped_at_100():
    # given C = 200 and a quality score of 98, shifted ± 5 points
    inp = Guidance2023Input(costs=ReplacementCost(direct=D("200")), quality_score=D("98"))
    # when
    result = sensitivity(calculate_guidance_2023, inp, "quality_score", QUALITY_SCORE_SHIFT)
    # then 93 → 200 × 0.93 = 186; 98 → 196; 103 is clamped to 100 → 200
    assert (result.down.inputs, result.up.inputs) == ((D("93"),), (D("100"),))
    assert (result.low, result.base_value, result.high) == (D("186.00"), D("196.00"), D("200.00"))


def test_sensitivity_to_delta():
    # given C = 185 and δ = 0.88, shifted ± 0.05
    inp = Guidance2023Input(
        costs=ReplacementCost(preliminary=D("20"), direct=D("165")), delta=D("0.88")
    )
    # when
    result = sensitivity(calculate_guidance_2023, inp, "delta", DELTA_SHIFT)
    # then 185 × 0.83 = 153.55; 185 × 0.88 = 162.80; 185 × 0.93 = 172.05
    assert (result.low, result.base_value, result.high) == (D("153.55"), D("162.80"), D("172.05"))


def test_sensitivity_reports_a_refused_side_and_leaves_it_out_of_the_range():
    # given 100 in one year at i = 0.005: down would be −0.005
    inp = IncomeInput(
        IncomeVariant.DIRECT, discount_rate=D("0.005"), periods=(DirectPeriod(income=D("100")),)
    )
    # when
    result = sensitivity(calculate_income, inp, "discount_rate", DISCOUNT_RATE_SHIFT)
    # then base 100 / 1.005 = 99.5024876 → 99.50; up 100 / 1.015 = 98.5221675 → 98.52
    assert result.down.value is None
    assert result.down.error == (
        "discount_rate: must be a fraction strictly between 0 and 1 (e.g. 0.12 for 12%)"
    )
    assert (result.low, result.high) == (D("98.52"), D("99.50"))


def test_sensitivity_leaves_the_base_input_unchanged():
    # given an input and an equal copy built separately
    periods = [RoyaltyPeriod(revenue=D("1000"), share_rate=D("0.1")) for _ in range(3)]
    base = IncomeInput(IncomeVariant.ROYALTY, discount_rate=D("0.25"), periods=periods)
    copy = IncomeInput(IncomeVariant.ROYALTY, discount_rate=D("0.25"), periods=list(periods))
    # when
    sensitivity(calculate_income, base, "periods.*.share_rate", SHARE_RATE_SHIFT)
    # then
    assert base == copy
    assert [period.share_rate for period in base.periods] == [D("0.1")] * 3


def test_a_custom_relative_shift():
    # given F = 100 for 3 years at i = 0.25 and a ± 20 % relative shift of the rate
    shift = Shift(D("0.2"), ShiftKind.RELATIVE)
    # when
    result = sensitivity(calculate_income, ROYALTY, "discount_rate", shift)
    # then 0.25 × 0.8 = 0.2 and 0.25 × 1.2 = 0.3
    assert (result.down.inputs, result.up.inputs) == ((D("0.2"),), (D("0.3"),))
    assert "± 20% (relative)" in result.formula


@pytest.mark.parametrize(
    ("inp", "path", "message"),
    [
        (ROYALTY, "periods.*.royalty", "is not an input of this calculation"),
        (ROYALTY, "periods.7.share_rate", "is not an input of this calculation"),
        (ROYALTY, "", "is not an input of this calculation"),
        (
            Guidance2023Input(costs=ReplacementCost(direct=D("1")), quality_score=D("50")),
            "delta",
            "is not set in this calculation",
        ),
    ],
)
def test_sensitivity_refuses_a_path_that_is_not_an_input(inp, path, message):
    # given
    calculate = calculate_income if isinstance(inp, IncomeInput) else calculate_guidance_2023
    # when
    with pytest.raises(CalculationInputError) as refused:
        sensitivity(calculate, inp, path, DELTA_SHIFT)
    # then
    assert (refused.value.field, refused.value.message) == (path, message)


def test_default_shifts_cover_the_key_inputs():
    # given the presets of the brief: ± 1 pp, ± 10 % relative, ± 5 points, ± 0.05
    expected = {
        "discount_rate": Shift(D("0.01")),
        "periods.*.share_rate": Shift(D("0.10"), ShiftKind.RELATIVE, D(0), D(1)),
        "quality_score": Shift(D("5"), ShiftKind.ABSOLUTE, D(0), D(100)),
        "delta": Shift(D("0.05"), ShiftKind.ABSOLUTE, D(0), D(1)),
    }
    # when
    shifts = dict(DEFAULT_SHIFTS)
    # then
    assert shifts == expected


def test_reconcile_refuses_an_item_that_is_not_a_method_value():
    # given
    inp = ReconcileInput(values=(("cost", D("1"), D("1")),))
    # when
    with pytest.raises(CalculationInputError) as refused:
        reconcile(inp)
    # then
    assert (refused.value.field, refused.value.message) == (
        "values.0",
        "must be a method value (method, value, weight)",
    )


def test_sensitivity_refuses_a_non_positive_shift():
    # given
    shift = Shift(D("0"))
    # when
    with pytest.raises(CalculationInputError) as refused:
        sensitivity(calculate_income, ROYALTY, "discount_rate", shift)
    # then
    assert (refused.value.field, refused.value.message) == (
        "shift.amount",
        "must be greater than 0",
    )
