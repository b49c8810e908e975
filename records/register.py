"""The public register as the public pages and the bank API read it: registered assets and what
became of them (expired, cancelled, revoked), with their current grade and value, their current
registration certificate and whether a pledge is active, in one query. Drafts and applications
under review are never shown.

This is a read model over several domains (registry, pledges, valuation, certificates), so it
lives above them; the pages and the API answer the same question the same way through it.
"""

from __future__ import annotations

import dataclasses
import itertools
import re
from collections.abc import Iterable

from django.db.models import (
    Case,
    Exists,
    OuterRef,
    Prefetch,
    Q,
    QuerySet,
    Subquery,
    Value,
    When,
)

from certificates.models import Certificate, CertificateKind, CertificateStatus
from certificates.selectors import effective_status
from core.precompiled import LOOKUP_CHUNK
from pledges.selectors import active_pledges
from registry.choices import NUMBERED_STATUSES
from registry.models import DataAsset, Organisation
from valuation.selectors import with_current_valuation


def with_register_annotations(assets: QuerySet[DataAsset]) -> QuerySet[DataAsset]:
    """`assets` with current grade / value, their current registration certificate (the valid
    one, else the latest) and whether any pledge is active."""
    certificates = Certificate.objects.filter(
        asset=OuterRef("pk"), kind=CertificateKind.REGISTRATION
    ).order_by(
        Case(When(status=CertificateStatus.VALID, then=Value(0)), default=Value(1)),
        "-issued_at",
        "-id",
    )
    return with_current_valuation(assets).annotate(
        encumbered=Exists(active_pledges().filter(asset=OuterRef("pk"))),
        certificate_number=Subquery(certificates.values("number")[:1]),
        certificate_status=Subquery(certificates.values("status")[:1]),
    )


def public_assets() -> QuerySet[DataAsset]:
    """Registered-and-later assets with holder, current grade / value, their current registration
    certificate (the valid one, else the latest) and whether any pledge is active: one query."""
    assets = DataAsset.objects.filter(status__in=NUMBERED_STATUSES).select_related("holder")
    return with_register_annotations(assets)


def asset_text_search(assets: QuerySet[DataAsset], text: str) -> QuerySet[DataAsset]:
    """Name, registration number (spaces and dashes ignored) or holder name contains `text`."""
    text = text.strip()
    if not text:
        return assets
    number = re.sub(r"[\s-]", "", text).upper()
    condition = Q(name__icontains=text) | Q(holder__name__icontains=text)
    if number:
        condition |= Q(registration_number__contains=number)
    return assets.filter(condition)


def pledge_status_assets() -> QuerySet[DataAsset]:
    """`public_assets()` plus the active pledges in priority order (`asset.active_pledges`)."""
    return public_assets().prefetch_related(
        Prefetch(
            "pledges",
            queryset=active_pledges().select_related("pledgee").order_by("priority"),
            to_attr="active_pledges",
        )
    )


def public_asset(number: str) -> DataAsset | None:
    """One asset of the public register by its canonical registration number (one query)."""
    return public_assets().filter(registration_number=number).first()


def asset_by_number(number: str) -> DataAsset | None:
    """Any asset with this registration number (the service decides what may be done to it)."""
    return DataAsset.objects.filter(registration_number=number).first()


def organisation_by_uscc(uscc: str) -> Organisation | None:
    return Organisation.objects.filter(uscc=uscc).first()


def assets_for_pledge_status(numbers: Iterable[str]) -> dict[str, DataAsset]:
    """The public assets among canonical `numbers`, by number, as model instances with their
    `active_pledges`: two queries per 500 numbers. (The API's pledge status reads the same rows
    through `pledge_status_snapshots`, without model instances.)"""
    found: dict[str, DataAsset] = {}
    for chunk in itertools.batched(sorted(set(numbers)), LOOKUP_CHUNK):
        for asset in pledge_status_assets().filter(registration_number__in=chunk):
            number = asset.registration_number
            assert number is not None  # filtered on registration_number__in
            found[number] = asset
    return found


@dataclasses.dataclass(frozen=True)
class CertificateRef:
    number: str
    status: str


_CERTIFICATE_ANNOTATIONS = ("certificate_number", "certificate_status")


def _annotated_certificate(asset: DataAsset) -> tuple[str, str] | None:
    """Number and status of the certificate `with_register_annotations()` picked, or None.

    Both subqueries read the same certificate row, so they are set together. They are
    annotations, not model fields, hence read by name: mypy does not see them on the model."""
    number, status = (getattr(asset, name) for name in _CERTIFICATE_ANNOTATIONS)
    return (number, status) if number else None


def current_certificate(asset: DataAsset) -> CertificateRef | None:
    """From `public_assets()`' annotations; the status is the effective one (a valid certificate
    of an expired registration reads `expired`, as on the verification page)."""
    annotated = _annotated_certificate(asset)
    if annotated is None:
        return None
    number, status = annotated
    certificate = Certificate(number=number, status=status, asset=asset)
    return CertificateRef(number=certificate.number, status=effective_status(certificate))
