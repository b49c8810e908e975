"""Rendering a certificate once: its PDF is built from the content fixed at issue, signed with the
registry's key, stored, and its SHA-256 recorded and journaled, in one transaction that holds the
certificate's row lock (a second worker waits, then finds it rendered and does nothing)."""

from __future__ import annotations

from django.core.files.base import ContentFile
from django.db import transaction

from certificates.documents import build_pdf
from certificates.events import CERTIFICATE_RENDERED
from certificates.journal import journal_certificate_event
from certificates.models import Certificate
from certificates.signing import sha256_hex
from core import clock

RENDERER_LABEL = "system (certificate renderer)"


@transaction.atomic
def certificate_render(*, certificate_id: int) -> Certificate:
    """Render, sign and store the PDF once; later calls return the stored certificate."""
    certificate = Certificate.objects.select_for_update().get(pk=certificate_id)
    if certificate.is_rendered:
        return certificate
    pdf, signed = build_pdf(certificate)
    name = f"{certificate.number}.pdf"
    storage = certificate.document.storage
    stored_as = certificate.document.field.generate_filename(certificate, name)
    if storage.exists(stored_as):
        # Left by an attempt whose transaction never committed (its worker died after storing):
        # replace it, so that a certificate has one stored document, under its own name.
        storage.delete(stored_as)
    certificate.document.save(name, ContentFile(pdf), save=False)
    certificate.document_sha256 = sha256_hex(pdf)
    certificate.document_size = len(pdf)
    certificate.signed = signed
    certificate.rendered_at = clock.now()
    certificate.save(
        update_fields=["document", "document_sha256", "document_size", "signed", "rendered_at"]
    )
    journal_certificate_event(
        CERTIFICATE_RENDERED,
        certificate,
        None,
        document_sha256=certificate.document_sha256,
        size=len(pdf),
        signed=signed,
        label=RENDERER_LABEL,
    )
    return certificate
