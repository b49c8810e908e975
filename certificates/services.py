"""Every write of the certificate engine: issue (superseding the valid certificate it replaces),
revoke, and fix a search as a search certificate.

The engine does not build content: the issuing domain does (registration certificates:
`registry.certificates`; pledge registration certificates: `pledges.certificates`) and calls
these services inside the step that causes them (same transaction, journaled). Rendering is a
side effect of the issue, asked for in the same transaction through the outbox (`core.outbox`,
topic `RENDER_TOPIC`): the PDF is rendered once from the content fixed at issue, signed with the
registry's key, stored, and its SHA-256 recorded and journaled (`certificates.render`).
`certificates_reconcile` (the daily tick) re-asks for any issued certificate still without its
document.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from typing import Any

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import transaction
from django.db.models import QuerySet
from django.urls import reverse

from certificates.events import CERTIFICATE_ISSUED, CERTIFICATE_REVOKED, CERTIFICATE_SUPERSEDED
from certificates.journal import journal_certificate_event
from certificates.models import (
    Certificate,
    CertificateKind,
    CertificateStatus,
    new_verification_code,
)
from certificates.numbers import compose_certificate_number
from core import clock, sequences
from core.actors import Actor
from core.outbox import outbox_add, outbox_ensure

# The outbox topic of rendering (its handler is registered in CertificatesConfig.ready).
RENDER_TOPIC = "certificates.render"


def render_key(certificate_id: int) -> str:
    return f"{RENDER_TOPIC}:{certificate_id}"


def verification_url(number: str) -> str:
    return settings.PUBLIC_BASE_URL.rstrip("/") + reverse("certificate-verify", args=[number])


def _next_number(issued_on: dt.date) -> str:
    return compose_certificate_number(
        issued_on=issued_on,
        registry_code=settings.REGISTRY_CODE,
        serial=sequences.next_value(sequences.CERTIFICATE_NUMBER),
    )


def certificate_issue(
    *,
    kind: CertificateKind,
    content: dict[str, Any],
    actor: Actor | None,
    reason: str,
    asset: Any = None,
    pledge: Any = None,
    requested_by: Any = None,
    valid: QuerySet[Certificate] | None = None,
) -> Certificate:
    """Create a certificate with `content` (built by the issuing domain), superseding the valid
    one in `valid`; journal it and render it once the transaction commits.

    Called by the issuing domains inside their own transaction (registration, amendment, renewal,
    transfer; pledge filing, amendment, extension)."""

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
        # A User (the registry's, via get_user_model: the engine cannot import the registry); the
        # registry itself (None) and API clients (an organisation's key, no pk) go by label only.
        issued_by=actor if isinstance(actor, get_user_model()) and actor.pk else None,
        supersedes=previous,
        # Beside the content, not in it: printed and put in the QR code's link by the renderer.
        verification_code=new_verification_code(),
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
        journal_certificate_event(
            CERTIFICATE_SUPERSEDED, previous, actor, reason=reason, successor=certificate.number
        )
    journal_certificate_event(
        CERTIFICATE_ISSUED,
        certificate,
        actor,
        reason=reason,
        kind=kind.value,
        version=certificate.asset_version,
        supersedes=previous.number if previous else None,
    )
    outbox_add(
        RENDER_TOPIC, key=render_key(certificate.pk), payload={"certificate_id": certificate.pk}
    )
    return certificate


def certificates_reconcile() -> int:
    """Re-ask for the rendering of every issued certificate still without its document (a
    message that failed all its attempts, or any other way it went missing); how many."""
    requeued = 0
    for pk in Certificate.objects.filter(rendered_at__isnull=True).values_list("pk", flat=True):
        requeued += outbox_ensure(RENDER_TOPIC, key=render_key(pk), payload={"certificate_id": pk})
    return requeued


def certificate_revoke(
    certificates: QuerySet[Certificate], *, actor: Actor | None, reason: str
) -> list[str]:
    """Revoke every certificate in `certificates` (locked first); their numbers."""
    revoked = []
    for certificate in certificates.select_for_update():
        certificate.status = CertificateStatus.REVOKED
        certificate.status_changed_at = clock.now()
        certificate.status_reason = reason
        certificate.save(update_fields=["status", "status_changed_at", "status_reason"])
        journal_certificate_event(CERTIFICATE_REVOKED, certificate, actor, reason=reason)
        revoked.append(certificate.number)
    return revoked


@transaction.atomic
def certificate_issue_search(
    *, requested_by: Any, actor: Actor | None, query: dict[str, Any], results: dict[str, Any]
) -> Certificate:
    """Fix what the register showed for a query, at this moment, as a signed search certificate
    (查询证明): the bank can later prove what it saw when it lent."""
    canonical = json.dumps(results, ensure_ascii=False, sort_keys=True, separators=(",", ":"))
    return certificate_issue(
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
