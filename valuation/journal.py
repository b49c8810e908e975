"""Journal writers of the valuation app (one per event type), on registry.journal.record."""

from __future__ import annotations

from core.actors import Actor
from registry.journal import asset_label, record
from registry.models import JournalEvent
from valuation.events import (  # noqa: F401 (writers and callers name the types through here too)
    APPRAISAL_DRAFTED,
    APPRAISAL_FINALISED,
    APPRAISAL_REVISED,
    BATCH_REVALUED,
    QUALITY_ASSESSED,
    USAGE_RECORDED,
)
from valuation.models import Appraisal, QualityAssessment, UsageRecord


def record_quality_assessed(*, assessment: QualityAssessment, actor: Actor | None) -> JournalEvent:
    return record(
        event_type=QUALITY_ASSESSED,
        actor=actor,
        subject_type="quality_assessment",
        subject_id=assessment.pk,
        subject_label=asset_label(assessment.asset),
        asset=assessment.asset,
        payload={
            "score": assessment.score,
            "grade": assessment.grade,
            "assessed_on": assessment.assessed_on,
        },
    )


def record_usage_recorded(*, usage: UsageRecord, actor: Actor | None) -> JournalEvent:
    return record(
        event_type=USAGE_RECORDED,
        actor=actor,
        subject_type="usage_record",
        subject_id=usage.pk,
        subject_label=asset_label(usage.asset),
        asset=usage.asset,
        payload={
            "period_start": usage.period_start,
            "period_end": usage.period_end,
            "api_calls": usage.api_calls,
            "downloads": usage.downloads,
            "licensees": usage.licensees,
            "subscriptions": usage.subscriptions,
            "revenue_amount": usage.revenue_amount,
        },
    )


def record_appraisal_event(
    *, event_type: str, appraisal: Appraisal, actor: Actor | None, extra: dict | None = None
) -> JournalEvent:
    return record(
        event_type=event_type,
        actor=actor,
        subject_type="appraisal",
        subject_id=appraisal.pk,
        subject_label=asset_label(appraisal.asset),
        asset=appraisal.asset,
        payload={
            "method": appraisal.method,
            "variant": appraisal.variant,
            "status": appraisal.status,
            "base_date": appraisal.base_date,
            "value_amount": appraisal.value_amount,
            "low_amount": appraisal.low_amount,
            "high_amount": appraisal.high_amount,
            **(extra or {}),
        },
    )
