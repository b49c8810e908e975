"""Shared steps of the registry's write services; private to `registry.services`.

Permission checks, the row lock, the workflow check, the transition writer, validation, the
evidence hash and the version snapshot. A workflow service locks the asset row with `_lock`, checks
with `_check_transition` and its own rules before writing anything, and writes a transition only
through `_move`: status and fields saved with `update_fields`, one journal event in the same
transaction, the notification sent after commit.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files import File
from django.utils.translation import gettext as _

from core import clock
from registry import journal, notifications
from registry.choices import LIVE_STATUSES, Role, VersionReason
from registry.exceptions import InvalidTransition, NotPermitted
from registry.models import AssetVersion, DataAsset, User
from registry.workflow import ACTION_LABELS, Action, target_of
from registry.workflow import allows as workflow_allows


# --- permissions -----------------------------------------------------------------------------
def _require_registrar(actor: User | None, *, allow_system: bool = False) -> None:
    if actor is None:
        if allow_system:
            return
        raise NotPermitted(_("Only a registrar may perform this step."))
    if not actor.is_registrar:
        raise NotPermitted(_("Only a registrar may perform this step."))


def _require_holder_or_registrar(actor: User | None, holder_id: int) -> None:
    if actor is None:
        raise NotPermitted(_("Sign in to act on this asset."))
    if actor.is_registrar:
        return
    if actor.role == Role.ENTERPRISE and actor.acts_for(holder_id):
        return
    raise NotPermitted(_("Only the holder's users or a registrar may perform this step."))


def _require_reason(reason: str, field: str = "reason") -> str:
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError({field: _("A reason is required for this step.")})
    return reason


# --- shared steps ----------------------------------------------------------------------------
def _validity(asset: DataAsset) -> tuple[dt.date, dt.date]:
    """A registered asset's validity period. The database guarantees both dates once an asset has
    a registration number (constraint on `DataAsset`); an asset without them is refused."""
    if asset.valid_from is None or asset.valid_until is None:
        raise InvalidTransition(_("The asset has no registration period."))
    return asset.valid_from, asset.valid_until


def _lock(asset: DataAsset | int) -> DataAsset:
    pk = asset.pk if isinstance(asset, DataAsset) else asset
    return DataAsset.objects.select_for_update(of=("self",)).select_related("holder").get(pk=pk)


def _check_transition(asset: DataAsset, action: Action) -> None:
    if not workflow_allows(asset.status, action):
        raise InvalidTransition(
            _("Cannot %(action)s: the asset is %(status)s.")
            % {"action": ACTION_LABELS[action], "status": asset.get_status_display()}
        )


def _move(
    asset: DataAsset,
    action: Action,
    *,
    actor: User | None,
    event_type: str,
    reason: str = "",
    fields: dict[str, Any] | None = None,
    details: dict | None = None,
    actor_label: str | None = None,
) -> DataAsset:
    """Apply a checked transition: set status and fields, save them, journal the step."""
    old_status = asset.status
    asset.status = target_of(action)
    asset.status_reason = reason
    asset.status_changed_at = clock.now()
    for field, value in (fields or {}).items():
        setattr(asset, field, value)
    asset.save(
        update_fields=[
            "status",
            "status_reason",
            "status_changed_at",
            "updated_at",
            *(fields or {}),
        ]
    )
    journal.record_asset_transition(
        event_type=event_type,
        asset=asset,
        actor=actor,
        old_status=old_status,
        reason=reason,
        details=details,
        actor_label=actor_label,
    )
    notifications.notify_after_commit(asset, event_type)
    return asset


def _validate(asset: DataAsset) -> None:
    """Field validators and cross-field rules, with the uniqueness checks left to constraints."""
    asset.full_clean(exclude=["joint_holders"], validate_unique=False, validate_constraints=False)
    clash = (
        DataAsset.objects.filter(
            holder_id=asset.holder_id,
            name=asset.name,
            status__in=LIVE_STATUSES,
        )
        .exclude(pk=asset.pk)
        .exists()
    )
    if clash:
        raise ValidationError(
            {
                "name": _(
                    "This holder already has a live application or registration with this name."
                )
            }
        )


def _sha256_of(file: File) -> str:
    limit = settings.REGISTRY_SAMPLE_MAX_BYTES
    digest = hashlib.sha256()
    size = 0
    file.open("rb")
    try:
        for chunk in file.chunks():
            size += len(chunk)
            if size > limit:
                raise ValidationError(
                    {
                        "sample_file": _("The sample file exceeds %(limit)s bytes.")
                        % {"limit": limit}
                    }
                )
            digest.update(chunk)
    finally:
        file.close()
    return digest.hexdigest()


def _add_version(
    asset: DataAsset, *, actor: User | None, reason: VersionReason, note: str = ""
) -> AssetVersion:
    valid_from, valid_until = _validity(asset)
    return AssetVersion.objects.create(
        asset=asset,
        number=asset.version,
        reason=reason,
        holder_id=asset.holder_id,
        content=asset.content_snapshot(),
        evidence_sha256=asset.evidence_sha256,
        valid_from=valid_from,
        valid_until=valid_until,
        note=note,
        created_by=actor,
    )
