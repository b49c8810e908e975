"""Batch revaluation: draft estimates for many registered assets from usage and quality.

For each chunk of assets: one aggregate query for the trailing usage, one for the current quality
score, the pure estimate (`valuation.methods.estimate`) for each asset, then one transaction that
replaces the chunk's batch drafts (final appraisals are never touched) and journals one event per
new draft with a bulk insert (`registry.journal.record_many`: COPY, chained).

Assets without usage in the window or without a quality grade cannot be estimated; they are
counted as skipped, not guessed.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Iterator
from decimal import Decimal

from django.db import transaction
from django.db.models import Max, Min, OuterRef, Subquery, Sum

from core import clock
from core.bulk import insert_rows
from registry.choices import AssetStatus
from registry.exceptions import NotPermitted
from registry.journal import actor_label, record_many
from registry.models import DataAsset, User
from valuation import journal
from valuation.methods.estimate import (
    EstimateParameters,
    UsageTotals,
    estimate_job,
    unit_factors,
)
from valuation.models import (
    CURRENCY,
    Appraisal,
    AppraisalMethod,
    AppraisalOrigin,
    AppraisalStatus,
    QualityAssessment,
    UsageRecord,
)

LOOKBACK_DAYS = 365
CHUNK_SIZE = 5000
ESTIMATE_VARIANT = "usage_royalty"
ASSUMPTIONS = "Batch estimate from recorded usage and the current quality grade."


@dataclasses.dataclass
class BatchReport:
    estimated: int = 0
    skipped_no_usage: int = 0
    skipped_no_grade: int = 0
    failed: dict[int, str] = dataclasses.field(default_factory=dict)


def _chunks(ids: list[int], size: int) -> Iterator[list[int]]:
    for start in range(0, len(ids), size):
        yield ids[start : start + size]


def _usage_totals(ids: list[int], base_date: dt.date) -> dict[int, UsageTotals]:
    window_start = base_date - dt.timedelta(days=LOOKBACK_DAYS)
    rows = (
        UsageRecord.objects.filter(
            asset_id__in=ids, period_end__gt=window_start, period_end__lte=base_date
        )
        .values("asset_id")
        .annotate(
            revenue=Sum("revenue_amount"),
            api_calls=Sum("api_calls"),
            downloads=Sum("downloads"),
            licensees=Sum("licensees"),
            subscriptions=Sum("subscriptions"),
            first=Min("period_start"),
            last=Max("period_end"),
        )
    )
    totals = {}
    for row in rows:
        days = (row["last"] - max(row["first"], window_start)).days + 1
        months = min(12, max(1, round(days / 30.44)))
        totals[row["asset_id"]] = UsageTotals(
            observed_months=months,
            revenue=row["revenue"] or Decimal(0),
            api_calls=row["api_calls"] or 0,
            downloads=row["downloads"] or 0,
            licensees=row["licensees"] or 0,
            subscriptions=row["subscriptions"] or 0,
        )
    return totals


def _quality_scores(ids: list[int]) -> dict[int, Decimal]:
    latest = QualityAssessment.objects.filter(asset=OuterRef("pk")).order_by("-assessed_on", "-id")
    rows = (
        DataAsset.objects.filter(pk__in=ids)
        .annotate(score=Subquery(latest.values("score")[:1]))
        .exclude(score__isnull=True)
        .values_list("pk", "score")
    )
    return dict(rows)


def appraisal_batch_revalue(
    *,
    actor: User | None,
    params: EstimateParameters | None = None,
    base_date: dt.date | None = None,
    asset_ids: list[int] | None = None,
    chunk_size: int = CHUNK_SIZE,
) -> BatchReport:
    """Recompute the batch draft of every registered asset (or of `asset_ids`).

    `actor=None` is the scheduled job; a person must be a registrar."""
    if actor is not None and not actor.is_registrar:
        raise NotPermitted("Only a registrar may run a batch revaluation.")
    params = params or EstimateParameters()
    day = base_date or clock.today()
    assets = DataAsset.objects.filter(status=AssetStatus.REGISTERED)
    if asset_ids is not None:
        assets = assets.filter(pk__in=asset_ids)
    ids = list(assets.order_by("pk").values_list("pk", flat=True))
    factors = unit_factors(params)
    report = BatchReport()
    for chunk in _chunks(ids, chunk_size):
        usage = _usage_totals(chunk, day)
        scores = _quality_scores(chunk)
        results = []
        for asset_id in chunk:
            if asset_id not in usage:
                report.skipped_no_usage += 1
            elif asset_id not in scores:
                report.skipped_no_grade += 1
            else:
                job = (asset_id, usage[asset_id], scores[asset_id])
                results.append(estimate_job(job, params, factors))
        _store(results, day, actor, report)
    return report


@transaction.atomic
def _store(results: list, day: dt.date, actor: User | None, report: BatchReport) -> None:
    now = clock.now()
    appraiser_id = actor.pk if actor is not None else None
    label = actor_label(actor)
    drafts, events = [], []
    for asset_id, result, error in results:
        if result is None:
            report.failed[asset_id] = error
            continue
        drafts.append(
            {
                "asset_id": asset_id,
                "method": AppraisalMethod.INCOME.value,
                "variant": ESTIMATE_VARIANT,
                "status": AppraisalStatus.DRAFT.value,
                "origin": AppraisalOrigin.BATCH.value,
                "base_date": day,
                "inputs": result.inputs,
                "assumptions": ASSUMPTIONS,
                "value_amount": result.value,
                "low_amount": result.low,
                "high_amount": result.high,
                "currency": CURRENCY,
                "formula": result.formula,
                "breakdown": result.breakdown,
                "sensitivity": [],
                "appraiser_id": appraiser_id,
                "computed_at": now,
                "finalised_at": None,
                "created_at": now,
            }
        )
        events.append(
            {
                "event_type": journal.BATCH_REVALUED,
                "occurred_at": now,
                "actor_id": appraiser_id,
                "actor_label": label,
                "asset_id": asset_id,
                # One batch draft per asset (a database constraint): the asset names it.
                "subject_type": "asset",
                "subject_id": str(asset_id),
                "subject_label": f"asset #{asset_id}",
                "reason": "",
                "payload": {
                    "method": AppraisalMethod.INCOME.value,
                    "variant": ESTIMATE_VARIANT,
                    "base_date": day.isoformat(),
                    "value_amount": str(result.value),
                    "low_amount": str(result.low),
                    "high_amount": str(result.high),
                },
            }
        )
    Appraisal.objects.filter(
        asset_id__in=[row["asset_id"] for row in drafts],
        status=AppraisalStatus.DRAFT,
        origin=AppraisalOrigin.BATCH,
    ).delete()
    insert_rows(Appraisal, drafts)
    record_many(events)  # linked into each asset's hash chain (registry.chain)
    report.estimated += len(drafts)
