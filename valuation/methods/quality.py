"""Data quality grading (数据质量等级认定) on the GB/T 36344-2018 indicator framework.

Six indicators (规范性 normativity, 完整性 completeness, 准确性 accuracy, 一致性 consistency, 时效性
timeliness, 可访问性 accessibility), each with the sub-indicators of :data:`INDICATORS`. Formulas
(domain.md section 7)::

    X_s = A / B                   A elements counted, B elements evaluated (0 ≤ A ≤ B, B > 0)
    S_s = 100 × X_s               or 100 × (1 − X_s) for the bad-when-high duplicate rate and
                                  dirty-data rate (there A counts duplicate / dirty elements)
    S_i = mean of the measured S_s of indicator i
    S   = Σ w_i × S_i / Σ w_i     over the measured indicators
    grade = first band (highest first) whose minimum ≤ S rounded to 0.01

Design choices (configurable or documented here):

* **Unmeasured** sub-indicators are left out of their indicator's mean. An indicator with no
  measured sub-indicator is left out of the total and the weights of the remaining indicators
  are renormalised (divided by their sum), so grading a data set on, say, completeness and
  accuracy only gives the weighted mean of those two. The breakdown shows ``measured=False``
  and an effective weight of 0 for it, so a report can say which indicators were not assessed.
* **Weights**: equal by default (computed as a plain mean, not via an inexact 1/6); custom
  (AHP or expert) weights must name all six indicators, be ≥ 0 and sum to exactly 1.
* **Grades**: :data:`DEFAULT_GRADE_BANDS` A ≥ 90, B ≥ 80, C ≥ 70, D ≥ 60, E < 60; any bands
  with strictly descending minima ending at 0 may be passed. The grade is read from the score
  *rounded* half-up to 0.01, so the printed score and grade never disagree (89.996 → 90.00 → A).

Invariants: 0 ≤ every score ≤ 100; effective weights of the measured indicators sum to 1;
the total lies between the lowest and highest measured indicator score; the sub-indicator keys
are stable snake_case identifiers (store them, show the labels). Means are taken on exact
fractions (A/B is rational) and each reported Decimal is rounded once, so no last-digit drift
can move a score across a band edge.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal
from enum import StrEnum
from fractions import Fraction
from types import MappingProxyType

from valuation.methods import checks
from valuation.methods.errors import CalculationInputError
from valuation.methods.money import decimal_from_fraction as as_decimal
from valuation.methods.money import format_decimal, in_calculation_context, round_half_up
from valuation.methods.money import show_decimal as fmt

ZERO = Decimal(0)
ONE = Decimal(1)
HUNDRED = Decimal(100)
SCORE_QUANTUM = Decimal("0.01")

MESSAGE_UNKNOWN_SUB_INDICATOR = "is not a GB/T 36344 sub-indicator"
MESSAGE_UNKNOWN_INDICATOR = "is not a GB/T 36344 indicator"
MESSAGE_COUNT_ABOVE_EVALUATED = "must not exceed evaluated"
MESSAGE_NOTHING_MEASURED = "at least one sub-indicator must be measured"
MESSAGE_WEIGHT_MISSING = "a weight is required for every indicator"
MESSAGE_MEASURED_WEIGHTS_ZERO = "the measured indicators all have weight 0"


class Indicator(StrEnum):
    NORMATIVITY = "normativity"
    COMPLETENESS = "completeness"
    ACCURACY = "accuracy"
    CONSISTENCY = "consistency"
    TIMELINESS = "timeliness"
    ACCESSIBILITY = "accessibility"


@dataclass(frozen=True, slots=True)
class SubIndicatorSpec:
    key: str
    indicator: Indicator
    label_zh: str
    label_en: str
    higher_is_worse: bool = False  # score = 100 × (1 − X)


@dataclass(frozen=True, slots=True)
class IndicatorSpec:
    key: Indicator
    label_zh: str
    label_en: str
    sub_indicators: tuple[SubIndicatorSpec, ...]


def _spec(
    indicator: Indicator, zh: str, en: str, *subs: tuple[str, str, str] | tuple[str, str, str, bool]
) -> IndicatorSpec:
    return IndicatorSpec(
        indicator, zh, en, tuple(SubIndicatorSpec(s[0], indicator, *s[1:]) for s in subs)
    )


#: The GB/T 36344-2018 framework, in the standard's order.
INDICATORS: tuple[IndicatorSpec, ...] = (
    _spec(
        Indicator.NORMATIVITY,
        "规范性",
        "Normativity",
        ("data_standard", "数据标准", "Data standard"),
        ("data_model", "数据模型", "Data model"),
        ("metadata", "元数据", "Metadata"),
        ("business_rules", "业务规则", "Business rules"),
        ("authoritative_reference_data", "权威参考数据", "Authoritative reference data"),
        ("security_spec", "安全规范", "Security specification"),
    ),
    _spec(
        Indicator.COMPLETENESS,
        "完整性",
        "Completeness",
        ("element_completeness", "数据元素完整性", "Element completeness"),
        ("record_completeness", "数据记录完整性", "Record completeness"),
    ),
    _spec(
        Indicator.ACCURACY,
        "准确性",
        "Accuracy",
        ("content_correctness", "数据内容正确性", "Content correctness"),
        ("format_compliance", "数据格式合规性", "Format compliance"),
        ("duplicate_rate", "数据重复率", "Duplicate rate", True),
        ("uniqueness", "数据唯一性", "Uniqueness"),
        ("dirty_data_rate", "脏数据出现率", "Dirty-data rate", True),
    ),
    _spec(
        Indicator.CONSISTENCY,
        "一致性",
        "Consistency",
        ("same_data_consistency", "相同数据一致性", "Same-data consistency"),
        ("related_data_consistency", "关联数据一致性", "Related-data consistency"),
    ),
    _spec(
        Indicator.TIMELINESS,
        "时效性",
        "Timeliness",
        ("time_period_correctness", "基于时间段的正确性", "Time-period correctness"),
        ("time_point_timeliness", "基于时间点的及时性", "Time-point timeliness"),
        ("time_ordering", "时序性", "Time ordering"),
    ),
    _spec(
        Indicator.ACCESSIBILITY,
        "可访问性",
        "Accessibility",
        ("accessible", "可访问", "Accessible"),
        ("available", "可用性", "Available"),
    ),
)
#: Every sub-indicator by key.
SUB_INDICATORS: Mapping[str, SubIndicatorSpec] = MappingProxyType(
    {sub.key: sub for spec in INDICATORS for sub in spec.sub_indicators}
)


@dataclass(frozen=True, slots=True)
class Measurement:
    """One sub-indicator measured as X = count / evaluated."""

    count: Decimal  # A: elements meeting the requirement (duplicates / dirty ones for the rates)
    evaluated: Decimal  # B: elements evaluated, > 0


@dataclass(frozen=True, slots=True)
class GradeBand:
    grade: str
    min_score: Decimal  # the band holds scores ≥ min_score (and below the band above)


DEFAULT_GRADE_BANDS: tuple[GradeBand, ...] = (
    GradeBand("A", Decimal(90)),
    GradeBand("B", Decimal(80)),
    GradeBand("C", Decimal(70)),
    GradeBand("D", Decimal(60)),
    GradeBand("E", ZERO),
)


@dataclass(frozen=True, slots=True)
class QualityInput:
    #: sub-indicator key → measurement; absent keys (or ``None``) are unmeasured.
    measurements: Mapping[str, Measurement | None]
    #: indicator key → weight (all six, ≥ 0, sum exactly 1); ``None`` for equal weights.
    weights: Mapping[str, Decimal] | None = None
    grade_bands: tuple[GradeBand, ...] = DEFAULT_GRADE_BANDS

    def __post_init__(self) -> None:
        if isinstance(self.measurements, Mapping):
            object.__setattr__(self, "measurements", MappingProxyType(dict(self.measurements)))
        if isinstance(self.weights, Mapping):
            object.__setattr__(self, "weights", MappingProxyType(dict(self.weights)))
        if isinstance(self.grade_bands, list):
            object.__setattr__(self, "grade_bands", tuple(self.grade_bands))


@dataclass(frozen=True, slots=True)
class SubIndicatorScore:
    key: str
    label_zh: str
    label_en: str
    higher_is_worse: bool
    count: Decimal  # A
    evaluated: Decimal  # B
    ratio: Decimal  # X = A / B
    score: Decimal  # 100 × X, or 100 × (1 − X)


@dataclass(frozen=True, slots=True)
class IndicatorScore:
    key: Indicator
    label_zh: str
    label_en: str
    measured: bool
    score: Decimal | None  # mean of the measured sub-indicator scores; None if unmeasured
    weight: Decimal  # the weight as configured (1/6 each by default)
    effective_weight: Decimal  # renormalised over the measured indicators; 0 if unmeasured
    sub_indicators: tuple[SubIndicatorScore, ...]  # the measured ones, in standard order


@dataclass(frozen=True, slots=True)
class QualityResult:
    score: Decimal  # total, rounded half-up to 0.01
    unrounded_score: Decimal
    grade: str
    equal_weights: bool
    indicators: tuple[IndicatorScore, ...]  # all six, in standard order
    formula: str


def _grade_bands(bands: object) -> tuple[GradeBand, ...]:
    if isinstance(bands, str | bytes) or not isinstance(bands, tuple | list):
        raise CalculationInputError("grade_bands", "must be a list")
    if not bands:
        raise CalculationInputError("grade_bands", checks.MESSAGE_EMPTY)
    cleaned: list[GradeBand] = []
    for k, band in enumerate(bands):
        path = f"grade_bands.{k}"
        if not isinstance(band, GradeBand):
            raise CalculationInputError(path, "must be a grade band (grade, min_score)")
        if not isinstance(band.grade, str) or not band.grade.strip():
            raise CalculationInputError(f"{path}.grade", "must be a non-empty label")
        if any(band.grade == other.grade for other in cleaned):
            raise CalculationInputError(f"{path}.grade", "is used by another band")
        minimum = checks.between(band.min_score, f"{path}.min_score", ZERO, HUNDRED)
        if cleaned and minimum >= cleaned[-1].min_score:
            raise CalculationInputError(
                f"{path}.min_score", "must be lower than the minimum of the band above"
            )
        cleaned.append(GradeBand(band.grade, minimum))
    if cleaned[-1].min_score != ZERO:
        raise CalculationInputError(
            f"grade_bands.{len(cleaned) - 1}.min_score", "the lowest band must start at 0"
        )
    return tuple(cleaned)


def _weights(weights: Mapping[str, object] | None) -> dict[Indicator, Decimal] | None:
    if weights is None:
        return None
    if not isinstance(weights, Mapping):
        raise CalculationInputError("weights", "must be a mapping of indicator to weight")
    known = {indicator.value for indicator in Indicator}
    for key in weights:
        if key not in known:
            raise CalculationInputError(f"weights.{key}", MESSAGE_UNKNOWN_INDICATOR)
    cleaned: dict[Indicator, Decimal] = {}
    for indicator in Indicator:
        if indicator.value not in weights:
            raise CalculationInputError(f"weights.{indicator}", MESSAGE_WEIGHT_MISSING)
        cleaned[indicator] = checks.non_negative(weights[indicator.value], f"weights.{indicator}")
    total = sum(cleaned.values(), ZERO)
    if total != ONE:
        raise CalculationInputError("weights", f"must sum to 1 (they sum to {fmt(total)})")
    return cleaned


def _measurements(measurements: object) -> dict[str, tuple[Decimal, Decimal]]:
    if not isinstance(measurements, Mapping):
        raise CalculationInputError("measurements", "must be a mapping of sub-indicator to counts")
    cleaned: dict[str, tuple[Decimal, Decimal]] = {}
    for key, measurement in measurements.items():
        path = f"measurements.{key}"
        if key not in SUB_INDICATORS:
            raise CalculationInputError(path, MESSAGE_UNKNOWN_SUB_INDICATOR)
        if measurement is None:
            continue
        if not isinstance(measurement, Measurement):
            raise CalculationInputError(path, "must be a measurement (count, evaluated)")
        count = checks.non_negative(measurement.count, f"{path}.count")
        evaluated = checks.positive(measurement.evaluated, f"{path}.evaluated")
        if count > evaluated:
            raise CalculationInputError(f"{path}.count", MESSAGE_COUNT_ABOVE_EVALUATED)
        cleaned[key] = (count, evaluated)
    if not cleaned:
        raise CalculationInputError("measurements", MESSAGE_NOTHING_MEASURED)
    return cleaned


def _exact_sub_score(spec: SubIndicatorSpec, count: Decimal, evaluated: Decimal) -> Fraction:
    ratio = Fraction(count) / Fraction(evaluated)
    return 100 * (1 - ratio) if spec.higher_is_worse else 100 * ratio


def grade_for(score: Decimal, bands: tuple[GradeBand, ...] = DEFAULT_GRADE_BANDS) -> str:
    """The grade of the first band (highest first) whose minimum is ≤ ``score``."""
    for band in bands:
        if score >= band.min_score:
            return band.grade
    raise CalculationInputError("grade_bands", "the lowest band must start at 0")


@in_calculation_context
def grade_quality(inp: QualityInput) -> QualityResult:
    """Score and grade a data set from its GB/T 36344 sub-indicator measurements."""
    measurements = _measurements(inp.measurements)
    custom_weights = _weights(inp.weights)
    bands = _grade_bands(inp.grade_bands)

    # Scores are averaged as exact fractions (Decimal sums of repeating decimals such as 200/3
    # can drift a unit in the last digit and tip a score over a band edge); the breakdown shows
    # each exact value once rounded to the calculation precision. Equal weights are 1 each.
    raw_weights = (
        {key: Fraction(weight) for key, weight in custom_weights.items()}
        if custom_weights
        else dict.fromkeys(Indicator, Fraction(1))
    )
    scored: list[tuple[IndicatorSpec, Fraction | None, tuple[SubIndicatorScore, ...]]] = []
    for spec in INDICATORS:
        subs: list[SubIndicatorScore] = []
        exact_scores: list[Fraction] = []
        for sub in spec.sub_indicators:
            if sub.key not in measurements:
                continue
            count, evaluated = measurements[sub.key]
            exact = _exact_sub_score(sub, count, evaluated)
            exact_scores.append(exact)
            subs.append(
                SubIndicatorScore(
                    key=sub.key,
                    label_zh=sub.label_zh,
                    label_en=sub.label_en,
                    higher_is_worse=sub.higher_is_worse,
                    count=count,
                    evaluated=evaluated,
                    ratio=as_decimal(Fraction(count) / Fraction(evaluated)),
                    score=as_decimal(exact),
                )
            )
        mean = sum(exact_scores, Fraction(0)) / len(exact_scores) if exact_scores else None
        scored.append((spec, mean, tuple(subs)))

    measured_weight = sum(
        (raw_weights[spec.key] for spec, mean, _ in scored if mean is not None), Fraction(0)
    )
    if measured_weight == 0:
        raise CalculationInputError("weights", MESSAGE_MEASURED_WEIGHTS_ZERO)
    weighted_sum = sum(
        (raw_weights[spec.key] * mean for spec, mean, _ in scored if mean is not None),
        Fraction(0),
    )
    exact_total = weighted_sum / measured_weight
    unrounded = as_decimal(exact_total)
    score = round_half_up(exact_total, SCORE_QUANTUM)
    grade = grade_for(score, bands)

    indicators = tuple(
        IndicatorScore(
            key=spec.key,
            label_zh=spec.label_zh,
            label_en=spec.label_en,
            measured=mean is not None,
            score=None if mean is None else as_decimal(mean),
            weight=as_decimal(raw_weights[spec.key] / (1 if custom_weights else len(INDICATORS))),
            effective_weight=(
                as_decimal(raw_weights[spec.key] / measured_weight) if mean is not None else ZERO
            ),
            sub_indicators=subs,
        )
        for spec, mean, subs in scored
    )
    terms = " + ".join(
        f"{fmt(as_decimal(raw_weights[spec.key]))} × {fmt(as_decimal(mean))}"
        for spec, mean, _ in scored
        if mean is not None
    )
    formula = (
        "S_s = 100 × A/B (100 × (1 − A/B) for duplicate and dirty-data rates); "
        "S_i = mean of measured S_s; S = Σ w_i × S_i / Σ w_i over measured indicators "
        f"({'equal' if custom_weights is None else 'custom'} weights) = ({terms}) / "
        f"{fmt(as_decimal(measured_weight))} = {fmt(unrounded)} → {format_decimal(score)}; "
        f"grade {grade}"
    )
    return QualityResult(
        score=score,
        unrounded_score=unrounded,
        grade=grade,
        equal_weights=custom_weights is None,
        indicators=indicators,
        formula=formula,
    )
