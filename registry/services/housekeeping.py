"""The time-driven steps, run by the registry itself (`actor=None`): `registry_tick`.

Each asset is moved in its own transaction, so one refusal does not hold back the others; refusals
are reported, not raised.
"""

from __future__ import annotations

import dataclasses
import datetime as dt

from django.core.exceptions import ValidationError

from core import clock
from registry.choices import AssetStatus, ObjectionStatus
from registry.exceptions import RegistryError
from registry.models import DataAsset
from registry.services.post_registration import asset_expire
from registry.services.registration import asset_register


# --- housekeeping ----------------------------------------------------------------------------
@dataclasses.dataclass
class TickReport:
    registered: list[str] = dataclasses.field(default_factory=list)
    expired: list[str] = dataclasses.field(default_factory=list)
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
            report.registered.append(asset.registration_number or "")
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
            report.expired.append(asset.registration_number or "")
    return report
