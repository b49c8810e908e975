"""Publicity and objections.

The publicity runs N China working days after the announcement (calendar overrides applied).
Anyone may object during it; the asset then waits until every objection is resolved: an upheld
objection rejects the application, dismissing the last open one resumes the publicity.
"""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files import File
from django.db import transaction
from django.utils.translation import gettext as _

from core import clock
from registry import journal, notifications
from registry.choices import AssetStatus, ObjectionStatus
from registry.exceptions import InvalidTransition, TransitionBlocked
from registry.models import CalendarOverride, DataAsset, Objection, User
from registry.services._common import (
    _check_transition,
    _lock,
    _move,
    _require_holder_or_registrar,
    _require_reason,
    _require_registrar,
)
from registry.workdays import add_working_days
from registry.workflow import Action
from registry.workflow import allows as workflow_allows


# --- publicity -------------------------------------------------------------------------------
def _calendar_overrides(start: dt.date) -> dict[dt.date, bool]:
    # Ten working days never span more than a few weeks, even across the Spring Festival.
    window_end = start + dt.timedelta(days=120)
    return dict(
        CalendarOverride.objects.filter(date__gt=start, date__lte=window_end).values_list(
            "date", "is_working_day"
        )
    )


@transaction.atomic
def asset_start_publicity(
    *, asset: DataAsset, actor: User | None, on: dt.date | None = None, reason: str = ""
) -> DataAsset:
    """Announce the application; the publicity runs N China working days after the announcement."""
    _require_registrar(actor)
    asset = _lock(asset)
    _check_transition(asset, Action.START_PUBLICITY)
    start = on or clock.today()
    end = add_working_days(
        start, settings.REGISTRY_PUBLICITY_WORKING_DAYS, _calendar_overrides(start)
    )
    return _move(
        asset,
        Action.START_PUBLICITY,
        actor=actor,
        event_type=journal.ASSET_PUBLICITY_STARTED,
        reason=reason.strip(),
        fields={"publicity_start": start, "publicity_end": end},
        details={
            "publicity_start": start,
            "publicity_end": end,
            "working_days": settings.REGISTRY_PUBLICITY_WORKING_DAYS,
        },
    )


# --- objections ------------------------------------------------------------------------------
@transaction.atomic
def objection_file(
    *,
    asset: DataAsset,
    objector_name: str,
    objector_contact: str,
    reasons: str,
    evidence: File | None = None,
    actor: User | None = None,
    on: dt.date | None = None,
) -> Objection:
    """Anyone may object during the publicity period; the asset waits until it is resolved."""
    errors = {}
    if not (objector_name or "").strip():
        errors["objector_name"] = _("Give the objector's name.")
    if not (objector_contact or "").strip():
        errors["objector_contact"] = _("Give a way to contact the objector.")
    if not (reasons or "").strip():
        errors["reasons"] = _("State the reasons for the objection.")
    if errors:
        raise ValidationError(errors)
    asset = _lock(asset)
    _check_transition(asset, Action.OBJECT)
    day = on or clock.today()
    if asset.publicity_end and day > asset.publicity_end:
        raise TransitionBlocked(
            _("The publicity period ended on %(end)s; objections are no longer accepted.")
            % {"end": asset.publicity_end.isoformat()}
        )
    objection = Objection(
        asset=asset,
        objector_name=objector_name.strip(),
        objector_contact=objector_contact.strip(),
        reasons=reasons.strip(),
    )
    if evidence is not None:
        objection.evidence = evidence
    objection.full_clean()
    objection.save()
    # A member of the public has no account: the journal names them as they gave their name.
    label = None if actor is not None else journal.public_label(objection.objector_name)
    journal.record_objection_event(
        event_type=journal.OBJECTION_FILED, objection=objection, actor=actor, actor_label=label
    )
    if asset.status == AssetStatus.OBJECTED:  # already objected: no transition to announce it
        notifications.notify_after_commit(asset, journal.OBJECTION_FILED)
    if asset.status == AssetStatus.PUBLICITY:
        _move(
            asset,
            Action.OBJECT,
            actor=actor,
            event_type=journal.ASSET_OBJECTED,
            reason=objection.reasons,
            details={"objection_id": objection.pk},
            actor_label=label,
        )
    return objection


@transaction.atomic
def objection_respond(*, objection: Objection, actor: User | None, response: str) -> Objection:
    """The applicant's answer to an objection, for the registrar to weigh."""
    objection = Objection.objects.select_for_update().select_related("asset").get(pk=objection.pk)
    _require_holder_or_registrar(actor, objection.asset.holder_id)
    response = _require_reason(response, "applicant_response")
    if objection.status != ObjectionStatus.OPEN:
        raise InvalidTransition(_("This objection has already been resolved."))
    objection.applicant_response = response
    objection.save(update_fields=["applicant_response"])
    journal.record_objection_event(
        event_type=journal.OBJECTION_RESPONDED, objection=objection, actor=actor, reason=response
    )
    return objection


@transaction.atomic
def objection_resolve(
    *, objection: Objection, actor: User | None, upheld: bool, note: str
) -> Objection:
    """Upheld: the application is rejected. Dismissed: publicity resumes once none is open."""
    _require_registrar(actor)
    note = _require_reason(note, "resolution_note")
    asset = _lock(objection.asset_id)
    objection = Objection.objects.select_for_update().get(pk=objection.pk)
    if objection.status != ObjectionStatus.OPEN:
        raise InvalidTransition(_("This objection has already been resolved."))
    objection.status = ObjectionStatus.UPHELD if upheld else ObjectionStatus.DISMISSED
    objection.resolution_note = note
    objection.resolved_at = clock.now()
    objection.resolved_by = actor
    objection.save(update_fields=["status", "resolution_note", "resolved_at", "resolved_by"])
    objection.asset = asset
    journal.record_objection_event(
        event_type=journal.OBJECTION_UPHELD if upheld else journal.OBJECTION_DISMISSED,
        objection=objection,
        actor=actor,
        reason=note,
    )
    if upheld and workflow_allows(asset.status, Action.REJECT):
        _move(
            asset,
            Action.REJECT,
            actor=actor,
            event_type=journal.ASSET_REJECTED,
            reason=note,
            details={"objection_id": objection.pk},
        )
    elif (
        not upheld
        and asset.status == AssetStatus.OBJECTED
        and not asset.objections.filter(status=ObjectionStatus.OPEN).exists()
    ):
        _move(
            asset,
            Action.CLEAR_OBJECTIONS,
            actor=actor,
            event_type=journal.ASSET_OBJECTIONS_CLEARED,
            reason=note,
            details={"objection_id": objection.pk},
        )
    return objection
