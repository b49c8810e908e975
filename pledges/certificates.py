"""Pledge registration certificates (质押登记证明): what they print, fixed at issue, and when
they are issued (filing), reissued (amendment, extension) and revoked (release, annulment,
expiry). The certificate engine numbers, renders, signs and verifies them."""

from __future__ import annotations

from typing import Any

from certificates import services as certificate_services
from certificates.models import Certificate, CertificateKind, CertificateStatus
from core import clock
from core.actors import Actor
from pledges.models import Pledge


def pledge_content(pledge: Pledge) -> dict[str, Any]:
    """What a pledge registration certificate prints."""
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


def _valid_pledge_certificates(pledge: Pledge):
    return Certificate.objects.filter(
        pledge=pledge, kind=CertificateKind.PLEDGE, status=CertificateStatus.VALID
    )


def pledge_certificate_issue(
    *, pledge: Pledge, actor: Actor | None, reason: str = ""
) -> Certificate:
    """Issue (or, after an amendment or extension, reissue) a pledge's registration certificate."""
    return certificate_services.certificate_issue(
        kind=CertificateKind.PLEDGE,
        content=pledge_content(pledge),
        actor=actor,
        reason=reason,
        asset=pledge.asset,
        pledge=pledge,
        valid=_valid_pledge_certificates(pledge),
    )


def pledge_certificate_revoke(*, pledge: Pledge, actor: Actor | None, reason: str) -> list[str]:
    """A released, annulled or expired pledge's certificate is revoked."""
    return certificate_services.certificate_revoke(
        _valid_pledge_certificates(pledge), actor=actor, reason=reason
    )
