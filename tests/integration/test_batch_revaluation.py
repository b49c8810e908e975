"""Batch revaluation (valuation.batch): one batch draft per registered asset with usage and a
grade, from P = α × Σ R_t × K / (1 + i)^t with the default EstimateParameters
(i = 0.12, K = 0.25, g = 0.05, n = 5); final appraisals and appraisers' drafts are never touched.

Worked value used throughout: revenue 1000 over 12 months and score 88:
    P_inc = Σ_{t=1..5} 250 × 1.05^(t−1) / 1.12^t = 250 / 1.12 × (1 − (15/16)^5) / (1/16)
          = (3125/14) × (289201/65536) = 903753125 / 917504 = 985.01273…
    P     = 0.88 × 985.01273… = 866.81120… → 866.81
    low   = K − 10 %: 866.81120… × 0.9 = 780.13008… → 780.13
    high  = K + 10 %: 866.81120… × 1.1 = 953.49232… → 953.49
"""

import datetime as dt
from decimal import Decimal as D
from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from registry import services as registry_services
from registry.exceptions import NotPermitted
from registry.models import JournalEvent
from tests.factories import (
    UserFactory,
    complete_application,
    quality_body,
    registered_asset,
    valuation_counts,
)
from valuation import services
from valuation.batch import appraisal_batch_revalue
from valuation.models import Appraisal, AppraisalOrigin, AppraisalStatus

pytestmark = pytest.mark.django_db

BASE_DATE = dt.date(2026, 6, 30)
ASSESSED_ON = dt.date(2026, 6, 10)
VALUE_1000 = (D("866.81"), D("780.13"), D("953.49"))
GUIDANCE_BODY = {
    "method": "cost",
    "variant": "guidance_2023",
    "costs": {"direct": "100"},
    "delta": "0.5",
}  # 100 × 0.5 = 50.00


def _grade(asset, registrar, count="88"):
    services.quality_assess(
        asset=asset, actor=registrar, body=quality_body(count), assessed_on=ASSESSED_ON
    )


def _usage(asset, registrar, start, end, revenue, **counts):
    services.usage_record(
        asset=asset,
        actor=registrar,
        period_start=start,
        period_end=end,
        revenue_amount=D(revenue),
        **counts,
    )


def _year_of_revenue(asset, registrar, revenue="1000"):
    # 2025-07-01 .. 2026-06-30: 365 days → round(365 / 30.44) = 12 months
    _usage(asset, registrar, dt.date(2025, 7, 1), dt.date(2026, 6, 30), revenue)


def _batch_drafts():
    return Appraisal.objects.filter(origin=AppraisalOrigin.BATCH, status=AppraisalStatus.DRAFT)


def _amounts(appraisal):
    return (appraisal.value_amount, appraisal.low_amount, appraisal.high_amount)


@pytest.fixture
def portfolio(registered, registrar, enterprise_user):
    """Registered assets: `valued` (usage + grade 88), `ungraded` (usage only), `unused` (grade
    only); `in_review` has usage and a grade but is not registered."""
    ungraded = registered_asset(registrar=registrar, actor=enterprise_user, name="未定级数据集")
    unused = registered_asset(registrar=registrar, actor=enterprise_user, name="无使用记录数据集")
    in_review = registry_services.asset_create(
        actor=enterprise_user,
        holder=enterprise_user.organisation,
        data=complete_application(name="审查中数据集"),
    )
    in_review = registry_services.asset_submit(asset=in_review, actor=enterprise_user)
    in_review = registry_services.asset_accept_for_review(asset=in_review, actor=registrar)
    for asset in (registered, in_review):
        _grade(asset, registrar)
        _year_of_revenue(asset, registrar)
    _year_of_revenue(ungraded, registrar)
    _grade(unused, registrar)
    return {"valued": registered, "ungraded": ungraded, "unused": unused, "in_review": in_review}


def test_batch_drafts_registered_assets_and_counts_the_skipped(portfolio):
    # given
    before = valuation_counts()
    # when
    report = appraisal_batch_revalue(actor=None, base_date=BASE_DATE, chunk_size=2)
    # then
    assert (report.estimated, report.skipped_no_usage, report.skipped_no_grade) == (1, 1, 1)
    assert report.failed == {}
    [draft] = _batch_drafts()
    assert draft.asset == portfolio["valued"]
    assert _amounts(draft) == VALUE_1000
    assert (draft.method, draft.variant, draft.base_date) == ("income", "usage_royalty", BASE_DATE)
    assert draft.appraiser is None
    assert draft.finalised_at is None
    assert D(draft.inputs["quality_score"]) == D(88)
    assert draft.inputs["usage"]["observed_months"] == 12
    assert D(draft.inputs["usage"]["revenue"]) == D(1000)
    # the asset in review is ignored although it has usage and a grade
    assert not Appraisal.objects.filter(asset=portfolio["in_review"]).exists()
    assert valuation_counts() == {
        **before,
        "appraisals": before["appraisals"] + 1,
        "journal": before["journal"] + 1,
    }


def test_batch_journals_one_event_per_estimated_asset(portfolio):
    # when
    appraisal_batch_revalue(actor=None, base_date=BASE_DATE, chunk_size=2)
    # then
    [event] = JournalEvent.objects.filter(event_type="appraisal.batch_revalued")
    [draft] = _batch_drafts()
    assert event.asset_id == portfolio["valued"].pk
    # one batch draft per asset (a database constraint), so the asset names the subject
    assert (event.subject_type, event.subject_id) == ("asset", str(portfolio["valued"].pk))
    assert event.subject_label == f"asset #{portfolio['valued'].pk}"
    assert draft.asset_id == portfolio["valued"].pk
    assert event.actor is None
    assert event.actor_label == "system (registry_tick)"
    assert event.payload == {
        "method": "income",
        "variant": "usage_royalty",
        "base_date": "2026-06-30",
        "value_amount": "866.81",
        "low_amount": "780.13",
        "high_amount": "953.49",
    }


def test_batch_by_a_registrar_records_the_appraiser(portfolio, registrar):
    # when
    appraisal_batch_revalue(actor=registrar, base_date=BASE_DATE, chunk_size=2)
    # then
    [draft] = _batch_drafts()
    assert draft.appraiser == registrar
    [event] = JournalEvent.objects.filter(event_type="appraisal.batch_revalued")
    assert event.actor == registrar


def test_batch_refused_for_a_non_registrar(portfolio, enterprise_user):
    # given
    before = valuation_counts()
    # when / then
    with pytest.raises(NotPermitted):
        appraisal_batch_revalue(actor=enterprise_user, base_date=BASE_DATE)
    assert valuation_counts() == before


def test_usage_outside_the_trailing_year_is_not_counted(registered, registrar):
    # given: usage that ended before the 365-day window (2025-06-30 .. 2026-06-30) opened
    _grade(registered, registrar)
    _usage(registered, registrar, dt.date(2024, 7, 1), dt.date(2025, 6, 30), "1000")
    # when
    report = appraisal_batch_revalue(actor=None, base_date=BASE_DATE, chunk_size=2)
    # then
    assert (report.estimated, report.skipped_no_usage) == (0, 1)
    assert not _batch_drafts().exists()


def test_half_a_year_of_revenue_is_scaled_to_twelve_months(registered, registrar):
    # given: 500 over 2026-01-01 .. 2026-06-30 (181 days → round(181 / 30.44) = 6 months)
    _grade(registered, registrar)
    _usage(registered, registrar, dt.date(2026, 1, 1), dt.date(2026, 6, 30), "500")
    # when
    appraisal_batch_revalue(actor=None, base_date=BASE_DATE, chunk_size=2)
    # then: R_1 = 500 × 12 / 6 = 1000, so the worked value
    [draft] = _batch_drafts()
    assert _amounts(draft) == VALUE_1000
    assert draft.inputs["usage"]["observed_months"] == 6


def test_usage_counts_are_priced_when_there_is_no_revenue(registered, registrar):
    # given: 12 months of 50,000 API calls (at 0.02) and no revenue, score 88
    _grade(registered, registrar)
    _usage(registered, registrar, dt.date(2025, 7, 1), dt.date(2026, 6, 30), "0", api_calls=50_000)
    # when
    appraisal_batch_revalue(actor=None, base_date=BASE_DATE, chunk_size=2)
    # then: R_1 = 50000 × 0.02 = 1000, the worked value again
    [draft] = _batch_drafts()
    assert _amounts(draft) == VALUE_1000


def test_rerun_replaces_the_batch_draft_and_leaves_other_appraisals_alone(registered, registrar):
    # given: half a year of revenue (R_1 = 500 × 12 / 6 = 1000), an earlier final appraisal and an
    # appraiser's draft
    _grade(registered, registrar)
    _usage(registered, registrar, dt.date(2026, 1, 1), dt.date(2026, 6, 30), "500")
    final = services.appraisal_draft(
        asset=registered, actor=registrar, body=GUIDANCE_BODY, base_date=dt.date(2026, 3, 31)
    )
    final = services.appraisal_finalise(appraisal=final, actor=registrar)
    manual = services.appraisal_draft(
        asset=registered, actor=registrar, body=GUIDANCE_BODY, base_date=BASE_DATE
    )
    appraisal_batch_revalue(actor=None, base_date=BASE_DATE, chunk_size=2)
    [first] = _batch_drafts()
    assert _amounts(first) == VALUE_1000

    # given: the first half-year is recorded too: 700 over 2025-07-01 .. 2025-12-31
    _usage(registered, registrar, dt.date(2025, 7, 1), dt.date(2025, 12, 31), "700")
    # when
    appraisal_batch_revalue(actor=None, base_date=BASE_DATE, chunk_size=2)
    # then: R_1 = (500 + 700) × 12 / 12 = 1200, so P = 1.2 × 866.81120… = 1040.17344… → 1040.17,
    # low 1.2 × 780.13008… = 936.15609… → 936.16, high 1.2 × 953.49232… = 1144.19078… → 1144.19
    [second] = _batch_drafts()
    assert second.pk != first.pk
    assert not Appraisal.objects.filter(pk=first.pk).exists()
    assert _amounts(second) == (D("1040.17"), D("936.16"), D("1144.19"))
    assert Appraisal.objects.filter(asset=registered).count() == 3
    final_now = Appraisal.objects.get(pk=final.pk)
    manual_now = Appraisal.objects.get(pk=manual.pk)
    assert (final_now.status, final_now.value_amount, final_now.finalised_at) == (
        AppraisalStatus.FINAL,
        D("50.00"),
        final.finalised_at,
    )
    assert (manual_now.status, manual_now.origin, manual_now.value_amount) == (
        AppraisalStatus.DRAFT,
        AppraisalOrigin.APPRAISER,
        D("50.00"),
    )
    # one journal event per run and asset
    events = JournalEvent.objects.filter(event_type="appraisal.batch_revalued").order_by("id")
    assert [e.payload["value_amount"] for e in events] == ["866.81", "1040.17"]
    assert [e.subject_id for e in events] == [str(registered.pk)] * 2


def test_batch_never_changes_the_assets_final_value(registered, registrar):
    # given
    from registry.models import DataAsset
    from valuation import selectors

    _grade(registered, registrar)
    _year_of_revenue(registered, registrar)
    final = services.appraisal_draft(
        asset=registered, actor=registrar, body=GUIDANCE_BODY, base_date=dt.date(2026, 3, 31)
    )
    services.appraisal_finalise(appraisal=final, actor=registrar)
    # when: a batch draft with a later base date
    appraisal_batch_revalue(actor=None, base_date=BASE_DATE, chunk_size=2)
    # then
    annotated = selectors.with_current_valuation(DataAsset.objects.filter(pk=registered.pk)).get()
    assert (annotated.value_amount, annotated.value_base_date) == (D("50.00"), dt.date(2026, 3, 31))


def test_batch_limited_to_given_assets(portfolio, registrar):
    # given: a second valued asset
    other = registered_asset(registrar=registrar, name="另一个数据集")
    _grade(other, registrar)
    _year_of_revenue(other, registrar)
    # when
    report = appraisal_batch_revalue(
        actor=None, base_date=BASE_DATE, asset_ids=[other.pk], chunk_size=2
    )
    # then
    assert (report.estimated, report.skipped_no_usage, report.skipped_no_grade) == (1, 0, 0)
    assert [d.asset_id for d in _batch_drafts()] == [other.pk]


def test_small_chunks_give_the_same_values_as_one_chunk(registrar):
    # given: three valued assets with scores 88, 80 and 100
    #   88: 866.81 / 780.13 / 953.49 (module docstring)
    #   80: P = 0.8 × 985.01273… = 788.01018… → 788.01; × 0.9 = 709.20916… → 709.21;
    #       × 1.1 = 866.81120… → 866.81
    #  100: P = 985.01273… → 985.01; × 0.9 = 886.51146… → 886.51; × 1.1 = 1083.51400… → 1083.51
    holder_user = UserFactory()
    assets = []
    for name, score in (("数据集甲", "88"), ("数据集乙", "80"), ("数据集丙", "100")):
        asset = registered_asset(registrar=registrar, actor=holder_user, name=name)
        _grade(asset, registrar, score)
        _year_of_revenue(asset, registrar)
        assets.append(asset)
    expected = {
        assets[0].pk: VALUE_1000,
        assets[1].pk: (D("788.01"), D("709.21"), D("866.81")),
        assets[2].pk: (D("985.01"), D("886.51"), D("1083.51")),
    }
    # when: one chunk
    report = appraisal_batch_revalue(actor=None, base_date=BASE_DATE, chunk_size=10)
    # then
    assert report.estimated == 3
    assert {d.asset_id: _amounts(d) for d in _batch_drafts()} == expected
    # when: chunks of 2 (< 3 assets, so two chunks and two transactions)
    report = appraisal_batch_revalue(actor=None, base_date=BASE_DATE, chunk_size=2)
    # then: the same values, still one batch draft per asset
    assert (report.estimated, report.failed) == (3, {})
    assert {d.asset_id: _amounts(d) for d in _batch_drafts()} == expected
    events = JournalEvent.objects.filter(event_type="appraisal.batch_revalued")
    assert sorted(int(e.subject_id) for e in events) == sorted([a.pk for a in assets] * 2)


# --- the management command ----------------------------------------------------------------------
def test_revalue_command_prints_the_summary(portfolio):
    # given
    out, err = StringIO(), StringIO()
    # when
    call_command("revalue", "--base-date", "2026-06-30", stdout=out, stderr=err)
    # then
    text = out.getvalue()
    assert text.startswith("Estimated 1 asset(s) in ")
    assert text.rstrip().endswith(
        "s; skipped 1 without usage and 1 without a quality grade; 0 failed."
    )
    assert err.getvalue() == ""
    [draft] = _batch_drafts()
    assert (draft.asset, draft.base_date, _amounts(draft)) == (
        portfolio["valued"],
        BASE_DATE,
        VALUE_1000,
    )


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        (
            ["--base-date", "2026-13-01"],
            "--base-date must be a date in the form YYYY-MM-DD, not '2026-13-01'.",
        ),
        (
            ["--base-date", "30/06/2026"],
            "--base-date must be a date in the form YYYY-MM-DD, not '30/06/2026'.",
        ),
        (
            ["--base-date", "2026-06"],
            "--base-date must be a date in the form YYYY-MM-DD, not '2026-06'.",
        ),
    ],
    ids=["month-13", "day-first", "no-day"],
)
def test_revalue_command_rejects_bad_arguments(portfolio, arguments, message):
    # given
    before = valuation_counts()
    # when / then
    with pytest.raises(CommandError) as caught:
        call_command("revalue", *arguments, stdout=StringIO())
    assert str(caught.value) == message
    assert valuation_counts() == before
