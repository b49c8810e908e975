"""Every write of the certificates app.

Issuing, superseding and revoking happen inside the registry step that causes them (same
transaction, journaled). Rendering happens after that transaction commits, as a background task
(`certificates.tasks.render_certificate`): the PDF is rendered once from the content fixed at
issue, signed with the registry's key, stored, and its SHA-256 recorded and journaled.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from typing import Any

from django.conf import settings
from django.core.files.base import ContentFile
from django.db import transaction
from django.urls import reverse
from django.utils import translation

from certificates.models import Certificate, CertificateKind, CertificateStatus
from certificates.numbers import compose_certificate_number
from core import clock, sequences
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


def _issue(
    *,
    kind: CertificateKind,
    content: dict[str, Any],
    actor: Any,
    reason: str,
    asset: DataAsset | None = None,
    pledge: Any = None,
    requested_by: Any = None,
    valid: Any = None,
) -> Certificate:
    """Create a certificate (superseding the valid one in `valid`, a queryset), journal it and
    render it once the transaction commits."""
    from certificates.tasks import render_certificate

    now = clock.now()
    previous = valid.select_for_update().first() if valid is not None else None
    if previous is not None:
        previous.status = CertificateStatus.SUPERSEDED
        previous.status_changed_at = now
        previous.status_reason = reason
        previous.save(update_fields=["status", "status_changed_at", "status_reason"])
    certificate = Certificate(
        kind=kind,
        asset=asset,
        asset_version=asset.version if asset is not None else None,
        pledge=pledge,
        requested_by=requested_by,
        issued_at=now,
        issued_by=actor if getattr(actor, "pk", None) else None,
        supersedes=previous,
    )
    certificate.number = _next_number(clock.today())
    certificate.data = {
        **content,
        "certificate_number": certificate.number,
        "issued_on": clock.today().isoformat(),
        "verification_url": verification_url(certificate.number),
        "registry_name": settings.REGISTRY_NAME,
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
        kind=kind.value,
        version=certificate.asset_version,
        supersedes=previous.number if previous else None,
    )
    pk = certificate.pk
    transaction.on_commit(lambda: render_certificate.enqueue(pk))
    return certificate


def _revoke(certificates, *, actor: Any, reason: str) -> list[str]:
    revoked = []
    for certificate in certificates.select_for_update():
        certificate.status = CertificateStatus.REVOKED
        certificate.status_changed_at = clock.now()
        certificate.status_reason = reason
        certificate.save(update_fields=["status", "status_changed_at", "status_reason"])
        _journal(CERTIFICATE_REVOKED, certificate, actor, reason=reason)
        revoked.append(certificate.number)
    return revoked


def certificate_issue_registration(
    *, asset: DataAsset, actor: Any, reason: str = ""
) -> Certificate:
    """Issue the asset's registration certificate, superseding the valid one if any.

    Called by the registry services inside their transaction (registration, amendment, renewal,
    transfer); the PDF is rendered once that transaction commits."""
    return _issue(
        kind=CertificateKind.REGISTRATION,
        content=registration_content(asset),
        actor=actor,
        reason=reason,
        asset=asset,
        valid=Certificate.objects.filter(
            asset=asset, kind=CertificateKind.REGISTRATION, status=CertificateStatus.VALID
        ),
    )


def certificate_revoke_registration(*, asset: DataAsset, actor: Any, reason: str) -> list[str]:
    """Revoke the asset's valid registration certificate (cancellation or revocation)."""
    return _revoke(
        Certificate.objects.filter(
            asset=asset, kind=CertificateKind.REGISTRATION, status=CertificateStatus.VALID
        ),
        actor=actor,
        reason=reason,
    )


def pledge_content(pledge: Any) -> dict[str, Any]:
    """What a pledge registration certificate (质押登记证明) prints."""
    asset = pledge.asset
    return {
        "pledge_number": pledge.number,
        "registration_number": asset.registration_number,
        "asset_name": asset.name,
        "pledgor_name": pledge.pledgor.name,
        "pledgor_uscc": pledge.pledgor.uscc,
        "pledgee_name": pledge.pledgee.name,
        "pledgee_uscc": pledge.pledgee.uscc,
        "secured_amount": str(pledge.secured_amount),
        "currency": pledge.currency,
        "debt_start": pledge.debt_start.isoformat(),
        "debt_end": pledge.debt_end.isoformat(),
        "registration_end": pledge.registration_end.isoformat(),
        "registered_at": clock.localtime(pledge.registered_at).strftime("%Y-%m-%d %H:%M:%S"),
        "priority": pledge.priority,
    }


def certificate_issue_pledge(*, pledge: Any, actor: Any, reason: str = "") -> Certificate:
    """Issue (or, after an amendment or extension, reissue) a pledge's registration certificate."""
    return _issue(
        kind=CertificateKind.PLEDGE,
        content=pledge_content(pledge),
        actor=actor,
        reason=reason,
        asset=pledge.asset,
        pledge=pledge,
        valid=Certificate.objects.filter(
            pledge=pledge, kind=CertificateKind.PLEDGE, status=CertificateStatus.VALID
        ),
    )


def certificate_revoke_pledge(*, pledge: Any, actor: Any, reason: str) -> list[str]:
    """A released, annulled or expired pledge's certificate is revoked."""
    return _revoke(
        Certificate.objects.filter(
            pledge=pledge, kind=CertificateKind.PLEDGE, status=CertificateStatus.VALID
        ),
        actor=actor,
        reason=reason,
    )


@transaction.atomic
def certificate_issue_search(
    *, requested_by: Any, actor: Any, query: dict[str, Any], results: dict[str, Any]
) -> Certificate:
    """Fix what the register showed for a query, at this moment, as a signed search certificate
    (查询证明): the bank can later prove what it saw when it lent."""
    canonical = json.dumps(results, ensure_ascii=False, sort_keys=True, separators=(",", ":"))
    return _issue(
        kind=CertificateKind.SEARCH,
        content={
            "query": query,
            "results": results,
            "results_sha256": hashlib.sha256(canonical.encode()).hexdigest(),
            "searched_at": clock.localtime(clock.now()).isoformat(),
            "requested_by_name": requested_by.name,
            "requested_by_uscc": requested_by.uscc,
        },
        actor=actor,
        reason="search",
        requested_by=requested_by,
    )


@transaction.atomic
def certificate_render(*, certificate_id: int) -> Certificate:
    """Render, sign and store the PDF once; later calls return the stored certificate."""
    from certificates.documents import build_pdf
    from certificates.signing import sha256_hex

    certificate = Certificate.objects.select_for_update().get(pk=certificate_id)
    if certificate.is_rendered:
        return certificate
    pdf, signed = build_pdf(certificate)
    certificate.document.save(f"{certificate.number}.pdf", ContentFile(pdf), save=False)
    certificate.document_sha256 = sha256_hex(pdf)
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
