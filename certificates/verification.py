"""Checking a certificate, and a PDF someone holds, against what the registry issued.

Verification without disclosure: certificate numbers are sequential, so a number alone must not
open a document. Anyone who asks by number learns whether the document exists, its kind, its
status and its period of validity (`summary_record`); the details (parties, amounts, the search's
requester and time, the document's hash, the successor) need one of

- the document's own verification code (printed on it, and in its QR code's link), compared in
  constant time; a wrong code is answered exactly as no code;
- an authorised caller (`may_see_details`): a registrar, the holder's users and API keys, the
  pledgee of a pledge certificate's pledge, the organisation that requested a search certificate,
  and whoever may see the asset's private material (active pledgees, `pledges.access`);
- the issued PDF itself, uploaded and byte-identical to the stored one (it prints the code).
"""

from __future__ import annotations

import dataclasses
import hashlib
import hmac
from collections.abc import Callable
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


MAX_CODE_LENGTH = 64  # longer input is no code at all (not compared)


def normalise_code(supplied: str | None) -> str:
    """A code as typed: case and the separators of its printed groups (`ABCDE-FGHIJ-…`) ignored."""
    if not supplied or len(supplied) > MAX_CODE_LENGTH:
        return ""
    return "".join(supplied.split()).replace("-", "").upper()


def format_code(code: str) -> str:
    """The code as printed: four groups of five."""
    return "-".join(code[start : start + 5] for start in range(0, len(code), 5))


def code_matches(certificate: Certificate, supplied: str | None) -> bool:
    """Whether `supplied` is this certificate's verification code (constant-time comparison)."""
    expected = certificate.verification_code
    given = normalise_code(supplied)
    # Compared even when nothing was given, so that no code and a wrong code take one path.
    same = hmac.compare_digest(
        given.encode("utf-8", "replace"), (expected or "").encode("utf-8", "replace")
    )
    return bool(expected) and bool(given) and same


def may_see_details(
    viewer: Any, certificate: Certificate, *, can_view_asset: Callable[[Any, Any], bool]
) -> bool:
    """Whether `viewer` (a user or an API client) may see the details without the code.

    `can_view_asset(viewer, asset)` is the rule for an asset's private material, handed in by the
    caller (`pledges.access.can_view_private`: the engine sits below the pledges)."""
    if viewer is None or not getattr(viewer, "is_authenticated", False):
        return False
    if getattr(viewer, "is_registrar", False):
        return True
    organisation_id = getattr(viewer, "organisation_id", None)
    if certificate.kind == CertificateKind.SEARCH:
        return organisation_id is not None and organisation_id == certificate.requested_by_id
    if (
        certificate.kind == CertificateKind.PLEDGE
        and organisation_id is not None
        and certificate.pledge_id is not None
        and getattr(certificate.pledge, "pledgee_id", None) == organisation_id
    ):
        return True
    return certificate.asset is not None and can_view_asset(viewer, certificate.asset)


def validity(certificate: Certificate) -> tuple[str | None, str | None]:
    """The period the document states it is valid for, as ISO dates: a registration's, a
    pledge registration's; none for a search certificate (it fixes a moment, which is private)."""
    data = certificate.data
    if certificate.kind == CertificateKind.REGISTRATION:
        return data.get("registration_date"), data.get("valid_until")
    if certificate.kind == CertificateKind.PLEDGE:
        registered_at = data.get("registered_at")
        return (registered_at[:10] if registered_at else None), data.get("registration_end")
    return None, None


def summary_record(certificate: Certificate) -> dict:
    """What anyone may learn by number: it exists, its kind, status and validity, nothing more."""
    valid_from, valid_until = validity(certificate)
    return {
        "number": certificate.number,
        "kind": certificate.kind,
        "status": certificate.status,
        "effective_status": effective_status(certificate),
        "valid_from": valid_from,
        "valid_until": valid_until,
        "document_ready": certificate.is_rendered,
        "disclosure": "summary",
    }


def detailed_record(certificate: Certificate) -> dict:
    """The full record (domain.md section 5), for the code's bearer and authorised callers."""
    successor = successor_of(certificate)
    asset = certificate.asset
    valid_from, valid_until = validity(certificate)
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
        "valid_from": valid_from,
        "valid_until": valid_until,
        "disclosure": "details",
        "verification_code": certificate.verification_code,
    }


def verification_record(certificate: Certificate, *, disclose: bool) -> dict:
    return detailed_record(certificate) if disclose else summary_record(certificate)
