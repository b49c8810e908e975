"""From a certificate row to its signed PDF: content → CertificateData → render → sign."""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

from certificates.models import Certificate
from certificates.rendering import CertificateData, render_certificate_pdf
from certificates.signing import SigningIdentity, identity_from_settings, sign_pdf


def signing_identity() -> SigningIdentity:
    """The registry's signing identity. Without a configured key, a local demo identity is used
    only where allowed (DEBUG, tests, benchmarks): production must not sign with a demo key."""
    configured = settings.CERTIFICATE_SIGNING_KEY and settings.CERTIFICATE_SIGNING_CERT
    if not configured and not settings.CERTIFICATE_ALLOW_DEMO_SIGNING:
        raise ImproperlyConfigured(
            "Set CERTIFICATE_SIGNING_KEY and CERTIFICATE_SIGNING_CERT (PEM paths) to sign "
            "certificates, or CERTIFICATE_ALLOW_DEMO_SIGNING=true outside production."
        )
    return identity_from_settings()


def certificate_data(certificate: Certificate) -> CertificateData:
    content = certificate.data
    return CertificateData(
        certificate_number=certificate.number,
        registration_number=content["registration_number"],
        asset_name=content["asset_name"],
        holder_name=content["holder_name"],
        holder_uscc=content["holder_uscc"],
        rights=tuple(content["rights"]),
        data_category=content["data_category"],
        data_category_en=content.get("data_category_en", ""),
        data_format=content.get("data_format", ""),
        record_count=content.get("record_count"),
        size_bytes=content.get("size_bytes"),
        update_frequency=content["update_frequency"],
        update_frequency_en=content.get("update_frequency_en", ""),
        quality_grade=content.get("quality_grade", ""),
        registration_date=dt.date.fromisoformat(content["registration_date"]),
        valid_until=dt.date.fromisoformat(content["valid_until"]),
        evidence_sha256=content["evidence_sha256"],
        issued_on=dt.date.fromisoformat(content["issued_on"]),
        version=content["version"],
        verification_url=content["verification_url"],
        registry_name=content.get("registry_name", settings.REGISTRY_NAME),
        kind=certificate.kind,
    )


def build_pdf(certificate: Certificate) -> tuple[bytes, bool]:
    """The rendered and signed PDF of a certificate, and whether it is signed."""
    pdf = render_certificate_pdf(
        certificate_data(certificate), font_dir=settings.CERTIFICATE_FONT_DIR
    )
    signed = sign_pdf(
        pdf,
        signing_identity(),
        reason=f"数据资产登记证书 {certificate.number}",
        location=settings.REGISTRY_NAME,
    )
    return signed, True
