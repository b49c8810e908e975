"""Every write of the certificates app.

Issuing, superseding and revoking happen inside the registry step that causes them (same
transaction, journaled). Rendering happens after that transaction commits, as a background task
(`certificates.tasks.render_certificate`): the PDF is rendered once from the content fixed at
issue, signed with the registry's key, stored, and its SHA-256 recorded and journaled.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from typing import Any

from django.conf import settings
from django.core.files.base import ContentFile
from django.db import transaction
from django.urls import reverse
from django.utils import translation

from certificates.models import Certificate, CertificateKind, CertificateStatus
from certificates.numbers import compose_certificate_number
from registry import clock, sequences
from registry.journal import record
from registry.models import DataAsset

CERTIFICATE_ISSUED = "certificate.issued"
CERTIFICATE_SUPERSEDED = "certificate.superseded"
CERTIFICATE_REVOKED = "certificate.revoked"
CERTIFICATE_RENDERED = "certificate.rendered"


def verification_url(number: str) -> str:
    return settings.PUBLIC_BASE_URL.rstrip("/") + reverse("certificate-verify", args=[number])


RENDERER_LABEL = "system (certificate renderer)"


def _journal(event_type: str, certificate: Certificate, actor: Any, **payload) -> None:
    label = payload.pop("label", None)
    record(
        event_type=event_type,
        actor=actor,
        label=label,
        subject_type="certificate",
        subject_id=certificate.number,
        subject_label=f"{certificate.number} {certificate.data.get('asset_name', '')}",
        asset=certificate.asset,
        reason=payload.pop("reason", ""),
        payload={"number": certificate.number, "status": certificate.status, **payload},
    )


def registration_content(asset: DataAsset) -> dict[str, Any]:
    """What a registration certificate prints (domain.md section 5), fixed at issue."""
    from valuation.selectors import current_quality

    quality = current_quality(asset)
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
            "quality_grade": quality.grade if quality else "",
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


def _next_number(issued_on: dt.date) -> str:
    return compose_certificate_number(
        issued_on=issued_on,
        registry_code=settings.REGISTRY_CODE,
        serial=sequences.next_value(sequences.CERTIFICATE_NUMBER),
    )


def certificate_issue_registration(
    *, asset: DataAsset, actor: Any, reason: str = ""
) -> Certificate:
    """Issue the asset's registration certificate, superseding the valid one if any.

    Called by the registry services inside their transaction (registration, amendment, renewal,
    transfer); the PDF is rendered once that transaction commits."""
    from certificates.tasks import render_certificate

    now = clock.now()
    previous = (
        Certificate.objects.select_for_update()
        .filter(asset=asset, kind=CertificateKind.REGISTRATION, status=CertificateStatus.VALID)
        .first()
    )
    if previous is not None:
        previous.status = CertificateStatus.SUPERSEDED
        previous.status_changed_at = now
        previous.status_reason = reason
        previous.save(update_fields=["status", "status_changed_at", "status_reason"])
    certificate = Certificate(
        kind=CertificateKind.REGISTRATION,
        asset=asset,
        asset_version=asset.version,
        issued_at=now,
        issued_by=actor if getattr(actor, "pk", None) else None,
        supersedes=previous,
    )
    certificate.number = _next_number(clock.today())
    certificate.data = {
        **registration_content(asset),
        "certificate_number": certificate.number,
        "issued_on": clock.today().isoformat(),
        "verification_url": verification_url(certificate.number),
    }
    certificate.save()
    if previous is not None:
        _journal(
            CERTIFICATE_SUPERSEDED, previous, actor, reason=reason, successor=certificate.number
        )
    _journal(
        CERTIFICATE_ISSUED,
        certificate,
        actor,
        reason=reason,
        version=asset.version,
        supersedes=previous.number if previous else None,
    )
    pk = certificate.pk
    transaction.on_commit(lambda: render_certificate.enqueue(pk))
    return certificate


def certificate_revoke_registration(*, asset: DataAsset, actor: Any, reason: str) -> list[str]:
    """Revoke the asset's valid registration certificate (cancellation or revocation)."""
    revoked = []
    for certificate in Certificate.objects.select_for_update().filter(
        asset=asset, kind=CertificateKind.REGISTRATION, status=CertificateStatus.VALID
    ):
        certificate.status = CertificateStatus.REVOKED
        certificate.status_changed_at = clock.now()
        certificate.status_reason = reason
        certificate.save(update_fields=["status", "status_changed_at", "status_reason"])
        _journal(CERTIFICATE_REVOKED, certificate, actor, reason=reason)
        revoked.append(certificate.number)
    return revoked


@transaction.atomic
def certificate_render(*, certificate_id: int) -> Certificate:
    """Render, sign and store the PDF once; later calls return the stored certificate."""
    from certificates.documents import build_pdf

    certificate = Certificate.objects.select_for_update().get(pk=certificate_id)
    if certificate.is_rendered:
        return certificate
    pdf, signed = build_pdf(certificate)
    certificate.document.save(f"{certificate.number}.pdf", ContentFile(pdf), save=False)
    certificate.document_sha256 = _sha256(pdf)
    certificate.document_size = len(pdf)
    certificate.signed = signed
    certificate.rendered_at = clock.now()
    certificate.save(
        update_fields=["document", "document_sha256", "document_size", "signed", "rendered_at"]
    )
    _journal(
        CERTIFICATE_RENDERED,
        certificate,
        None,
        document_sha256=certificate.document_sha256,
        size=len(pdf),
        signed=signed,
        label=RENDERER_LABEL,
    )
    return certificate


def _sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()
