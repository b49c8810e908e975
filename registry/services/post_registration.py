"""Steps on a registered asset: amendment, renewal, transfer, cancellation, revocation, expiry.

Amendment, renewal and transfer each write a new version (the previous ones are kept) and reissue
the certificate; cancellation and revocation revoke it. Only `AMENDABLE_FIELDS` can be amended:
the holder changes by transfer, the validity by renewal, always capped by the source licence.
Transfer and cancellation of a pledged asset need the pledgees' consent. Expiry also runs as the
registry itself (`actor=None`).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files import File
from django.db import transaction
from django.utils.translation import gettext as _

from core import clock
from registry import extensions, journal
from registry.certificates import registration_certificate_issue, registration_certificate_revoke
from registry.choices import LIVE_STATUSES, OrganisationKind, VersionReason
from registry.exceptions import IncompleteApplication, TransitionBlocked
from registry.models import DataAsset, Organisation, User
from registry.models.assets import CONTENT_FIELDS
from registry.periods import validity_end
from registry.services._common import (
    _add_version,
    _check_transition,
    _lock,
    _move,
    _require_holder_or_registrar,
    _require_reason,
    _require_registrar,
    _sha256_of,
    _validate,
    _validity,
)
from registry.workflow import ACTION_LABELS, Action

# Fields an amendment may change; the holder changes by transfer, validity by renewal.
AMENDABLE_FIELDS = CONTENT_FIELDS
RENEWAL_WINDOW_DAYS = 180


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
        asset.sample_file.save(new_sample.name or "sample", new_sample, save=False)
        fields["sample_file"] = asset.sample_file
        fields["evidence_sha256"] = _sha256_of(asset.sample_file)
        diff["evidence_sha256"] = (asset.evidence_sha256, fields["evidence_sha256"])
    valid_from, valid_until = _validity(asset)
    if asset.source_licence_end and asset.source_licence_end < valid_from:
        raise ValidationError(
            {
                "source_licence_end": _(
                    "The source licence cannot end before the registration date %(date)s; "
                    "cancel the registration instead."
                )
                % {"date": valid_from.isoformat()}
            }
        )
    if asset.source_licence_end and asset.source_licence_end < valid_until:
        fields["valid_until"] = asset.source_licence_end
        diff["valid_until"] = (valid_until, asset.source_licence_end)
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
    registration_certificate_issue(asset=asset, actor=actor, reason="amendment")
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
    _valid_from, valid_until = _validity(asset)
    window_opens = valid_until - dt.timedelta(days=RENEWAL_WINDOW_DAYS)
    if day < window_opens:
        raise TransitionBlocked(
            _("Renewal opens %(days)s days before expiry, on %(date)s.")
            % {"days": RENEWAL_WINDOW_DAYS, "date": window_opens.isoformat()}
        )
    new_until = validity_end(
        valid_until + dt.timedelta(days=1),
        years=settings.REGISTRY_VALIDITY_YEARS,
        licence_end=asset.source_licence_end,
    )
    if new_until <= valid_until:
        raise TransitionBlocked(
            _("The source licence ends on %(end)s: renewal would not extend the validity.")
            % {"end": (asset.source_licence_end or valid_until).isoformat()}
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
    registration_certificate_issue(asset=asset, actor=actor, reason="renewal")
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
    extensions.check_encumbrances(
        asset, consent=pledgee_consent, step=str(ACTION_LABELS[Action.TRANSFER])
    )
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
    registration_certificate_issue(asset=asset, actor=actor, reason="transfer")
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
    extensions.check_encumbrances(
        asset, consent=pledgee_consent, step=str(ACTION_LABELS[Action.CANCEL])
    )
    _move(asset, Action.CANCEL, actor=actor, event_type=journal.ASSET_CANCELLED, reason=reason)
    registration_certificate_revoke(asset=asset, actor=actor, reason=reason)
    return asset


@transaction.atomic
def asset_revoke(*, asset: DataAsset, actor: User | None, reason: str) -> DataAsset:
    """Revocation (撤销) by the registrar, e.g. for fraud or an unlawful source."""
    _require_registrar(actor)
    reason = _require_reason(reason)
    asset = _lock(asset)
    _check_transition(asset, Action.REVOKE)
    _move(asset, Action.REVOKE, actor=actor, event_type=journal.ASSET_REVOKED, reason=reason)
    registration_certificate_revoke(asset=asset, actor=actor, reason=reason)
    return asset


@transaction.atomic
def asset_expire(
    *, asset: DataAsset | int, actor: User | None = None, on: dt.date | None = None
) -> DataAsset:
    _require_registrar(actor, allow_system=True)
    asset = _lock(asset)
    _check_transition(asset, Action.EXPIRE)
    day = on or clock.today()
    _valid_from, valid_until = _validity(asset)
    if valid_until >= day:
        raise TransitionBlocked(
            _("The registration is valid until %(end)s.") % {"end": valid_until.isoformat()}
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
