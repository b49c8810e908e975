"""Registration after an uncontested publicity (公示期满无异议，予以登记).

Not before the day after the publicity ends, not with an open objection, not after the source
licence ended. Draws the registration number from the sequence, sets the validity (capped by the
source licence), writes version 1 and issues the certificate. `actor=None` (the registry itself,
`registry_tick`) is accepted.
"""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.db import transaction
from django.utils.translation import gettext as _

from core import clock, sequences
from registry import journal
from registry.certificates import registration_certificate_issue
from registry.choices import DATA_SOURCE_CODES, DataSource, ObjectionStatus, VersionReason
from registry.exceptions import TransitionBlocked
from registry.identifiers import compose_registration_number
from registry.models import DataAsset, User
from registry.periods import validity_end
from registry.services._common import (
    _add_version,
    _check_transition,
    _lock,
    _move,
    _require_registrar,
)
from registry.workflow import Action


# --- registration ----------------------------------------------------------------------------
@transaction.atomic
def asset_register(
    *, asset: DataAsset | int, actor: User | None, on: dt.date | None = None, reason: str = ""
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
        source_code=DATA_SOURCE_CODES[DataSource(asset.source)],
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
    registration_certificate_issue(asset=asset, actor=actor, reason="registration")
    return asset
