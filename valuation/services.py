"""Every write of the valuation app: quality assessments, usage records, appraisals.

Each maps model data to the pure calculators (`valuation.methods`), stores inputs and results
together, and journals the change in the same transaction. Batch revaluation lives in
`valuation.batch`.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from core import clock
from core.actors import Actor
from registry.choices import AssetStatus
from registry.exceptions import InvalidTransition, NotPermitted
from registry.models import DataAsset, User
from valuation import journal
from valuation.methods.appraise import Appraised, appraise
from valuation.methods.errors import CalculationInputError
from valuation.methods.payload import to_jsonable
from valuation.methods.quality_payload import grade_body
from valuation.models import (
    Appraisal,
    AppraisalOrigin,
    AppraisalStatus,
    QualityAssessment,
    UsageRecord,
)

# Quality and value are assessed from review onwards; drafts and closed files are not.
ASSESSABLE_STATUSES = (
    AssetStatus.SUBMITTED,
    AssetStatus.UNDER_REVIEW,
    AssetStatus.PUBLICITY,
    AssetStatus.OBJECTED,
    AssetStatus.REGISTERED,
)


def _require_registrar(actor: Actor | None) -> None:
    if actor is None or not getattr(actor, "is_registrar", False):
        raise NotPermitted(_("Only a registrar may assess quality or value."))


def _require_assessable(asset: DataAsset) -> None:
    if asset.status not in ASSESSABLE_STATUSES:
        raise InvalidTransition(
            _("An asset that is %(status)s cannot be assessed.")
            % {"status": asset.get_status_display()}
        )


def _as_validation_error(exc: CalculationInputError, prefix: str) -> ValidationError:
    return ValidationError({f"{prefix}.{exc.field}" if prefix else exc.field: exc.message})


# --- quality ---------------------------------------------------------------------------------
@transaction.atomic
def quality_assess(
    *,
    asset: DataAsset,
    actor: User,
    body: dict[str, Any],
    assessed_on: dt.date | None = None,
    note: str = "",
) -> QualityAssessment:
    """Grade the asset (GB/T 36344) from counted measurements; the latest grade is current."""
    _require_registrar(actor)
    asset = DataAsset.objects.select_for_update(of=("self",)).get(pk=asset.pk)
    _require_assessable(asset)
    try:
        _inp, result = grade_body(body)
    except CalculationInputError as exc:
        raise _as_validation_error(exc, "") from exc
    day = assessed_on or clock.today()
    if day > clock.today():
        raise ValidationError({"assessed_on": _("An assessment cannot be dated in the future.")})
    assessment = QualityAssessment.objects.create(
        asset=asset,
        assessed_on=day,
        assessor=actor,
        measurements=body.get("measurements"),
        weights=body.get("weights"),
        indicators=to_jsonable(result.indicators),
        score=result.score,
        grade=result.grade,
        formula=result.formula,
        note=note.strip(),
    )
    journal.record_quality_assessed(assessment=assessment, actor=actor)
    return assessment


# --- usage -----------------------------------------------------------------------------------
@transaction.atomic
def usage_record(
    *,
    asset: DataAsset,
    actor: User,
    period_start: dt.date,
    period_end: dt.date,
    api_calls: int = 0,
    downloads: int = 0,
    licensees: int = 0,
    subscriptions: int = 0,
    revenue_amount: Decimal = Decimal(0),
    note: str = "",
) -> UsageRecord:
    """Record an asset's use over a period (by a registrar or the holder's user)."""
    if actor is None:
        raise NotPermitted(_("Sign in to record usage."))
    if not (actor.is_registrar or actor.acts_for(asset.holder_id)):
        raise NotPermitted(_("Only the holder's users or a registrar may record usage."))
    if isinstance(revenue_amount, float):
        raise ValidationError({"revenue_amount": _("Send money as a decimal string, not a float.")})
    record = UsageRecord(
        asset=asset,
        period_start=period_start,
        period_end=period_end,
        api_calls=api_calls,
        downloads=downloads,
        licensees=licensees,
        subscriptions=subscriptions,
        revenue_amount=revenue_amount,
        note=note.strip(),
        recorded_by=actor,
    )
    # Field rules first (names the field), then the period's uniqueness (names the period).
    record.full_clean(validate_unique=False, validate_constraints=False)
    if UsageRecord.objects.filter(
        asset=asset, period_start=period_start, period_end=period_end
    ).exists():
        raise ValidationError(
            {"period_start": _("Usage for this period is already recorded; record a new period.")}
        )
    record.save()
    journal.record_usage_recorded(usage=record, actor=actor)
    return record


# --- appraisals ------------------------------------------------------------------------------
def _appraised(body: dict[str, Any]) -> Appraised:
    try:
        return appraise(body)
    except CalculationInputError as exc:
        raise _as_validation_error(exc, "inputs") from exc


def _fill(appraisal: Appraisal, appraised: Appraised, body: dict[str, Any]) -> None:
    appraisal.method = appraised.method
    appraisal.variant = appraised.variant or ""
    appraisal.inputs = body
    appraisal.value_amount = appraised.value
    appraisal.low_amount = appraised.low
    appraisal.high_amount = appraised.high
    appraisal.currency = appraised.currency
    appraisal.formula = appraised.formula
    appraisal.breakdown = appraised.breakdown
    appraisal.sensitivity = appraised.sensitivity
    appraisal.computed_at = clock.now()


@transaction.atomic
def appraisal_draft(
    *,
    asset: DataAsset,
    actor: User,
    body: dict[str, Any],
    base_date: dt.date,
    assumptions: str = "",
) -> Appraisal:
    """Compute and store a draft appraisal (method body as in domain.md section 9)."""
    _require_registrar(actor)
    asset = DataAsset.objects.select_for_update(of=("self",)).get(pk=asset.pk)
    _require_assessable(asset)
    appraised = _appraised(body)
    appraisal = Appraisal(
        asset=asset,
        base_date=base_date,
        assumptions=assumptions.strip(),
        appraiser=actor,
        origin=AppraisalOrigin.APPRAISER,
    )
    _fill(appraisal, appraised, body)
    appraisal.full_clean()
    appraisal.save()
    journal.record_appraisal_event(
        event_type=journal.APPRAISAL_DRAFTED, appraisal=appraisal, actor=actor
    )
    return appraisal


@transaction.atomic
def appraisal_revise(
    *,
    appraisal: Appraisal,
    actor: User,
    body: dict[str, Any],
    base_date: dt.date | None = None,
    assumptions: str | None = None,
) -> Appraisal:
    """Recompute a draft with new inputs; a final appraisal is never changed."""
    _require_registrar(actor)
    appraisal = Appraisal.objects.select_for_update().get(pk=appraisal.pk)
    if appraisal.is_final:
        raise InvalidTransition(_("A final appraisal cannot be changed; re-appraise instead."))
    old_value = appraisal.value_amount
    _fill(appraisal, _appraised(body), body)
    if base_date is not None:
        appraisal.base_date = base_date
    if assumptions is not None:
        appraisal.assumptions = assumptions.strip()
    appraisal.appraiser = actor
    appraisal.full_clean()
    appraisal.save()
    journal.record_appraisal_event(
        event_type=journal.APPRAISAL_REVISED,
        appraisal=appraisal,
        actor=actor,
        extra={"old_value": old_value},
    )
    return appraisal


@transaction.atomic
def appraisal_finalise(*, appraisal: Appraisal, actor: User) -> Appraisal:
    """Finalise a draft: from now on it is immutable and, if latest, the asset's value."""
    _require_registrar(actor)
    appraisal = Appraisal.objects.select_for_update().get(pk=appraisal.pk)
    if appraisal.is_final:
        raise InvalidTransition(_("This appraisal is already final."))
    if appraisal.base_date > clock.today():
        raise ValidationError({"base_date": _("The base date cannot be in the future.")})
    appraisal.status = AppraisalStatus.FINAL
    appraisal.finalised_at = clock.now()
    appraisal.save(update_fields=["status", "finalised_at"])
    journal.record_appraisal_event(
        event_type=journal.APPRAISAL_FINALISED, appraisal=appraisal, actor=actor
    )
    return appraisal
