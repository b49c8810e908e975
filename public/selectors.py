"""Reads behind the public pages (no login).

The public register shows registered assets and what became of them (expired, cancelled, revoked),
built on `records.register.public_assets()`, as the bank API is, so that both answer the same
question the same way; drafts and applications under review never appear. The publicity list
shows applications now announced (in publicity, or with an objection pending). Only public fields
reach the templates.
"""

from __future__ import annotations

import re

from django.db.models import Q, QuerySet

from core import clock
from records.register import current_certificate, public_assets
from registry.choices import AssetStatus
from registry.models import DataAsset, Objection

PUBLICITY_STATUSES = (AssetStatus.PUBLICITY, AssetStatus.OBJECTED)
# What the templates read on an asset of the public register: not a model field, so it is set
# by name (mypy knows only the model's attributes).
PUBLIC_CERTIFICATE = "public_certificate"


def public_asset_search(
    *, text: str = "", status: str = "", category: str = ""
) -> QuerySet[DataAsset]:
    """The public register filtered by status and category, newest registration first.

    `text` matches the asset or holder name (contains), the registration number (contains,
    spaces and dashes ignored) or the holder's USCC (exact, as a bank would type it)."""
    assets = public_assets()
    text = (text or "").strip()
    if text:
        compact = re.sub(r"[\s-]", "", text).upper()
        condition = Q(name__icontains=text) | Q(holder__name__icontains=text)
        if compact:
            condition |= Q(registration_number__contains=compact) | Q(holder__uscc=compact)
        assets = assets.filter(condition)
    if status:
        assets = assets.filter(status=status)
    if category:
        assets = assets.filter(data_category=category)
    return assets.order_by("-registered_at", "-id")


def with_certificates(assets) -> list[DataAsset]:
    """Evaluate `assets` (from `public_assets()`) and attach `public_certificate`: the current
    registration certificate's number and effective status, or None. No query per asset."""
    assets = list(assets)
    for asset in assets:
        _attach_certificate(asset)
    return assets


def public_asset_by_number(number: str) -> DataAsset | None:
    """One asset of the public register by its canonical registration number, or None."""
    asset = public_assets().filter(registration_number=number).first()
    if asset is not None:
        _attach_certificate(asset)
    return asset


def _attach_certificate(asset: DataAsset) -> None:
    setattr(asset, PUBLIC_CERTIFICATE, current_certificate(asset))


def publicity_assets() -> QuerySet[DataAsset]:
    """Applications now announced, the latest announcement first."""
    return (
        DataAsset.objects.filter(status__in=PUBLICITY_STATUSES)
        .select_related("holder")
        .order_by("-publicity_start", "-id")
    )


def announced_asset(asset_id: int) -> DataAsset | None:
    """An asset whose application has been announced (its publicity started at some point), so
    its name and holder are already public; None for drafts and applications never announced.
    Whether an objection is still accepted is the service's decision, not this one's."""
    return (
        DataAsset.objects.select_related("holder")
        .filter(pk=asset_id, publicity_start__isnull=False)
        .first()
    )


def open_to_objection(asset: DataAsset) -> bool:
    """What the objection page tells the visitor before they write; `objection_file` decides."""
    return asset.status in PUBLICITY_STATUSES and (
        asset.publicity_end is None or clock.today() <= asset.publicity_end
    )


def filed_objection(*, objection_id: int, asset_id: int) -> Objection | None:
    return (
        Objection.objects.select_related("asset").filter(pk=objection_id, asset_id=asset_id).first()
    )
