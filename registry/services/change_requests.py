"""Amendment and renewal requests (变更 / 续展 申请): the holder files, the registrar decides.

One service per step, each atomic: it locks the rows it changes, checks the step's rules, raises a
`RegistryError` / `ValidationError` when refused (nothing written) and journals one event.
Approving runs `asset_amend` or `asset_renew` in the same transaction: if that step is refused,
its error propagates and the request stays open.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.core.exceptions import ValidationError
from django.db import models, transaction
from django.utils.translation import gettext as _

from core import clock
from registry import journal
from registry.choices import AssetStatus, Role
from registry.events import (
    CHANGE_REQUEST_APPROVED,
    CHANGE_REQUEST_FILED,
    CHANGE_REQUEST_REJECTED,
)
from registry.exceptions import InvalidTransition, NotPermitted
from registry.models import ChangeRequest, ChangeRequestKind, ChangeRequestStatus, DataAsset, User
from registry.services import post_registration
from registry.services.post_registration import AMENDABLE_FIELDS


# --- value conversion ------------------------------------------------------------------------
def typed_value(field_name: str, value: Any) -> Any:
    """A proposed JSON value (string, number, bool) as the model field's Python value, checked
    against the field's choices and validators. Raises `ValidationError` keyed by the field."""
    field = DataAsset._meta.get_field(field_name)
    if not isinstance(field, models.Field):  # amendable fields are concrete columns
        raise ValidationError({field_name: _("This field cannot be amended.")})
    if isinstance(value, str):
        value = value.strip()
    if value in ("", None) and field.null:
        return None
    try:
        return field.clean(value, None)
    except ValidationError as exc:
        raise ValidationError({field_name: exc.messages}) from exc


def typed_changes(changes: dict[str, Any]) -> dict[str, Any]:
    unknown = sorted(set(changes) - set(AMENDABLE_FIELDS))
    if unknown:
        raise ValidationError({field: _("This field cannot be amended.") for field in unknown})
    errors: dict[str, list[str]] = {}
    typed: dict[str, Any] = {}
    for field, value in changes.items():
        try:
            typed[field] = typed_value(field, value)
        except ValidationError as exc:
            errors.update(exc.message_dict)
    if errors:
        raise ValidationError(errors)
    return typed


# --- helpers ---------------------------------------------------------------------------------
def _require_registrar(actor: User | None) -> None:
    if actor is None or not actor.is_registrar:
        raise NotPermitted(_("Only a registrar may perform this step."))


def _label(request: ChangeRequest) -> str:
    return f"{request.get_kind_display()} #{request.pk} / {request.asset}"[:300]


def _record(event_type: str, request: ChangeRequest, actor: User | None, reason: str) -> None:
    journal.record(
        event_type=event_type,
        actor=actor,
        subject_type="change_request",
        subject_id=request.pk,
        subject_label=_label(request),
        asset=request.asset,
        reason=reason,
        payload={
            "kind": request.kind,
            "status": request.status,
            "proposed_changes": request.proposed_changes,
        },
    )


def _lock_open(request: ChangeRequest | int) -> ChangeRequest:
    pk = request.pk if isinstance(request, ChangeRequest) else request
    locked = (
        ChangeRequest.objects.select_for_update(of=("self",))
        .select_related("asset", "asset__holder")
        .get(pk=pk)
    )
    if locked.status != ChangeRequestStatus.OPEN:
        raise InvalidTransition(
            _("This request is already decided (%(status)s).")
            % {"status": locked.get_status_display()}
        )
    return locked


def _decide(
    request: ChangeRequest, *, actor: User | None, status: str, note: str, event_type: str
) -> ChangeRequest:
    request.status = status
    request.decided_by = actor
    request.decided_at = clock.now()
    request.decision_note = note
    request.save(update_fields=["status", "decided_by", "decided_at", "decision_note"])
    _record(event_type, request, actor, note)
    return request


# --- steps -----------------------------------------------------------------------------------
@transaction.atomic
def change_request_file(
    *,
    asset: DataAsset,
    actor: User | None,
    kind: str,
    reason: str,
    proposed_changes: dict[str, Any] | None = None,
) -> ChangeRequest:
    """The holder asks for an amendment (with the proposed new values) or a renewal."""
    if kind not in ChangeRequestKind.values:
        raise ValidationError({"kind": _("Unknown kind of request.")})
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError({"reason": _("A reason is required for this step.")})
    asset = DataAsset.objects.select_for_update(of=("self",)).get(pk=asset.pk)
    if actor is None or actor.role != Role.ENTERPRISE or not actor.acts_for(asset.holder_id):
        raise NotPermitted(_("Only the holder's users may file this request."))
    if asset.status != AssetStatus.REGISTERED:
        raise InvalidTransition(
            _("Only a registered asset can be amended or renewed; this asset is %(status)s.")
            % {"status": asset.get_status_display()}
        )
    proposed: dict[str, Any] = {}
    if kind == ChangeRequestKind.AMENDMENT:
        typed = typed_changes(proposed_changes or {})
        changed = {f: v for f, v in typed.items() if getattr(asset, f) != v}
        if not changed:
            raise ValidationError({"proposed_changes": _("The amendment changes nothing.")})
        proposed = {f: journal.jsonable(v) for f, v in changed.items()}
    elif proposed_changes:
        raise ValidationError({"proposed_changes": _("A renewal proposes no content change.")})
    if ChangeRequest.objects.filter(
        asset=asset, kind=kind, status=ChangeRequestStatus.OPEN
    ).exists():
        raise ValidationError(
            {"kind": _("An open request of this kind already exists for this asset.")}
        )
    request = ChangeRequest.objects.create(
        asset=asset,
        kind=kind,
        requested_by=actor,
        proposed_changes=proposed,
        reason=reason,
    )
    _record(CHANGE_REQUEST_FILED, request, actor, reason)
    return request


@transaction.atomic
def change_request_approve(
    *, request: ChangeRequest, actor: User | None, note: str = "", on: dt.date | None = None
) -> ChangeRequest:
    """Run the amendment or renewal the request asks for, then mark it approved. `on` is the
    renewal day (default today)."""
    _require_registrar(actor)
    request = _lock_open(request)
    note = (note or "").strip()
    reason = request.reason if not note else f"{request.reason}\n{note}"
    if request.kind == ChangeRequestKind.AMENDMENT:
        post_registration.asset_amend(
            asset=request.asset,
            actor=actor,
            changes=typed_changes(request.proposed_changes),
            reason=reason,
        )
    else:
        post_registration.asset_renew(asset=request.asset, actor=actor, on=on, reason=reason)
    request.asset.refresh_from_db()
    return _decide(
        request,
        actor=actor,
        status=ChangeRequestStatus.APPROVED,
        note=note,
        event_type=CHANGE_REQUEST_APPROVED,
    )


@transaction.atomic
def change_request_reject(
    *, request: ChangeRequest, actor: User | None, note: str
) -> ChangeRequest:
    """Refuse the request; the registrar says why."""
    _require_registrar(actor)
    note = (note or "").strip()
    if not note:
        raise ValidationError({"note": _("Say why the request is rejected.")})
    request = _lock_open(request)
    return _decide(
        request,
        actor=actor,
        status=ChangeRequestStatus.REJECTED,
        note=note,
        event_type=CHANGE_REQUEST_REJECTED,
    )
