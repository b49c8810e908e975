"""Quality-grading request bodies (valuation.methods.quality_payload): counts in, score and grade
out; every refusal names the body field. No database."""

from decimal import Decimal as D

import pytest

from valuation.methods.errors import CalculationInputError
from valuation.methods.quality_payload import grade_body, parse_quality_body, quality_response

WHOLE_NUMBER = "must be a whole number of elements, 0 or more"
FLOAT_MESSAGE = (
    'must be given as a decimal string such as "0.1", not as a binary float '
    "(floats carry rounding noise)"
)
BODY = {
    "measurements": {
        "element_completeness": {"count": "980", "evaluated": "1000"},
        "record_completeness": {"count": "950", "evaluated": "1000"},
        "content_correctness": {"count": "900", "evaluated": "1000"},
        "duplicate_rate": {"count": "20", "evaluated": "1000"},
    }
}
SIX_WEIGHTS = {
    "normativity": "0.1",
    "completeness": "0.3",
    "accuracy": "0.3",
    "consistency": "0.1",
    "timeliness": "0.1",
    "accessibility": "0.1",
}


def measured(**items):
    return {"measurements": items}


def test_grade_body_scores_counted_measurements_by_hand():
    # when
    inp, result = grade_body(BODY)
    # then
    # completeness: (98 + 95) / 2 = 96.5
    # accuracy: content 90, duplicate rate 100 × (1 − 20/1000) = 98 → (90 + 98) / 2 = 94
    # total over the two measured indicators, equal weights: (96.5 + 94) / 2 = 95.25 → A
    assert (result.score, result.grade) == (D("95.25"), "A")
    assert inp.measurements["element_completeness"].count == D(980)
    assert inp.weights is None
    scores = {ind.key.value: ind.score for ind in result.indicators}
    assert scores == {
        "normativity": None,
        "completeness": D("96.5"),
        "accuracy": D("94"),
        "consistency": None,
        "timeliness": None,
        "accessibility": None,
    }


def test_custom_weights_are_applied():
    # when
    _inp, result = grade_body({**BODY, "weights": SIX_WEIGHTS})
    # then: only completeness (0.3) and accuracy (0.3) are measured:
    # (0.3 × 96.5 + 0.3 × 94) / 0.6 = (28.95 + 28.2) / 0.6 = 95.25
    assert (result.score, result.grade) == (D("95.25"), "A")
    assert result.equal_weights is False


def test_quality_response_shape():
    # given
    _inp, result = grade_body(BODY)
    # when
    response = quality_response(result)
    # then
    assert set(response) == {"score", "grade", "equal_weights", "indicators", "formula"}
    assert (response["score"], response["grade"], response["equal_weights"]) == (
        "95.25",
        "A",
        True,
    )
    assert [indicator["key"] for indicator in response["indicators"]] == [
        "normativity",
        "completeness",
        "accuracy",
        "consistency",
        "timeliness",
        "accessibility",
    ]


def test_null_measurement_is_unmeasured():
    # given
    body = measured(
        element_completeness={"count": "80", "evaluated": "100"}, record_completeness=None
    )
    # when
    _inp, result = grade_body(body)
    # then: completeness is 80 from its one measured sub-indicator → B
    assert (result.score, result.grade) == (D("80.00"), "B")


def test_whole_numbers_with_a_zero_fraction_are_counts():
    # when
    _inp, result = grade_body(measured(available={"count": "7.0", "evaluated": "10.00"}))
    # then: 100 × 7 / 10 = 70 → C
    assert (result.score, result.grade) == (D("70.00"), "C")


@pytest.mark.parametrize(
    ("body", "field", "message"),
    [
        pytest.param([BODY], "body", "must be a JSON object", id="array"),
        pytest.param("measurements", "body", "must be a JSON object", id="string"),
        pytest.param(
            {**BODY, "weight": SIX_WEIGHTS}, "weight", "is not a known field", id="unknown-field"
        ),
        pytest.param(
            {"weights": SIX_WEIGHTS},
            "measurements",
            "must be an object of sub-indicator → {count, evaluated}",
            id="no-measurements",
        ),
        pytest.param(
            measured(completeness_rate={"count": "1", "evaluated": "2"}),
            "measurements.completeness_rate",
            "is not a GB/T 36344 sub-indicator",
            id="unknown-sub-indicator",
        ),
        pytest.param(
            measured(completeness={"count": "1", "evaluated": "2"}),
            "measurements.completeness",
            "is not a GB/T 36344 sub-indicator",
            id="indicator-not-sub-indicator",
        ),
        pytest.param(
            measured(metadata={"count": "1"}),
            "measurements.metadata",
            "must be an object with count and evaluated",
            id="missing-evaluated",
        ),
        pytest.param(
            measured(metadata={"count": "1", "evaluated": "2", "note": "x"}),
            "measurements.metadata",
            "must be an object with count and evaluated",
            id="extra-key",
        ),
        pytest.param(
            measured(metadata=["1", "2"]),
            "measurements.metadata",
            "must be an object with count and evaluated",
            id="list-item",
        ),
        pytest.param(
            measured(metadata={"count": "980.5", "evaluated": "1000"}),
            "measurements.metadata.count",
            WHOLE_NUMBER,
            id="fractional-count",
        ),
        pytest.param(
            measured(metadata={"count": "980", "evaluated": "1000.25"}),
            "measurements.metadata.evaluated",
            WHOLE_NUMBER,
            id="fractional-evaluated",
        ),
        pytest.param(
            measured(metadata={"count": "-1", "evaluated": "1000"}),
            "measurements.metadata.count",
            WHOLE_NUMBER,
            id="negative-count",
        ),
        pytest.param(
            # 10^15 + 1 elements: above the cap of 10^15
            measured(metadata={"count": "1", "evaluated": "1000000000000001"}),
            "measurements.metadata.evaluated",
            WHOLE_NUMBER,
            id="above-cap",
        ),
        pytest.param(
            measured(metadata={"count": 980.0, "evaluated": "1000"}),
            "measurements.metadata.count",
            FLOAT_MESSAGE,
            id="float-count",
        ),
        pytest.param(
            measured(metadata={"count": "many", "evaluated": "1000"}),
            "measurements.metadata.count",
            'must be a decimal number such as "12.50"',
            id="non-numeric",
        ),
        pytest.param(
            measured(metadata={"count": "1001", "evaluated": "1000"}),
            "measurements.metadata.count",
            "must not exceed evaluated",
            id="count-above-evaluated",
        ),
        pytest.param(
            measured(metadata={"count": "0", "evaluated": "0"}),
            "measurements.metadata.evaluated",
            "must be greater than 0",
            id="nothing-evaluated",
        ),
        pytest.param(
            measured(metadata=None),
            "measurements",
            "at least one sub-indicator must be measured",
            id="nothing-measured",
        ),
        pytest.param(
            {**BODY, "weights": ["0.5", "0.5"]},
            "weights",
            "must be an object of indicator → weight",
            id="weights-list",
        ),
        pytest.param(
            {**BODY, "weights": {**SIX_WEIGHTS, "accessibility": "0"}},
            "weights",
            "must sum to 1 (they sum to 0.9)",
            id="weights-sum",
        ),
        pytest.param(
            {**BODY, "weights": {**SIX_WEIGHTS, "accessibility": 0.1}},
            "weights.accessibility",
            FLOAT_MESSAGE,
            id="float-weight",
        ),
        pytest.param(
            {**BODY, "weights": {**SIX_WEIGHTS, "security": "0"}},
            "weights.security",
            "is not a GB/T 36344 indicator",
            id="unknown-indicator",
        ),
    ],
)
def test_refusals_name_the_body_field(body, field, message):
    # when / then
    with pytest.raises(CalculationInputError) as caught:
        grade_body(body)
    assert (caught.value.field, caught.value.message) == (field, message)


def test_parse_keeps_counts_as_decimals():
    # when
    inp = parse_quality_body(measured(metadata={"count": 3, "evaluated": "4"}))
    # then: an integer count is accepted (only floats are refused)
    assert inp.measurements["metadata"].count == D(3)
    assert inp.measurements["metadata"].evaluated == D(4)
