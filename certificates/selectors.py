"""Reads of the certificates app."""

from __future__ import annotations

from certificates.models import Certificate, CertificateStatus
from registry.choices import AssetStatus

# What a verifier is told, beyond the certificate's own status.
EFFECTIVE_EXPIRED = "expired"


def certificate_by_number(number: str) -> Certificate | None:
    return (
        Certificate.objects.select_related("asset", "asset__holder", "supersedes")
        .filter(number=number)
        .first()
    )


def successor_of(certificate: Certificate) -> Certificate | None:
    return Certificate.objects.filter(supersedes=certificate).first()


def effective_status(certificate: Certificate) -> str:
    """valid / superseded / revoked, or expired when the registration itself has lapsed."""
    if certificate.status != CertificateStatus.VALID:
        return certificate.status
    asset = certificate.asset
    if asset is not None and asset.status == AssetStatus.EXPIRED:
        return EFFECTIVE_EXPIRED
    if asset is not None and asset.status in (AssetStatus.CANCELLED, AssetStatus.REVOKED):
        return CertificateStatus.REVOKED
    return CertificateStatus.VALID
