"""Reads of the certificates app."""

from __future__ import annotations

from certificates import ports
from certificates.models import Certificate, CertificateStatus

# What a verifier is told, beyond the certificate's own status (a standing rule may say so).
EFFECTIVE_EXPIRED = "expired"


def certificate_by_number(number: str) -> Certificate | None:
    return (
        Certificate.objects.select_related("asset", "asset__holder", "supersedes")
        .filter(number=number)
        .first()
    )


def successor_of(certificate: Certificate) -> Certificate | None:
    return Certificate.objects.filter(supersedes=certificate).first()


def effective_status(certificate: ports.StandingSubject) -> str:
    """valid / superseded / revoked, or what the issuing domain's standing rule says of a valid
    one (e.g. expired when the registration itself has lapsed: `registry.certificates`)."""
    if certificate.status != CertificateStatus.VALID:
        return certificate.status
    return ports.standing(certificate) or CertificateStatus.VALID
