"""Valuation services (domain.md sections 7-8): quality assessments, usage records, appraisals,
their journal events, the immutability guards and the current-valuation selectors."""

import datetime as dt
from decimal import Decimal as D

import pytest
from django.core.exceptions import ValidationError
from django.db import DatabaseError, connection, transaction

from core import clock
from registry.choices import AssetStatus
from registry.exceptions import InvalidTransition, NotPermitted
from registry.models import DataAsset, JournalEvent
from tests.factories import quality_body, registered_asset, valuation_counts
from valuation import selectors, services
from valuation.models import Appraisal, AppraisalOrigin, AppraisalStatus, QualityAssessment

pytestmark = pytest.mark.django_db

postgres_only = pytest.mark.skipif(
    connection.vendor != "postgresql", reason="the immutability triggers are PostgreSQL's"
)

ASSESSED_ON = dt.date(2026, 6, 10)
BASE_DATE = dt.date(2026, 6, 30)
QUALITY_BODY = {
    "measurements": {
        "element_completeness": {"count": "980", "evaluated": "1000"},
        "record_completeness": {"count": "950", "evaluated": "1000"},
        "content_correctness": {"count": "900", "evaluated": "1000"},
        "duplicate_rate": {"count": "20", "evaluated": "1000"},
    }
}
COSTS = {"preliminary": "20", "direct": "120", "indirect": "30", "opportunity": "10", "taxes": "5"}
# C = 185; P = 185 × 0.88 = 162.80; δ ± 0.05: 185 × 0.83 = 153.55, 185 × 0.93 = 172.05
GUIDANCE_BODY = {"method": "cost", "variant": "guidance_2023", "costs": COSTS, "delta": "0.88"}
ROYALTY_BODY = {
    "method": "income",
    "variant": "royalty",
    "discount_rate": "0.10",
    "periods": [
        {"revenue": "1000", "share_rate": "0.1"},
        {"revenue": "1210", "share_rate": "0.1"},
    ],
}
# P_1 = 100 × 1.0625 × 1.03 × 1.2 = 131.325, P_2 = 120; P = 125.6625 → 125.66;
# every X1 ± 5 %: 119.379375 → 119.38 and 131.945625 → 131.95
MARKET_BODY = {
    "method": "market",
    "comparables": [
        {"price": "100", "quality": "1.0625", "date": "1.03", "capacity": "1.2"},
        {"price": "120"},
    ],
}


def _events(asset, event_type):
    return list(JournalEvent.objects.filter(asset=asset, event_type=event_type).order_by("id"))


def _plus(before, **added):
    return {key: before[key] + added.get(key, 0) for key in before}


# --- quality -------------------------------------------------------------------------------------
def test_quality_assess_stores_counts_score_grade_and_journals(registered, registrar):
    # given
    before = valuation_counts()
    # when
    assessment = services.quality_assess(
        asset=registered, actor=registrar, body=QUALITY_BODY, assessed_on=ASSESSED_ON, note=" ok "
    )
    # then
    # completeness (98 + 95) / 2 = 96.5; accuracy (90 + 100 × (1 − 0.02)) / 2 = 94;
    # total (96.5 + 94) / 2 = 95.25 → A
    stored = QualityAssessment.objects.get(pk=assessment.pk)
    assert stored.measurements == QUALITY_BODY["measurements"]
    assert stored.weights is None
    assert stored.score == D("95.25")
    assert stored.grade == "A"
    assert stored.assessed_on == ASSESSED_ON
    assert stored.assessor == registrar
    assert stored.note == "ok"
    indicator_scores = {row["key"]: row["score"] for row in stored.indicators}
    assert D(indicator_scores["completeness"]) == D("96.5")
    assert D(indicator_scores["accuracy"]) == D("94")
    assert indicator_scores["timeliness"] is None
    assert valuation_counts() == _plus(before, quality=1, journal=1)
    [event] = _events(registered, "quality.assessed")
    assert event.payload == {"score": "95.25", "grade": "A", "assessed_on": "2026-06-10"}
    assert (event.subject_type, event.subject_id) == ("quality_assessment", str(assessment.pk))
    assert event.actor == registrar


@pytest.mark.parametrize("status_fixture", ["submitted", "under_review", "in_publicity"])
def test_quality_can_be_assessed_from_submission_onwards(request, status_fixture, registrar):
    # given
    asset = request.getfixturevalue(status_fixture)
    # when
    assessment = services.quality_assess(
        asset=asset, actor=registrar, body=quality_body("75"), assessed_on=ASSESSED_ON
    )
    # then: 100 × 75 / 100 = 75 → C
    assert (assessment.score, assessment.grade) == (D("75.00"), "C")


@pytest.mark.parametrize("actor_fixture", ["enterprise_user", "bank_user"])
def test_quality_assess_refused_for_non_registrars(request, registered, actor_fixture):
    # given
    actor = request.getfixturevalue(actor_fixture)
    before = valuation_counts()
    # when / then
    with pytest.raises(NotPermitted):
        services.quality_assess(asset=registered, actor=actor, body=QUALITY_BODY)
    assert valuation_counts() == before


def test_quality_assess_refused_for_a_draft(draft, registrar):
    # given
    before = valuation_counts()
    # when / then
    with pytest.raises(InvalidTransition):
        services.quality_assess(asset=draft, actor=registrar, body=QUALITY_BODY)
    assert valuation_counts() == before


@pytest.mark.parametrize(
    ("body", "field", "message"),
    [
        (
            quality_body("980.5", "1000"),
            "measurements.element_completeness.count",
            "must be a whole number of elements, 0 or more",
        ),
        (
            quality_body("1001", "1000"),
            "measurements.element_completeness.count",
            "must not exceed evaluated",
        ),
        (
            {"measurements": {"freshness": {"count": "1", "evaluated": "1"}}},
            "measurements.freshness",
            "is not a GB/T 36344 sub-indicator",
        ),
        (
            {**quality_body("90"), "weights": {"completeness": "1"}},
            "weights.normativity",
            "a weight is required for every indicator",
        ),
    ],
    ids=["fractional-count", "count-above-evaluated", "unknown-sub-indicator", "weights"],
)
def test_quality_assess_refuses_a_bad_body_naming_the_field(
    registered, registrar, body, field, message
):
    # given
    before = valuation_counts()
    # when / then
    with pytest.raises(ValidationError) as caught:
        services.quality_assess(asset=registered, actor=registrar, body=body)
    assert caught.value.message_dict == {field: [message]}
    assert valuation_counts() == before


def test_quality_assess_refuses_a_future_date(registered, registrar):
    # given
    before = valuation_counts()
    tomorrow = clock.today() + dt.timedelta(days=1)
    # when / then
    with pytest.raises(ValidationError) as caught:
        services.quality_assess(
            asset=registered, actor=registrar, body=QUALITY_BODY, assessed_on=tomorrow
        )
    assert caught.value.message_dict == {
        "assessed_on": ["An assessment cannot be dated in the future."]
    }
    assert valuation_counts() == before


def test_current_quality_is_the_latest_by_date_then_id(registered, registrar):
    # given: a later-dated assessment written first, an earlier-dated one written after it
    later = services.quality_assess(
        asset=registered, actor=registrar, body=quality_body("70"), assessed_on=dt.date(2026, 6, 20)
    )
    services.quality_assess(
        asset=registered, actor=registrar, body=quality_body("90"), assessed_on=dt.date(2026, 6, 15)
    )
    # when / then: the date wins over the id
    assert selectors.current_quality(registered) == later
    # given: a second assessment on the same (latest) date
    same_day = services.quality_assess(
        asset=registered, actor=registrar, body=quality_body("85"), assessed_on=dt.date(2026, 6, 20)
    )
    # when / then: the higher id wins
    assert selectors.current_quality(registered) == same_day
    assert (same_day.score, same_day.grade) == (D("85.00"), "B")


def test_current_quality_is_none_before_any_assessment(registered):
    # when / then
    assert selectors.current_quality(registered) is None


# --- usage ---------------------------------------------------------------------------------------
@pytest.mark.parametrize("actor_fixture", ["registrar", "enterprise_user"])
def test_usage_recorded_by_registrar_or_the_holders_user(request, registered, actor_fixture):
    # given
    actor = request.getfixturevalue(actor_fixture)
    before = valuation_counts()
    # when
    record = services.usage_record(
        asset=registered,
        actor=actor,
        period_start=dt.date(2026, 1, 1),
        period_end=dt.date(2026, 3, 31),
        api_calls=120_000,
        downloads=35,
        licensees=2,
        subscriptions=4,
        revenue_amount=D("15000.50"),
        note="  Q1  ",
    )
    # then
    record.refresh_from_db()
    assert (record.api_calls, record.downloads, record.licensees, record.subscriptions) == (
        120_000,
        35,
        2,
        4,
    )
    assert record.revenue_amount == D("15000.50")
    assert (record.currency, record.note, record.recorded_by) == ("CNY", "Q1", actor)
    assert valuation_counts() == _plus(before, usage=1, journal=1)
    [event] = _events(registered, "usage.recorded")
    assert event.payload == {
        "period_start": "2026-01-01",
        "period_end": "2026-03-31",
        "api_calls": 120_000,
        "downloads": 35,
        "licensees": 2,
        "subscriptions": 4,
        "revenue_amount": "15000.50",
    }


@pytest.mark.parametrize("actor_fixture", ["other_enterprise_user", "bank_user"])
def test_usage_refused_for_other_organisations(request, registered, actor_fixture):
    # given
    actor = request.getfixturevalue(actor_fixture)
    before = valuation_counts()
    # when / then
    with pytest.raises(NotPermitted):
        services.usage_record(
            asset=registered,
            actor=actor,
            period_start=dt.date(2026, 1, 1),
            period_end=dt.date(2026, 1, 31),
            revenue_amount=D("10"),
        )
    assert valuation_counts() == before


def test_usage_refused_without_an_actor(registered):
    # given
    before = valuation_counts()
    # when / then
    with pytest.raises(NotPermitted):
        services.usage_record(
            asset=registered,
            actor=None,
            period_start=dt.date(2026, 1, 1),
            period_end=dt.date(2026, 1, 31),
        )
    assert valuation_counts() == before


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"api_calls": -1}, "api_calls"),
        ({"downloads": -5}, "downloads"),
        ({"licensees": -1}, "licensees"),
        ({"subscriptions": -2}, "subscriptions"),
        ({"revenue_amount": D("-0.01")}, "revenue_amount"),
        ({"period_start": dt.date(2026, 2, 1), "period_end": dt.date(2026, 1, 31)}, "period_end"),
    ],
    ids=["api_calls", "downloads", "licensees", "subscriptions", "revenue", "period-order"],
)
def test_usage_refuses_bad_values_naming_the_field(registered, registrar, changes, field):
    # given
    before = valuation_counts()
    values = {"period_start": dt.date(2026, 1, 1), "period_end": dt.date(2026, 1, 31)} | changes
    # when / then
    with pytest.raises(ValidationError) as caught:
        services.usage_record(asset=registered, actor=registrar, **values)
    assert field in caught.value.message_dict, caught.value.message_dict
    assert valuation_counts() == before


def test_usage_refuses_a_duplicate_period_naming_the_period(registered, registrar):
    # given
    period = {"period_start": dt.date(2026, 1, 1), "period_end": dt.date(2026, 1, 31)}
    services.usage_record(asset=registered, actor=registrar, revenue_amount=D("10"), **period)
    before = valuation_counts()
    # when / then
    with pytest.raises(ValidationError) as caught:
        services.usage_record(asset=registered, actor=registrar, revenue_amount=D("20"), **period)
    assert {"period_start", "period_end"} & set(caught.value.message_dict), (
        caught.value.message_dict
    )
    assert valuation_counts() == before


def test_usage_refuses_float_revenue(registered, registrar):
    # given
    before = valuation_counts()
    # when / then
    with pytest.raises(ValidationError) as caught:
        services.usage_record(
            asset=registered,
            actor=registrar,
            period_start=dt.date(2026, 1, 1),
            period_end=dt.date(2026, 1, 31),
            revenue_amount=0.1,
        )
    assert caught.value.message_dict == {
        "revenue_amount": ["Send money as a decimal string, not a float."]
    }
    assert valuation_counts() == before


# --- appraisals ----------------------------------------------------------------------------------
def test_appraisal_draft_royalty_value_and_range_by_hand(registered, registrar):
    # given
    before = valuation_counts()
    # when
    appraisal = services.appraisal_draft(
        asset=registered,
        actor=registrar,
        body=ROYALTY_BODY,
        base_date=BASE_DATE,
        assumptions=" going concern ",
    )
    # then
    # F_1 = 1000 × 0.1 = 100, F_2 = 1210 × 0.1 = 121; P = 100 / 1.1 + 121 / 1.21
    # = 90.9090… + 100 = 190.9090… → 190.91
    # range: share rate − 10 % → 190.9090… × 0.9 = 171.8181… → 171.82;
    #        share rate + 10 % → 190.9090… × 1.1 = 210.00
    #        (discount rate ± 1 point gives 188.30 and 193.59, inside that range)
    stored = Appraisal.objects.get(pk=appraisal.pk)
    assert (stored.value_amount, stored.low_amount, stored.high_amount) == (
        D("190.91"),
        D("171.82"),
        D("210.00"),
    )
    assert (stored.method, stored.variant, stored.currency) == ("income", "royalty", "CNY")
    assert (stored.status, stored.origin) == (AppraisalStatus.DRAFT, AppraisalOrigin.APPRAISER)
    assert stored.finalised_at is None
    assert stored.inputs == ROYALTY_BODY
    assert stored.assumptions == "going concern"
    assert stored.base_date == BASE_DATE
    assert stored.appraiser == registrar
    assert [run["path"] for run in stored.sensitivity] == ["discount_rate", "periods.*.share_rate"]
    assert valuation_counts() == _plus(before, appraisals=1, journal=1)
    [event] = _events(registered, "appraisal.drafted")
    assert event.payload == {
        "method": "income",
        "variant": "royalty",
        "status": "draft",
        "base_date": "2026-06-30",
        "value_amount": "190.91",
        "low_amount": "171.82",
        "high_amount": "210.00",
    }
    assert (event.subject_type, event.subject_id) == ("appraisal", str(appraisal.pk))


def test_appraisal_draft_refusals_write_nothing(registered, registrar, enterprise_user):
    # given
    before = valuation_counts()
    # when / then: not a registrar
    with pytest.raises(NotPermitted):
        services.appraisal_draft(
            asset=registered, actor=enterprise_user, body=ROYALTY_BODY, base_date=BASE_DATE
        )
    # when / then: a bad body names the field under "inputs."
    with pytest.raises(ValidationError) as caught:
        services.appraisal_draft(
            asset=registered,
            actor=registrar,
            body={**ROYALTY_BODY, "discount_rate": "1"},
            base_date=BASE_DATE,
        )
    assert caught.value.message_dict == {
        "inputs.discount_rate": ["must be a fraction strictly between 0 and 1 (e.g. 0.12 for 12%)"]
    }
    assert valuation_counts() == before


def test_appraisal_draft_refused_for_a_draft_application(draft, registrar):
    # given
    before = valuation_counts()
    # when / then
    with pytest.raises(InvalidTransition):
        services.appraisal_draft(
            asset=draft, actor=registrar, body=ROYALTY_BODY, base_date=BASE_DATE
        )
    assert valuation_counts() == before


def test_appraisal_revise_recomputes_and_journals_the_old_value(registered, registrar):
    # given
    appraisal = services.appraisal_draft(
        asset=registered, actor=registrar, body=ROYALTY_BODY, base_date=BASE_DATE
    )
    before = valuation_counts()
    # when
    revised = services.appraisal_revise(
        appraisal=appraisal,
        actor=registrar,
        body=GUIDANCE_BODY,
        base_date=dt.date(2026, 7, 31),
        assumptions="cost basis",
    )
    # then: P = 185 × 0.88 = 162.80, δ ± 0.05 → 153.55 .. 172.05; same row, still a draft
    stored = Appraisal.objects.get(pk=appraisal.pk)
    assert revised.pk == appraisal.pk
    assert (stored.value_amount, stored.low_amount, stored.high_amount) == (
        D("162.80"),
        D("153.55"),
        D("172.05"),
    )
    assert (stored.method, stored.variant, stored.status) == ("cost", "guidance_2023", "draft")
    assert (stored.base_date, stored.assumptions) == (dt.date(2026, 7, 31), "cost basis")
    assert stored.inputs == GUIDANCE_BODY
    assert valuation_counts() == _plus(before, journal=1)
    [event] = _events(registered, "appraisal.revised")
    assert event.payload == {
        "method": "cost",
        "variant": "guidance_2023",
        "status": "draft",
        "base_date": "2026-07-31",
        "value_amount": "162.80",
        "low_amount": "153.55",
        "high_amount": "172.05",
        "old_value": "190.91",
    }


def test_appraisal_finalise_and_a_final_appraisal_refuses_change(registered, registrar):
    # given
    appraisal = services.appraisal_draft(
        asset=registered, actor=registrar, body=GUIDANCE_BODY, base_date=BASE_DATE
    )
    before = valuation_counts()
    # when
    final = services.appraisal_finalise(appraisal=appraisal, actor=registrar)
    # then
    stored = Appraisal.objects.get(pk=appraisal.pk)
    assert stored.status == AppraisalStatus.FINAL
    assert stored.finalised_at is not None
    assert final.is_final
    assert valuation_counts() == _plus(before, journal=1)
    [event] = _events(registered, "appraisal.finalised")
    assert event.payload == {
        "method": "cost",
        "variant": "guidance_2023",
        "status": "final",
        "base_date": "2026-06-30",
        "value_amount": "162.80",
        "low_amount": "153.55",
        "high_amount": "172.05",
    }

    # given
    before = valuation_counts()
    # when / then: neither revised nor finalised again
    with pytest.raises(InvalidTransition):
        services.appraisal_revise(appraisal=stored, actor=registrar, body=ROYALTY_BODY)
    with pytest.raises(InvalidTransition):
        services.appraisal_finalise(appraisal=stored, actor=registrar)
    assert valuation_counts() == before
    again = Appraisal.objects.get(pk=appraisal.pk)
    assert (again.value_amount, again.method, again.inputs) == (
        D("162.80"),
        "cost",
        GUIDANCE_BODY,
    )
    assert again.finalised_at == stored.finalised_at


def test_appraisal_finalise_refuses_a_future_base_date(registered, registrar):
    # given
    appraisal = services.appraisal_draft(
        asset=registered,
        actor=registrar,
        body=GUIDANCE_BODY,
        base_date=clock.today() + dt.timedelta(days=1),
    )
    before = valuation_counts()
    # when / then
    with pytest.raises(ValidationError) as caught:
        services.appraisal_finalise(appraisal=appraisal, actor=registrar)
    assert caught.value.message_dict == {"base_date": ["The base date cannot be in the future."]}
    assert valuation_counts() == before
    assert Appraisal.objects.get(pk=appraisal.pk).status == AppraisalStatus.DRAFT


def test_appraisal_revise_and_finalise_refused_for_non_registrars(
    registered, registrar, enterprise_user
):
    # given
    appraisal = services.appraisal_draft(
        asset=registered, actor=registrar, body=GUIDANCE_BODY, base_date=BASE_DATE
    )
    before = valuation_counts()
    # when / then
    with pytest.raises(NotPermitted):
        services.appraisal_revise(appraisal=appraisal, actor=enterprise_user, body=ROYALTY_BODY)
    with pytest.raises(NotPermitted):
        services.appraisal_finalise(appraisal=appraisal, actor=enterprise_user)
    assert valuation_counts() == before
    assert Appraisal.objects.get(pk=appraisal.pk).status == AppraisalStatus.DRAFT


def test_model_save_of_a_final_appraisal_raises(registered, registrar):
    # given
    appraisal = services.appraisal_draft(
        asset=registered, actor=registrar, body=GUIDANCE_BODY, base_date=BASE_DATE
    )
    final = services.appraisal_finalise(appraisal=appraisal, actor=registrar)
    # when / then
    final.value_amount = D("1.00")
    final.low_amount = D("1.00")
    final.high_amount = D("1.00")
    with pytest.raises(ValueError, match=r"^A final appraisal is immutable"):
        final.save()
    assert Appraisal.objects.get(pk=final.pk).value_amount == D("162.80")


def test_model_save_of_a_quality_assessment_raises(registered, registrar):
    # given
    assessment = services.quality_assess(
        asset=registered, actor=registrar, body=quality_body("90"), assessed_on=ASSESSED_ON
    )
    # when / then
    assessment.grade = "E"
    with pytest.raises(ValueError, match=r"^QualityAssessment rows are immutable"):
        assessment.save()
    assert QualityAssessment.objects.get(pk=assessment.pk).grade == "A"


@postgres_only
def test_raw_update_of_a_final_appraisal_is_refused_by_the_trigger(registered, registrar):
    # given
    draft_row = services.appraisal_draft(
        asset=registered, actor=registrar, body=ROYALTY_BODY, base_date=BASE_DATE
    )
    final = services.appraisal_draft(
        asset=registered, actor=registrar, body=GUIDANCE_BODY, base_date=BASE_DATE
    )
    final = services.appraisal_finalise(appraisal=final, actor=registrar)
    sql = "UPDATE valuation_appraisal SET assumptions = 'rewritten' WHERE id = %s"
    # when / then: the final row is refused
    with (
        pytest.raises(DatabaseError, match=r"final appraisals are immutable \(UPDATE refused\)"),
        transaction.atomic(),
        connection.cursor() as cursor,
    ):
        cursor.execute(sql, [final.pk])
    assert Appraisal.objects.get(pk=final.pk).assumptions == ""
    # when: a draft row may still be updated
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(sql, [draft_row.pk])
    # then
    assert Appraisal.objects.get(pk=draft_row.pk).assumptions == "rewritten"


@postgres_only
def test_raw_delete_of_a_final_appraisal_is_refused_by_the_trigger(registered, registrar):
    # given
    final = services.appraisal_draft(
        asset=registered, actor=registrar, body=GUIDANCE_BODY, base_date=BASE_DATE
    )
    final = services.appraisal_finalise(appraisal=final, actor=registrar)
    before = valuation_counts()
    # when / then
    with (
        pytest.raises(DatabaseError, match=r"final appraisals are immutable \(DELETE refused\)"),
        transaction.atomic(),
        connection.cursor() as cursor,
    ):
        cursor.execute("DELETE FROM valuation_appraisal WHERE id = %s", [final.pk])
    assert valuation_counts() == before


@postgres_only
@pytest.mark.parametrize(
    ("table", "sql"),
    [
        ("valuation_qualityassessment", "UPDATE valuation_qualityassessment SET grade = 'E'"),
        ("valuation_qualityassessment", "DELETE FROM valuation_qualityassessment"),
        ("valuation_usagerecord", "UPDATE valuation_usagerecord SET revenue_amount = 0"),
        ("valuation_usagerecord", "DELETE FROM valuation_usagerecord"),
    ],
    ids=["quality-update", "quality-delete", "usage-update", "usage-delete"],
)
def test_quality_and_usage_rows_refuse_raw_changes_on_postgresql(registered, registrar, table, sql):
    # given
    services.quality_assess(
        asset=registered, actor=registrar, body=quality_body("90"), assessed_on=ASSESSED_ON
    )
    services.usage_record(
        asset=registered,
        actor=registrar,
        period_start=dt.date(2026, 1, 1),
        period_end=dt.date(2026, 1, 31),
        revenue_amount=D("10"),
    )
    before = valuation_counts()
    # when / then
    with (
        pytest.raises(DatabaseError, match=rf"{table} rows are immutable"),
        transaction.atomic(),
        connection.cursor() as cursor,
    ):
        cursor.execute(sql)
    assert valuation_counts() == before
    assert QualityAssessment.objects.get().grade == "A"
    assert registered.usage_records.get().revenue_amount == D("10.00")


# --- the asset's value ---------------------------------------------------------------------------
def test_latest_final_appraisal_and_current_valuation_annotations(registered, registrar):
    # given: two final appraisals; the one with the later base date is written first
    latest = services.appraisal_draft(
        asset=registered, actor=registrar, body=GUIDANCE_BODY, base_date=dt.date(2026, 6, 30)
    )
    latest = services.appraisal_finalise(appraisal=latest, actor=registrar)
    older = services.appraisal_draft(
        asset=registered, actor=registrar, body=MARKET_BODY, base_date=dt.date(2026, 3, 31)
    )
    services.appraisal_finalise(appraisal=older, actor=registrar)
    services.quality_assess(
        asset=registered, actor=registrar, body=quality_body("88"), assessed_on=ASSESSED_ON
    )
    # when
    found = selectors.latest_final_appraisal(registered)
    annotated = selectors.with_current_valuation(DataAsset.objects.filter(pk=registered.pk)).get()
    # then: by base date, not by id; 185 × 0.88 = 162.80; score 100 × 88 / 100 = 88 → B
    assert found == latest
    assert annotated.quality_grade == "B"
    assert annotated.quality_score == D("88.00")
    assert annotated.value_amount == D("162.80")
    assert annotated.value_base_date == dt.date(2026, 6, 30)
    history = selectors.final_appraisal_history(registered)
    assert [a.base_date for a in history] == [dt.date(2026, 3, 31), dt.date(2026, 6, 30)]

    # given: a newer draft (appraiser's and batch-like) with a later base date
    services.appraisal_draft(
        asset=registered, actor=registrar, body=ROYALTY_BODY, base_date=dt.date(2026, 9, 30)
    )
    # when
    found = selectors.latest_final_appraisal(registered)
    annotated = selectors.with_current_valuation(DataAsset.objects.filter(pk=registered.pk)).get()
    # then: drafts never change the asset's value
    assert found == latest
    assert (annotated.value_amount, annotated.value_base_date) == (
        D("162.80"),
        dt.date(2026, 6, 30),
    )


def test_same_base_date_finals_pick_the_higher_id(registered, registrar):
    # given
    first = services.appraisal_draft(
        asset=registered, actor=registrar, body=GUIDANCE_BODY, base_date=BASE_DATE
    )
    services.appraisal_finalise(appraisal=first, actor=registrar)
    second = services.appraisal_draft(
        asset=registered, actor=registrar, body=MARKET_BODY, base_date=BASE_DATE
    )
    services.appraisal_finalise(appraisal=second, actor=registrar)
    # when
    annotated = selectors.with_current_valuation(DataAsset.objects.filter(pk=registered.pk)).get()
    # then: the market re-appraisal (125.66) is the current value
    assert selectors.latest_final_appraisal(registered) == second
    assert annotated.value_amount == D("125.66")


def test_current_valuation_is_empty_without_grade_or_final(registered, registrar):
    # given: only a draft
    services.appraisal_draft(
        asset=registered, actor=registrar, body=GUIDANCE_BODY, base_date=BASE_DATE
    )
    # when
    annotated = selectors.with_current_valuation(DataAsset.objects.filter(pk=registered.pk)).get()
    # then
    assert selectors.latest_final_appraisal(registered) is None
    assert annotated.quality_grade is None
    assert annotated.quality_score is None
    assert annotated.value_amount is None
    assert annotated.value_base_date is None


def test_current_valuation_annotates_each_asset_separately(registered, registrar):
    # given: a second registered asset with its own grade and value
    other = registered_asset(registrar=registrar, name="天津港船舶靠泊作业数据集")
    assert other.status == AssetStatus.REGISTERED
    services.quality_assess(
        asset=registered, actor=registrar, body=quality_body("95"), assessed_on=ASSESSED_ON
    )
    services.quality_assess(
        asset=other, actor=registrar, body=quality_body("65"), assessed_on=ASSESSED_ON
    )
    for asset, body in ((registered, GUIDANCE_BODY), (other, MARKET_BODY)):
        appraisal = services.appraisal_draft(
            asset=asset, actor=registrar, body=body, base_date=BASE_DATE
        )
        services.appraisal_finalise(appraisal=appraisal, actor=registrar)
    # when
    rows = selectors.with_current_valuation(
        DataAsset.objects.filter(pk__in=[registered.pk, other.pk]).order_by("pk")
    )
    # then: 95 → A, 65 → D; values 162.80 and 125.66 (see the bodies)
    assert [(r.quality_grade, r.quality_score, r.value_amount) for r in rows] == [
        ("A", D("95.00"), D("162.80")),
        ("D", D("65.00"), D("125.66")),
    ]


def test_reconciled_appraisal_weighs_two_methods(registered, registrar):
    # given
    body = {
        "method": "reconciled",
        "components": [
            {"weight": "0.6", "body": GUIDANCE_BODY},
            {"weight": "0.4", "body": MARKET_BODY},
        ],
    }
    # when
    appraisal = services.appraisal_draft(
        asset=registered, actor=registrar, body=body, base_date=BASE_DATE
    )
    # then
    # value: 0.6 × 162.80 + 0.4 × 125.66 = 97.68 + 50.264 = 147.944 → 147.94
    # low:   0.6 × 153.55 + 0.4 × 119.38 = 92.13 + 47.752 = 139.882 → 139.88
    # high:  0.6 × 172.05 + 0.4 × 131.95 = 103.23 + 52.78 = 156.01
    stored = Appraisal.objects.get(pk=appraisal.pk)
    assert (stored.value_amount, stored.low_amount, stored.high_amount) == (
        D("147.94"),
        D("139.88"),
        D("156.01"),
    )
    assert (stored.method, stored.variant) == ("reconciled", "")
    assert [c["method"] for c in stored.breakdown["components"]] == ["cost", "market"]


def test_reconciled_weights_not_summing_to_1_write_nothing(registered, registrar):
    # given
    body = {
        "method": "reconciled",
        "components": [
            {"weight": "0.6", "body": GUIDANCE_BODY},
            {"weight": "0.3", "body": MARKET_BODY},
        ],
    }
    before = valuation_counts()
    # when / then
    with pytest.raises(ValidationError) as caught:
        services.appraisal_draft(asset=registered, actor=registrar, body=body, base_date=BASE_DATE)
    assert caught.value.message_dict == {
        "inputs.components": ["weights must sum to 1 (they sum to 0.9)"]
    }
    assert valuation_counts() == before
