"""Every write of the registry. Admin actions, views, API endpoints and commands call these.

Each workflow service: locks the asset row (`select_for_update`), checks the workflow table and the
step's own rules, raises a `RegistryError` with a clear message when refused (nothing written),
saves with `update_fields` and records one journal event in the same transaction.

`actor` is the user acting. `None` means the registry itself (the `registry_tick` housekeeping),
accepted only for the time-driven steps: registration after an uncontested publicity and expiry.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import hashlib
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files import File
from django.db import transaction
from django.utils.translation import gettext as _

from certificates import services as certificate_services
from core import clock, sequences
from pledges.models import Pledge, PledgeStatus
from pledges.services import active_pledges_block, pledge_expire
from registry import journal, notifications
from registry.choices import (
    DATA_SOURCE_CODES,
    LIVE_STATUSES,
    AssetStatus,
    ObjectionStatus,
    OrganisationKind,
    Role,
    VersionReason,
)
from registry.exceptions import (
    IncompleteApplication,
    InvalidTransition,
    NotPermitted,
    RegistryError,
    TransitionBlocked,
)
from registry.identifiers import compose_application_number, compose_registration_number
from registry.models import (
    AssetVersion,
    CalendarOverride,
    DataAsset,
    Objection,
    Organisation,
    OrganisationAPIKey,
    User,
)
from registry.models.assets import CONTENT_FIELDS
from registry.periods import validity_end
from registry.workdays import add_working_days
from registry.workflow import ACTION_LABELS, Action, target_of
from registry.workflow import allows as workflow_allows

# Content the holder may fill in through `asset_create` / `asset_update_draft`.
EDITABLE_FIELDS = (
    *CONTENT_FIELDS,
    "agent",
    "power_of_attorney",
    "source_proof_file",
    "sample_file",
)
# Fields an amendment may change; the holder changes by transfer, validity by renewal.
AMENDABLE_FIELDS = CONTENT_FIELDS
RENEWAL_WINDOW_DAYS = 180


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


def _calendar_overrides(start: dt.date) -> dict[dt.date, bool]:
    # Ten working days never span more than a few weeks, even across the Spring Festival.
    window_end = start + dt.timedelta(days=120)
    return dict(
        CalendarOverride.objects.filter(date__gt=start, date__lte=window_end).values_list(
            "date", "is_working_day"
        )
    )


# --- organisations and calendar ---------------------------------------------------------------
@transaction.atomic
def organisation_create(*, actor: User | None, **fields: Any) -> Organisation:
    _require_registrar(actor)
    organisation = Organisation(**fields)
    organisation.full_clean()
    organisation.save()
    journal.record_organisation_event(
        event_type=journal.ORGANISATION_CREATED,
        organisation=organisation,
        actor=actor,
        changes={field: (None, getattr(organisation, field)) for field in fields},
    )
    return organisation


@transaction.atomic
def organisation_update(
    *, organisation: Organisation, actor: User | None, **fields: Any
) -> Organisation:
    _require_registrar(actor)
    organisation = Organisation.objects.select_for_update().get(pk=organisation.pk)
    changes = {}
    for field, value in fields.items():
        old = getattr(organisation, field)
        if old != value:
            changes[field] = (old, value)
            setattr(organisation, field, value)
    if not changes:
        return organisation
    organisation.full_clean()
    organisation.save(update_fields=list(changes))
    journal.record_organisation_event(
        event_type=journal.ORGANISATION_UPDATED,
        organisation=organisation,
        actor=actor,
        changes=changes,
    )
    return organisation


@transaction.atomic
def calendar_override_set(
    *, actor: User | None, day: dt.date, is_working_day: bool, note: str
) -> CalendarOverride:
    _require_registrar(actor)
    note = _require_reason(note, "note")
    previous = CalendarOverride.objects.select_for_update().filter(date=day).first()
    override, _created = CalendarOverride.objects.update_or_create(
        date=day, defaults={"is_working_day": is_working_day, "note": note}
    )
    journal.record_calendar_override(
        day=day,
        is_working_day=is_working_day,
        note=note,
        actor=actor,
        previous=previous.is_working_day if previous else None,
    )
    return override


# --- API keys ---------------------------------------------------------------------------------
@transaction.atomic
def api_key_issue(
    *, organisation: Organisation, actor: User | None, name: str = ""
) -> tuple[OrganisationAPIKey, str]:
    """A new key for the organisation's systems; the secret is returned once and never stored.

    `actor=None` is an operator at the server (`manage.py issue_api_key`)."""
    if actor is not None:
        _require_registrar(actor)
    if organisation.kind == OrganisationKind.REGISTRY:
        raise ValidationError({"organisation": _("The registration body needs no API key.")})
    label = (name or "").strip() or f"{organisation.name} API"
    api_key, key = OrganisationAPIKey.objects.create_key(organisation=organisation, name=label[:50])
    journal.record_api_key_event(event_type=journal.API_KEY_ISSUED, api_key=api_key, actor=actor)
    return api_key, key


@transaction.atomic
def api_key_revoke(*, api_key: OrganisationAPIKey, actor: User | None) -> OrganisationAPIKey:
    if actor is not None:
        _require_registrar(actor)
    api_key = OrganisationAPIKey.objects.select_for_update().get(pk=api_key.pk)
    if api_key.revoked:
        raise InvalidTransition(_("This API key is already revoked."))
    api_key.revoked = True
    api_key.save(update_fields=["revoked"])
    journal.record_api_key_event(event_type=journal.API_KEY_REVOKED, api_key=api_key, actor=actor)
    return api_key


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


# --- review (registrar side) -----------------------------------------------------------------
@transaction.atomic
def asset_return_for_correction(
    *, asset: DataAsset, actor: User | None, missing: list[str], reason: str = ""
) -> DataAsset:
    """Return the application with ONE notice listing everything that must be corrected."""
    _require_registrar(actor)
    items = [item.strip() for item in missing if item and item.strip()]
    if not items:
        raise ValidationError({"missing": _("List what must be corrected or supplied.")})
    asset = _lock(asset)
    _check_transition(asset, Action.RETURN)
    notice = "\n".join(f"{index}. {item}" for index, item in enumerate(items, start=1))
    return _move(
        asset,
        Action.RETURN,
        actor=actor,
        event_type=journal.ASSET_RETURNED,
        reason=reason.strip(),
        fields={"correction_notice": notice},
        details={"missing": items},
    )


@transaction.atomic
def asset_accept_for_review(*, asset: DataAsset, actor: User | None, reason: str = "") -> DataAsset:
    """Formal review passed (材料齐全): the application goes to substantive review."""
    _require_registrar(actor)
    asset = _lock(asset)
    _check_transition(asset, Action.ACCEPT)
    return _move(
        asset, Action.ACCEPT, actor=actor, event_type=journal.ASSET_ACCEPTED, reason=reason.strip()
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


@transaction.atomic
def asset_reject(*, asset: DataAsset, actor: User | None, reason: str) -> DataAsset:
    _require_registrar(actor)
    reason = _require_reason(reason)
    asset = _lock(asset)
    _check_transition(asset, Action.REJECT)
    return _move(
        asset, Action.REJECT, actor=actor, event_type=journal.ASSET_REJECTED, reason=reason
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


# --- registration ----------------------------------------------------------------------------
@transaction.atomic
def asset_register(
    *, asset: DataAsset, actor: User | None, on: dt.date | None = None, reason: str = ""
) -> DataAsset:
    """Register after an uncontested publicity: number from the sequence, validity, version 1."""
    _require_registrar(actor, allow_system=True)
    asset = _lock(asset)
    _check_transition(asset, Action.REGISTER)
    day = on or clock.today()
    if asset.publicity_end is None or day <= asset.publicity_end:
        raise TransitionBlocked(
            _(
                "The publicity period runs until %(end)s; "
                "registration is possible from the next day."
            )
            % {"end": asset.publicity_end.isoformat() if asset.publicity_end else "?"}
        )
    if asset.objections.filter(status=ObjectionStatus.OPEN).exists():
        raise TransitionBlocked(_("An open objection must be resolved before registration."))
    if asset.source_licence_end and asset.source_licence_end < day:
        raise TransitionBlocked(
            _("The source licence ended on %(end)s; the asset cannot be registered.")
            % {"end": asset.source_licence_end.isoformat()}
        )
    number = compose_registration_number(
        year=day.year,
        source_code=DATA_SOURCE_CODES[asset.source],
        subject_code=asset.holder.uscc[0],
        sequence=sequences.next_value(sequences.REGISTRATION_NUMBER),
    )
    valid_until = validity_end(
        day, years=settings.REGISTRY_VALIDITY_YEARS, licence_end=asset.source_licence_end
    )
    _move(
        asset,
        Action.REGISTER,
        actor=actor,
        event_type=journal.ASSET_REGISTERED,
        reason=reason.strip(),
        fields={
            "registration_number": number,
            "registered_at": clock.now(),
            "valid_from": day,
            "valid_until": valid_until,
            "version": 1,
        },
        details={"registration_number": number, "valid_from": day, "valid_until": valid_until},
    )
    _add_version(asset, actor=actor, reason=VersionReason.REGISTRATION, note=reason)
    certificate_services.certificate_issue_registration(
        asset=asset, actor=actor, reason="registration"
    )
    return asset


def _add_version(
    asset: DataAsset, *, actor: User | None, reason: VersionReason, note: str = ""
) -> AssetVersion:
    return AssetVersion.objects.create(
        asset=asset,
        number=asset.version,
        reason=reason,
        holder_id=asset.holder_id,
        content=asset.content_snapshot(),
        evidence_sha256=asset.evidence_sha256,
        valid_from=asset.valid_from,
        valid_until=asset.valid_until,
        note=note,
        created_by=actor,
    )


@transaction.atomic
def asset_amend(
    *,
    asset: DataAsset,
    actor: User | None,
    changes: dict[str, Any],
    reason: str,
    new_sample: File | None = None,
) -> DataAsset:
    """Amend registered content: a new version is written, the previous ones are kept."""
    _require_registrar(actor)
    reason = _require_reason(reason)
    asset = _lock(asset)
    _check_transition(asset, Action.AMEND)
    unknown = set(changes) - set(AMENDABLE_FIELDS)
    if unknown:
        raise ValidationError({field: _("This field cannot be amended.") for field in unknown})
    diff = {f: (getattr(asset, f), v) for f, v in changes.items() if getattr(asset, f) != v}
    if new_sample is not None:
        diff["sample_file"] = (asset.sample_file.name, new_sample.name)
    if not diff:
        raise ValidationError({"changes": _("The amendment changes nothing.")})
    for field, (_old, new) in diff.items():
        if field != "sample_file":
            setattr(asset, field, new)
    if new_sample is not None:
        asset.sample_file = new_sample
    _validate(asset)
    gaps = asset.submission_gaps()
    if gaps:
        raise IncompleteApplication(gaps)
    fields: dict[str, Any] = {f: getattr(asset, f) for f in diff}
    if new_sample is not None:
        asset.sample_file.save(new_sample.name, new_sample, save=False)
        fields["sample_file"] = asset.sample_file
        fields["evidence_sha256"] = _sha256_of(asset.sample_file)
        diff["evidence_sha256"] = (asset.evidence_sha256, fields["evidence_sha256"])
    if asset.source_licence_end and asset.source_licence_end < asset.valid_from:
        raise ValidationError(
            {
                "source_licence_end": _(
                    "The source licence cannot end before the registration date %(date)s; "
                    "cancel the registration instead."
                )
                % {"date": asset.valid_from.isoformat()}
            }
        )
    if asset.source_licence_end and asset.source_licence_end < asset.valid_until:
        fields["valid_until"] = asset.source_licence_end
        diff["valid_until"] = (asset.valid_until, asset.source_licence_end)
    fields["version"] = asset.version + 1
    _move(
        asset,
        Action.AMEND,
        actor=actor,
        event_type=journal.ASSET_AMENDED,
        reason=reason,
        fields=fields,
        details={
            "version": fields["version"],
            "changes": {
                f: {"old": journal.jsonable(o), "new": journal.jsonable(n)}
                for f, (o, n) in diff.items()
            },
        },
    )
    _add_version(asset, actor=actor, reason=VersionReason.AMENDMENT, note=reason)
    certificate_services.certificate_issue_registration(
        asset=asset, actor=actor, reason="amendment"
    )
    return asset


@transaction.atomic
def asset_renew(
    *, asset: DataAsset, actor: User | None, on: dt.date | None = None, reason: str = ""
) -> DataAsset:
    """Extend validity by another term from the current end, still capped by the licence."""
    _require_registrar(actor)
    asset = _lock(asset)
    _check_transition(asset, Action.RENEW)
    day = on or clock.today()
    window_opens = asset.valid_until - dt.timedelta(days=RENEWAL_WINDOW_DAYS)
    if day < window_opens:
        raise TransitionBlocked(
            _("Renewal opens %(days)s days before expiry, on %(date)s.")
            % {"days": RENEWAL_WINDOW_DAYS, "date": window_opens.isoformat()}
        )
    new_until = validity_end(
        asset.valid_until + dt.timedelta(days=1),
        years=settings.REGISTRY_VALIDITY_YEARS,
        licence_end=asset.source_licence_end,
    )
    if new_until <= asset.valid_until:
        raise TransitionBlocked(
            _("The source licence ends on %(end)s: renewal would not extend the validity.")
            % {"end": asset.source_licence_end.isoformat()}
        )
    old_until = asset.valid_until
    _move(
        asset,
        Action.RENEW,
        actor=actor,
        event_type=journal.ASSET_RENEWED,
        reason=reason.strip(),
        fields={"valid_until": new_until, "version": asset.version + 1},
        details={"old_valid_until": old_until, "new_valid_until": new_until},
    )
    _add_version(asset, actor=actor, reason=VersionReason.RENEWAL, note=reason)
    certificate_services.certificate_issue_registration(asset=asset, actor=actor, reason="renewal")
    return asset


@transaction.atomic
def asset_transfer(
    *,
    asset: DataAsset,
    actor: User | None,
    new_holder: Organisation,
    reason: str,
    pledgee_consent: bool = False,
) -> DataAsset:
    """Record a change of holder; the registration number stays with the asset. A pledged asset
    needs the pledgees' consent."""
    _require_registrar(actor)
    reason = _require_reason(reason)
    asset = _lock(asset)
    _check_transition(asset, Action.TRANSFER)
    active_pledges_block(asset, consent=pledgee_consent, step=str(ACTION_LABELS[Action.TRANSFER]))
    if new_holder.pk == asset.holder_id:
        raise ValidationError({"new_holder": _("The asset already belongs to this holder.")})
    if new_holder.kind == OrganisationKind.REGISTRY:
        raise ValidationError({"new_holder": _("The registration body cannot hold assets here.")})
    if (
        DataAsset.objects.filter(holder=new_holder, name=asset.name, status__in=LIVE_STATUSES)
        .exclude(pk=asset.pk)
        .exists()
    ):
        raise ValidationError(
            {"new_holder": _("The new holder already has a live asset with this name.")}
        )
    old_holder = asset.holder
    _move(
        asset,
        Action.TRANSFER,
        actor=actor,
        event_type=journal.ASSET_TRANSFERRED,
        reason=reason,
        fields={"holder": new_holder, "version": asset.version + 1},
        details={"old_holder": old_holder.uscc, "new_holder": new_holder.uscc},
    )
    _add_version(asset, actor=actor, reason=VersionReason.TRANSFER, note=reason)
    certificate_services.certificate_issue_registration(asset=asset, actor=actor, reason="transfer")
    return asset


@transaction.atomic
def asset_cancel(
    *, asset: DataAsset, actor: User | None, reason: str, pledgee_consent: bool = False
) -> DataAsset:
    """Cancellation (注销) at the holder's request; a pledged asset needs the pledgees' consent."""
    reason = _require_reason(reason)
    asset = _lock(asset)
    _require_holder_or_registrar(actor, asset.holder_id)
    _check_transition(asset, Action.CANCEL)
    active_pledges_block(asset, consent=pledgee_consent, step=str(ACTION_LABELS[Action.CANCEL]))
    _move(asset, Action.CANCEL, actor=actor, event_type=journal.ASSET_CANCELLED, reason=reason)
    certificate_services.certificate_revoke_registration(asset=asset, actor=actor, reason=reason)
    return asset


@transaction.atomic
def asset_revoke(*, asset: DataAsset, actor: User | None, reason: str) -> DataAsset:
    """Revocation (撤销) by the registrar, e.g. for fraud or an unlawful source."""
    _require_registrar(actor)
    reason = _require_reason(reason)
    asset = _lock(asset)
    _check_transition(asset, Action.REVOKE)
    _move(asset, Action.REVOKE, actor=actor, event_type=journal.ASSET_REVOKED, reason=reason)
    certificate_services.certificate_revoke_registration(asset=asset, actor=actor, reason=reason)
    return asset


@transaction.atomic
def asset_expire(
    *, asset: DataAsset, actor: User | None = None, on: dt.date | None = None
) -> DataAsset:
    _require_registrar(actor, allow_system=True)
    asset = _lock(asset)
    _check_transition(asset, Action.EXPIRE)
    day = on or clock.today()
    if asset.valid_until >= day:
        raise TransitionBlocked(
            _("The registration is valid until %(end)s.") % {"end": asset.valid_until.isoformat()}
        )
    return _move(
        asset,
        Action.EXPIRE,
        actor=actor,
        event_type=journal.ASSET_EXPIRED,
        details={"valid_until": asset.valid_until},
    )


def renewal_window_opens(asset: DataAsset) -> dt.date | None:
    if asset.valid_until is None:
        return None
    return asset.valid_until - dt.timedelta(days=RENEWAL_WINDOW_DAYS)


# --- housekeeping ----------------------------------------------------------------------------
@dataclasses.dataclass
class TickReport:
    registered: list[str] = dataclasses.field(default_factory=list)
    expired: list[str] = dataclasses.field(default_factory=list)
    pledges_expired: list[str] = dataclasses.field(default_factory=list)
    failed: dict[int | str, str] = dataclasses.field(default_factory=dict)


def registry_tick(*, today: dt.date | None = None) -> TickReport:
    """Move the time-driven states: register assets whose publicity ended uncontested
    (公示期满无异议，予以登记) and expire registrations past their validity.

    Each asset in its own transaction, so one refusal does not hold back the others."""
    day = today or clock.today()
    report = TickReport()
    due = (
        DataAsset.objects.filter(status=AssetStatus.PUBLICITY, publicity_end__lt=day)
        .exclude(objections__status=ObjectionStatus.OPEN)
        .order_by("publicity_end", "pk")
        .values_list("pk", flat=True)
    )
    for pk in due:
        try:
            asset = asset_register(asset=pk, actor=None, on=day)
        except (RegistryError, ValidationError) as exc:
            report.failed[pk] = str(getattr(exc, "message", exc))
        else:
            report.registered.append(asset.registration_number)
    lapsed = (
        DataAsset.objects.filter(status=AssetStatus.REGISTERED, valid_until__lt=day)
        .order_by("valid_until", "pk")
        .values_list("pk", flat=True)
    )
    for pk in lapsed:
        try:
            asset = asset_expire(asset=pk, actor=None, on=day)
        except (RegistryError, ValidationError) as exc:
            report.failed[pk] = str(getattr(exc, "message", exc))
        else:
            report.expired.append(asset.registration_number)
    lapsed_pledges = (
        Pledge.objects.filter(status=PledgeStatus.ACTIVE, registration_end__lt=day)
        .order_by("registration_end", "pk")
        .values_list("number", flat=True)
    )
    for number in lapsed_pledges:
        try:
            pledge_expire(pledge=number, on=day)
        except (RegistryError, ValidationError) as exc:
            report.failed[number] = str(getattr(exc, "message", exc))
        else:
            report.pledges_expired.append(number)
    return report
