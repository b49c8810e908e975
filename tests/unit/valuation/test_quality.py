"""Quality grading on the GB/T 36344-2018 indicators."""

import re
from decimal import Decimal as D

import pytest

from valuation.methods.errors import CalculationInputError
from valuation.methods.quality import (
    DEFAULT_GRADE_BANDS,
    INDICATORS,
    SUB_INDICATORS,
    GradeBand,
    Indicator,
    Measurement,
    QualityInput,
    grade_for,
    grade_quality,
)


def m(count: str, evaluated: str) -> Measurement:
    return Measurement(count=D(count), evaluated=D(evaluated))


# One measurement per indicator scoring exactly 80, 90, 70, 100, 60 and 50.
ROUND_SCORES = {
    "metadata": m("8", "10"),
    "record_completeness": m("9", "10"),
    "content_correctness": m("7", "10"),
    "same_data_consistency": m("1", "1"),
    "time_ordering": m("6", "10"),
    "available": m("5", "10"),
}
CUSTOM_WEIGHTS = {
    "normativity": D("0.1"),
    "completeness": D("0.2"),
    "accuracy": D("0.3"),
    "consistency": D("0.1"),
    "timeliness": D("0.2"),
    "accessibility": D("0.1"),
}


def test_catalogue_has_six_indicators_and_twenty_sub_indicators():
    # given the GB/T 36344-2018 framework
    # when
    keys = [spec.key for spec in INDICATORS]
    # then
    assert keys == list(Indicator)
    assert [len(spec.sub_indicators) for spec in INDICATORS] == [6, 2, 5, 2, 3, 2]
    assert len(SUB_INDICATORS) == 20
    assert all(re.fullmatch(r"[a-z]+(_[a-z]+)*", key) for key in SUB_INDICATORS)
    assert SUB_INDICATORS["dirty_data_rate"].label_zh == "脏数据出现率"
    assert SUB_INDICATORS["dirty_data_rate"].label_en == "Dirty-data rate"
    assert SUB_INDICATORS["time_ordering"].indicator is Indicator.TIMELINESS
    assert {key for key, sub in SUB_INDICATORS.items() if sub.higher_is_worse} == {
        "duplicate_rate",
        "dirty_data_rate",
    }


def test_equal_weights_average_the_measured_indicators():
    # given measurements across all six indicators
    measurements = {
        "data_standard": m("9", "10"),  # 90
        "metadata": m("8", "10"),  # 80 → normativity (90 + 80) / 2 = 85
        "element_completeness": m("95", "100"),  # 95
        "record_completeness": m("99", "100"),  # 99 → completeness 97
        "content_correctness": m("90", "100"),  # 90
        "duplicate_rate": m("5", "100"),  # 100 × (1 − 0.05) = 95
        "dirty_data_rate": m("20", "100"),  # 100 × (1 − 0.2) = 80 → accuracy 265 / 3 = 88.33…
        "same_data_consistency": m("1", "1"),  # 100 → consistency 100
        "time_ordering": m("3", "4"),  # 75 → timeliness 75
        "accessible": m("1", "1"),  # 100
        "available": m("9", "10"),  # 90 → accessibility 95
    }
    # when
    result = grade_quality(QualityInput(measurements=measurements))
    # then S = (85 + 97 + 88.33… + 100 + 75 + 95) / 6 = 540.33… / 6 = 90.0555… → 90.06, grade A
    scores = {indicator.key: indicator.score for indicator in result.indicators}
    assert scores["normativity"] == D("85")
    assert scores["completeness"] == D("97")
    assert scores["accuracy"] == D("88.33333333333333333333333333333333")
    assert (scores["consistency"], scores["timeliness"], scores["accessibility"]) == (
        D("100"),
        D("75"),
        D("95"),
    )
    accuracy = next(i for i in result.indicators if i.key == "accuracy")
    assert [(s.key, s.ratio, s.score) for s in accuracy.sub_indicators] == [
        ("content_correctness", D("0.9"), D("90")),
        ("duplicate_rate", D("0.05"), D("95")),
        ("dirty_data_rate", D("0.2"), D("80")),
    ]
    assert result.score == D("90.06")
    assert result.grade == "A"
    assert result.equal_weights


def test_custom_weights_give_a_weighted_mean():
    # given indicator scores 80, 90, 70, 100, 60, 50 and AHP weights summing to 1
    inp = QualityInput(measurements=ROUND_SCORES, weights=CUSTOM_WEIGHTS)
    # when
    result = grade_quality(inp)
    # then S = 0.1×80 + 0.2×90 + 0.3×70 + 0.1×100 + 0.2×60 + 0.1×50 = 8+18+21+10+12+5 = 74 → C
    assert result.score == D("74.00")
    assert result.grade == "C"
    assert not result.equal_weights
    assert [i.weight for i in result.indicators] == list(CUSTOM_WEIGHTS.values())


def test_unmeasured_indicators_are_left_out_and_weights_renormalised():
    # given only completeness (90) and accuracy (70) measured, with the custom weights
    measurements = {"record_completeness": m("9", "10"), "content_correctness": m("7", "10")}
    inp = QualityInput(measurements=measurements, weights=CUSTOM_WEIGHTS)
    # when
    result = grade_quality(inp)
    # then S = (0.2 × 90 + 0.3 × 70) / (0.2 + 0.3) = 39 / 0.5 = 78 → C;
    # effective weights 0.2 / 0.5 = 0.4 and 0.3 / 0.5 = 0.6
    assert result.score == D("78.00")
    assert result.grade == "C"
    effective = {i.key: (i.measured, i.effective_weight) for i in result.indicators}
    assert effective == {
        "normativity": (False, D("0")),
        "completeness": (True, D("0.4")),
        "accuracy": (True, D("0.6")),
        "consistency": (False, D("0")),
        "timeliness": (False, D("0")),
        "accessibility": (False, D("0")),
    }


def test_unmeasured_sub_indicators_are_left_out_of_the_indicator_mean():
    # given completeness with one sub-indicator measured and one explicitly None
    measurements = {"element_completeness": m("3", "4"), "record_completeness": None}
    # when
    result = grade_quality(QualityInput(measurements=measurements))
    # then completeness = 75 (not (75 + 0) / 2) and it is the only indicator → 75.00, grade C
    completeness = next(i for i in result.indicators if i.key == "completeness")
    assert completeness.score == D("75")
    assert [s.key for s in completeness.sub_indicators] == ["element_completeness"]
    assert (result.score, result.grade) == (D("75.00"), "C")


def test_bad_when_high_rates_score_one_minus_the_ratio():
    # given no duplicates at all, and all records dirty
    measurements = {"duplicate_rate": m("0", "100"), "dirty_data_rate": m("100", "100")}
    # when
    result = grade_quality(QualityInput(measurements=measurements))
    # then duplicate 100 × (1 − 0) = 100, dirty 100 × (1 − 1) = 0, accuracy 50 → E
    accuracy = next(i for i in result.indicators if i.key == "accuracy")
    assert [s.score for s in accuracy.sub_indicators] == [D("100"), D("0")]
    assert (result.score, result.grade) == (D("50.00"), "E")


@pytest.mark.parametrize(
    ("score", "grade"),
    [
        ("100", "A"),
        ("90", "A"),
        ("89.99", "B"),
        ("80", "B"),
        ("79.99", "C"),
        ("70", "C"),
        ("60", "D"),
        ("59.99", "E"),
        ("0", "E"),
    ],
)
def test_default_grade_bands(score, grade):
    # given the default bands A ≥ 90, B ≥ 80, C ≥ 70, D ≥ 60, E < 60
    # when / then
    assert grade_for(D(score), DEFAULT_GRADE_BANDS) == grade


def test_the_grade_is_read_from_the_rounded_score():
    # given 17 999 of 20 000 elements complete: 89.995
    inp = QualityInput(measurements={"element_completeness": m("17999", "20000")})
    # when
    result = grade_quality(inp)
    # then 89.995 rounds half-up to 90.00, which is grade A
    assert result.unrounded_score == D("89.995")
    assert (result.score, result.grade) == (D("90.00"), "A")


def test_means_of_repeating_decimals_do_not_drift():
    # given two completeness-style measurements of 4 / 6 each (66.666… twice)
    measurements = {"metadata": m("4", "6"), "record_completeness": m("4", "6")}
    # when
    result = grade_quality(QualityInput(measurements=measurements))
    # then the mean of 200/3 and 200/3 is 200/3 itself, not a digit below it (a 34-digit Decimal
    # sum would give 133.3333333333333333333333333333333 / 2 = 66.66666666666666666666666666666665)
    assert result.unrounded_score == D("66.66666666666666666666666666666667")
    assert (result.score, result.grade) == (D("66.67"), "D")


def test_custom_grade_bands():
    # given three bands and indicator scores giving 74 with the custom weights
    bands = (GradeBand("优", D("85")), GradeBand("良", D("70")), GradeBand("差", D("0")))
    inp = QualityInput(measurements=ROUND_SCORES, weights=CUSTOM_WEIGHTS, grade_bands=bands)
    # when
    result = grade_quality(inp)
    # then 74 ≥ 70
    assert result.grade == "良"


@pytest.mark.parametrize(
    ("measurements", "field", "message"),
    [
        ({}, "measurements", "at least one sub-indicator must be measured"),
        ({"metadata": None}, "measurements", "at least one sub-indicator must be measured"),
        (
            {"completeness_rate": m("1", "1")},
            "measurements.completeness_rate",
            "is not a GB/T 36344 sub-indicator",
        ),
        ({"metadata": m("11", "10")}, "measurements.metadata.count", "must not exceed evaluated"),
        ({"metadata": m("-1", "10")}, "measurements.metadata.count", "must not be negative"),
        ({"metadata": m("0", "0")}, "measurements.metadata.evaluated", "must be greater than 0"),
        (
            {"metadata": (1, 2)},
            "measurements.metadata",
            "must be a measurement (count, evaluated)",
        ),
    ],
)
def test_quality_refuses_bad_measurements(measurements, field, message):
    # given
    inp = QualityInput(measurements=measurements)
    # when
    with pytest.raises(CalculationInputError) as refused:
        grade_quality(inp)
    # then
    assert (refused.value.field, refused.value.message) == (field, message)


@pytest.mark.parametrize(
    ("weights", "field", "message"),
    [
        ({**CUSTOM_WEIGHTS, "accuracy": D("0.2")}, "weights", "must sum to 1 (they sum to 0.9)"),
        ({**CUSTOM_WEIGHTS, "accuracy": D("0.4")}, "weights", "must sum to 1 (they sum to 1.1)"),
        (
            {k: v for k, v in CUSTOM_WEIGHTS.items() if k != "accessibility"},
            "weights.accessibility",
            "a weight is required for every indicator",
        ),
        (
            {**CUSTOM_WEIGHTS, "usability": D("0")},
            "weights.usability",
            "is not a GB/T 36344 indicator",
        ),
        (
            {**CUSTOM_WEIGHTS, "accuracy": D("-0.1"), "completeness": D("0.6")},
            "weights.accuracy",
            "must not be negative",
        ),
    ],
)
def test_quality_refuses_bad_weights(weights, field, message):
    # given
    inp = QualityInput(measurements=ROUND_SCORES, weights=weights)
    # when
    with pytest.raises(CalculationInputError) as refused:
        grade_quality(inp)
    # then
    assert (refused.value.field, refused.value.message) == (field, message)


def test_quality_refuses_when_every_measured_indicator_has_weight_zero():
    # given only timeliness measured, weighted 0
    weights = {**CUSTOM_WEIGHTS, "timeliness": D("0"), "completeness": D("0.4")}
    inp = QualityInput(measurements={"time_ordering": m("1", "2")}, weights=weights)
    # when
    with pytest.raises(CalculationInputError) as refused:
        grade_quality(inp)
    # then
    assert (refused.value.field, refused.value.message) == (
        "weights",
        "the measured indicators all have weight 0",
    )


@pytest.mark.parametrize(
    ("bands", "field", "message"),
    [
        ((), "grade_bands", "must not be empty"),
        (
            (GradeBand("A", D("80")), GradeBand("B", D("90")), GradeBand("C", D("0"))),
            "grade_bands.1.min_score",
            "must be lower than the minimum of the band above",
        ),
        (
            (GradeBand("A", D("90")), GradeBand("B", D("60"))),
            "grade_bands.1.min_score",
            "the lowest band must start at 0",
        ),
        (
            (GradeBand("A", D("90")), GradeBand("A", D("0"))),
            "grade_bands.1.grade",
            "is used by another band",
        ),
        (
            (GradeBand("A", D("120")), GradeBand("B", D("0"))),
            "grade_bands.0.min_score",
            "must be between 0 and 100",
        ),
        ((GradeBand("", D("0")),), "grade_bands.0.grade", "must be a non-empty label"),
    ],
)
def test_quality_refuses_bad_grade_bands(bands, field, message):
    # given
    inp = QualityInput(measurements=ROUND_SCORES, grade_bands=bands)
    # when
    with pytest.raises(CalculationInputError) as refused:
        grade_quality(inp)
    # then
    assert (refused.value.field, refused.value.message) == (field, message)


@pytest.mark.parametrize(
    ("changes", "field", "message"),
    [
        (
            {"measurements": [("metadata", m("1", "1"))]},
            "measurements",
            "must be a mapping of sub-indicator to counts",
        ),
        (
            {"weights": [D("1")] + [D("0")] * 5},
            "weights",
            "must be a mapping of indicator to weight",
        ),
        ({"grade_bands": "ABCDE"}, "grade_bands", "must be a list"),
        (
            {"grade_bands": (("A", D("0")),)},
            "grade_bands.0",
            "must be a grade band (grade, min_score)",
        ),
    ],
)
def test_quality_refuses_malformed_containers(changes, field, message):
    # given
    inp = QualityInput(**{"measurements": ROUND_SCORES, **changes})
    # when
    with pytest.raises(CalculationInputError) as refused:
        grade_quality(inp)
    # then
    assert (refused.value.field, refused.value.message) == (field, message)


def test_grade_for_refuses_bands_that_do_not_reach_zero():
    # given bands that leave scores below 10 without a grade
    bands = (GradeBand("A", D("10")),)
    # when
    with pytest.raises(CalculationInputError) as refused:
        grade_for(D("5"), bands)
    # then
    assert (refused.value.field, refused.value.message) == (
        "grade_bands",
        "the lowest band must start at 0",
    )
