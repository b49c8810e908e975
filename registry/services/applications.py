"""The holder's side of an application: create and edit a draft, submit it.

Only `EDITABLE_FIELDS` can be set, and only while the application is a draft or returned for
correction (registered content changes only by amendment). Submission checks completeness, hashes
the evidence and draws the application number once.
"""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from core import clock, sequences
from registry import journal
from registry.choices import AssetStatus, OrganisationKind
from registry.exceptions import IncompleteApplication, InvalidTransition
from registry.identifiers import compose_application_number
from registry.models import DataAsset, Organisation, User
from registry.models.assets import CONTENT_FIELDS
from registry.services._common import (
    _check_transition,
    _lock,
    _move,
    _require_holder_or_registrar,
    _sha256_of,
    _validate,
)
from registry.workflow import Action

# Content the holder may fill in through `asset_create` / `asset_update_draft`.
EDITABLE_FIELDS = (
    *CONTENT_FIELDS,
    "agent",
    "power_of_attorney",
    "source_proof_file",
    "sample_file",
)


# --- application (holder side) ---------------------------------------------------------------
@transaction.atomic
def asset_create(
    *,
    actor: User | None,
    holder: Organisation,
    data: dict[str, Any],
    joint_holders: list[Organisation] | None = None,
) -> DataAsset:
    """Create a draft application. Validates every field; nothing is written on error."""
    _require_holder_or_registrar(actor, holder.pk)
    if holder.kind == OrganisationKind.REGISTRY:
        raise ValidationError({"holder": _("The registration body cannot hold assets here.")})
    unknown = set(data) - set(EDITABLE_FIELDS)
    if unknown:
        raise ValidationError({field: _("This field cannot be set here.") for field in unknown})
    asset = DataAsset(holder=holder, created_by=actor, status=AssetStatus.DRAFT, **data)
    _validate(asset)
    asset.save()
    if joint_holders:
        asset.joint_holders.set([org for org in joint_holders if org.pk != holder.pk])
    journal.record_asset_created(asset=asset, actor=actor)
    return asset


@transaction.atomic
def asset_update_draft(
    *,
    asset: DataAsset,
    actor: User | None,
    data: dict[str, Any],
    joint_holders: list[Organisation] | None = None,
) -> DataAsset:
    """Edit a draft or returned application; registered content changes only by amendment."""
    asset = _lock(asset)
    _require_holder_or_registrar(actor, asset.holder_id)
    if not asset.is_editable:
        raise InvalidTransition(
            _("Only a draft or a returned application can be edited; this asset is %(status)s.")
            % {"status": asset.get_status_display()}
        )
    unknown = set(data) - set(EDITABLE_FIELDS)
    if unknown:
        raise ValidationError({field: _("This field cannot be set here.") for field in unknown})
    changes = {}
    for field, value in data.items():
        old = getattr(asset, field)
        if old != value:
            changes[field] = (old, value)
            setattr(asset, field, value)
    if changes:
        _validate(asset)
        asset.save(update_fields=[*changes, "updated_at"])
    if joint_holders is not None:
        old_joint = sorted(asset.joint_holders.values_list("uscc", flat=True))
        new_joint = sorted(org.uscc for org in joint_holders if org.pk != asset.holder_id)
        if old_joint != new_joint:
            asset.joint_holders.set([org for org in joint_holders if org.pk != asset.holder_id])
            changes["joint_holders"] = (old_joint, new_joint)
    if changes:
        journal.record_asset_updated(asset=asset, actor=actor, changes=changes)
    return asset


@transaction.atomic
def asset_submit(*, asset: DataAsset, actor: User | None) -> DataAsset:
    """Submit (or resubmit after correction): completeness check, evidence hash, number."""
    asset = _lock(asset)
    _require_holder_or_registrar(actor, asset.holder_id)
    _check_transition(asset, Action.SUBMIT)
    _validate(asset)
    gaps = asset.submission_gaps()
    if gaps:
        raise IncompleteApplication(gaps)
    fields: dict[str, Any] = {"submitted_at": clock.now(), "correction_notice": ""}
    if asset.sample_file:
        fields["evidence_sha256"] = _sha256_of(asset.sample_file)
    if not asset.application_number:
        fields["application_number"] = compose_application_number(
            year=clock.today().year, sequence=sequences.next_value(sequences.APPLICATION_NUMBER)
        )
    resubmission = asset.status == AssetStatus.RETURNED
    return _move(
        asset,
        Action.SUBMIT,
        actor=actor,
        event_type=journal.ASSET_SUBMITTED,
        fields=fields,
        details={
            "application_number": fields.get("application_number", asset.application_number),
            "evidence_sha256": fields.get("evidence_sha256", asset.evidence_sha256),
            "resubmission": resubmission,
        },
    )
