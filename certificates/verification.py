"""Checking a certificate, and a PDF someone holds, against what the registry issued."""

from __future__ import annotations

import dataclasses
import hashlib
from pathlib import Path
from typing import Any

from certificates.models import Certificate, CertificateKind, CertificateStatus
from certificates.selectors import effective_status, successor_of


@dataclasses.dataclass(frozen=True)
class DocumentCheck:
    sha256: str
    matches_issued: bool  # byte-for-byte the PDF the registry stored for this certificate
    signature: Any  # certificates.signing.SignatureCheck
    current: bool  # the certificate is still valid

    @property
    def authentic(self) -> bool:
        return self.matches_issued and self.signature.valid and self.signature.intact

    @property
    def verdict(self) -> str:
        if not self.authentic:
            return "not_authentic"
        return "authentic_current" if self.current else "authentic_not_current"


def trusted_certificate_path() -> Path:
    from certificates.documents import signing_identity

    return signing_identity().cert_path


def check_document(certificate: Certificate, pdf: bytes) -> DocumentCheck:
    from certificates.signing import verify_pdf  # pyHanko is loaded only when a file is checked

    digest = hashlib.sha256(pdf).hexdigest()
    return DocumentCheck(
        sha256=digest,
        matches_issued=bool(certificate.document_sha256) and digest == certificate.document_sha256,
        signature=verify_pdf(pdf, trusted_certificate_path()),
        current=effective_status(certificate) == CertificateStatus.VALID,
    )


def public_content(certificate: Certificate) -> dict:
    """What a certificate printed, as far as the public may see it. A search certificate's query
    and results stay with the organisation that searched (its results may include appraisal
    values only it may see); the public sees who searched, when, and the results' digest."""
    if certificate.kind == CertificateKind.SEARCH:
        keys = ("requested_by_name", "requested_by_uscc", "searched_at", "results_sha256")
        return {key: certificate.data.get(key) for key in keys}
    return certificate.data


def public_record(certificate: Certificate) -> dict:
    """What anyone may see about a certificate (domain.md section 5: the full public record)."""
    successor = successor_of(certificate)
    asset = certificate.asset
    return {
        "number": certificate.number,
        "kind": certificate.kind,
        "status": certificate.status,
        "effective_status": effective_status(certificate),
        "issued_at": certificate.issued_at.isoformat(),
        "status_changed_at": (
            certificate.status_changed_at.isoformat() if certificate.status_changed_at else None
        ),
        "superseded_by": successor.number if successor else None,
        "supersedes": certificate.supersedes.number if certificate.supersedes else None,
        "registration_status": asset.status if asset else None,
        "content": public_content(certificate),
        "document_sha256": certificate.document_sha256 or None,
        "document_ready": certificate.is_rendered,
        "signed": certificate.signed,
    }
