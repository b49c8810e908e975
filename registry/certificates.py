"""The registry's certificates: what a registration certificate prints (domain.md section 5),
fixed at issue, and whether a valid one still stands once the asset's registration has ended.

The certificate engine (`certificates`) numbers, renders, signs and verifies; the registry
builds the content and decides when to issue, supersede and revoke (inside its steps).
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.utils import translation

from certificates import services as certificate_services
from certificates.models import Certificate, CertificateKind, CertificateStatus
from certificates.ports import StandingSubject
from certificates.selectors import EFFECTIVE_EXPIRED
from registry import extensions
from registry.choices import AssetStatus
from registry.models import DataAsset, User


def registration_content(asset: DataAsset) -> dict[str, Any]:
    """What a registration certificate prints (domain.md section 5), fixed at issue."""
    # Issued only by registration (which sets both dates) and by amendment, renewal and transfer
    # of a registered asset (which check its validity period first).
    assert asset.valid_from is not None and asset.valid_until is not None
    with translation.override("zh-hans"):
        return {
            "registration_number": asset.registration_number,
            "asset_name": asset.name,
            "holder_name": asset.holder.name,
            "holder_uscc": asset.holder.uscc,
            "rights": asset.rights,
            "data_category": str(asset.get_data_category_display()),
            "data_format": str(asset.get_data_format_display()),
            "record_count": asset.record_count,
            "size_bytes": asset.size_bytes,
            "update_frequency": str(asset.get_update_frequency_display()),
            "quality_grade": extensions.quality_grade(asset),
            "registration_date": asset.valid_from.isoformat(),
            "valid_until": asset.valid_until.isoformat(),
            "evidence_sha256": asset.evidence_sha256,
            "version": asset.version,
            "registry_name": settings.REGISTRY_NAME,
            **_english_labels(asset),
        }


def _english_labels(asset: DataAsset) -> dict[str, str]:
    with translation.override("en"):
        return {
            "data_category_en": str(asset.get_data_category_display()),
            "update_frequency_en": str(asset.get_update_frequency_display()),
        }


def _valid_registration_certificates(asset: DataAsset):
    return Certificate.objects.filter(
        asset=asset, kind=CertificateKind.REGISTRATION, status=CertificateStatus.VALID
    )


def registration_certificate_issue(
    *, asset: DataAsset, actor: User | None, reason: str = ""
) -> Certificate:
    """Issue the asset's registration certificate, superseding the valid one if any (inside the
    registration, amendment, renewal or transfer step's transaction)."""
    return certificate_services.certificate_issue(
        kind=CertificateKind.REGISTRATION,
        content=registration_content(asset),
        actor=actor,
        reason=reason,
        asset=asset,
        valid=_valid_registration_certificates(asset),
    )


def registration_certificate_revoke(
    *, asset: DataAsset, actor: User | None, reason: str
) -> list[str]:
    """Revoke the asset's valid registration certificate (cancellation or revocation)."""
    return certificate_services.certificate_revoke(
        _valid_registration_certificates(asset), actor=actor, reason=reason
    )


def asset_standing(certificate: StandingSubject) -> str | None:
    """A valid certificate of an expired registration reads "expired"; of a cancelled or revoked
    one, "revoked" (the certificate row itself is revoked by those steps too)."""
    asset: Any = certificate.asset
    if asset is None:
        return None
    if asset.status == AssetStatus.EXPIRED:
        return EFFECTIVE_EXPIRED
    if asset.status in (AssetStatus.CANCELLED, AssetStatus.REVOKED):
        return CertificateStatus.REVOKED
    return None
