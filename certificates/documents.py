"""From a certificate row to its signed PDF: content → CertificateData → render → sign."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.template.loader import render_to_string

from certificates.models import Certificate, CertificateKind
from certificates.qr import qr_svg
from certificates.rendering import (
    CertificateData,
    date_zh,
    html_to_pdf,
    printed_code,
    render_certificate_pdf,
    verification_link,
)
from certificates.seal import seal_svg
from certificates.signing import SigningIdentity, identity_from_settings, sign_pdf
from core import clock


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
        verification_code=certificate.verification_code,
    )


SEARCH_ROWS_PRINTED = 15


def _common_context(certificate: Certificate) -> dict:
    # The verification code is the certificate's own column, fixed at issue beside `data` (which
    # the verification pages show): printed in the footer and in the QR code's link.
    content = dict(certificate.data)
    content["issued_on"] = dt.date.fromisoformat(content["issued_on"])
    content["certificate_number"] = certificate.number
    return {
        "c": content,
        "issued_on_zh": date_zh(content["issued_on"]),
        "qr_svg": qr_svg(
            verification_link(content["verification_url"], certificate.verification_code)
        ),
        "seal_svg": seal_svg(content.get("registry_name", settings.REGISTRY_NAME)),
        "verification_code": printed_code(certificate.verification_code),
    }


def _pledge_html(certificate: Certificate, template: str) -> str:
    context = _common_context(certificate)
    context["secured_amount"] = f"{Decimal(context['c']['secured_amount']):,.2f}"
    context["asset_name_class"] = "size-m"
    return render_to_string(template, context)


def _search_rows(results: dict) -> list[tuple[str, str, str]]:
    rows = []
    for item in results.get("results", []):  # by registration numbers: pledge-status results
        if item.get("error"):
            code = item["error"].get("code", "")
            rows.append((item.get("registration_number", ""), code, "—"))
        else:
            count = str(len(item.get("pledges") or []))
            rows.append((item.get("registration_number", ""), item.get("status", ""), count))
    for group in ("exact", "similar"):  # by pledgor: the pledges found
        for pledge in results.get(group, []):
            rows.append((pledge.get("number", ""), pledge.get("status", ""), group))
    return rows


def _search_html(certificate: Certificate, template: str) -> str:
    context = _common_context(certificate)
    content = context["c"]
    query = content["query"]
    numbers = query.get("registration_numbers")
    if numbers is not None:
        context["query_summary"] = f"登记号 {len(numbers)} 个 (registration numbers)"
    else:
        context["query_summary"] = f"出质人 pledgor: {query.get('pledgor', '')}"
    rows = _search_rows(content["results"])
    context["rows"] = rows[:SEARCH_ROWS_PRINTED]
    context["total"] = len(rows)
    context["more"] = max(0, len(rows) - SEARCH_ROWS_PRINTED)
    searched_at = clock.localtime(dt.datetime.fromisoformat(content["searched_at"]))
    context["searched_at"] = searched_at.strftime("%Y-%m-%d %H:%M:%S")
    return render_to_string(template, context)


def _registration_pdf(certificate: Certificate, template: str) -> bytes:
    # CertificateData picks the same template (certificates.rendering.TEMPLATES).
    return render_certificate_pdf(
        certificate_data(certificate), font_dir=settings.CERTIFICATE_FONT_DIR
    )


def _pledge_pdf(certificate: Certificate, template: str) -> bytes:
    return html_to_pdf(_pledge_html(certificate, template), font_dir=settings.CERTIFICATE_FONT_DIR)


def _search_pdf(certificate: Certificate, template: str) -> bytes:
    return html_to_pdf(_search_html(certificate, template), font_dir=settings.CERTIFICATE_FONT_DIR)


@dataclass(frozen=True)
class KindSpec:
    """How the engine renders one kind of certificate. Its content is built by the issuing
    domain (`registry.certificates`, `pledges.certificates`, the API's search) and fixed at issue;
    this says what the document is called and how that content becomes a page."""

    title: str  # printed, and the signature's reason
    template: str
    render: Callable[[Certificate, str], bytes]  # (certificate, template) → PDF


KINDS: dict[str, KindSpec] = {
    CertificateKind.REGISTRATION: KindSpec(
        "数据资产登记证书", "certificates/registration.html", _registration_pdf
    ),
    CertificateKind.PLEDGE: KindSpec("质押登记证明", "certificates/pledge.html", _pledge_pdf),
    CertificateKind.SEARCH: KindSpec("查询证明", "certificates/search.html", _search_pdf),
}
TITLES = {kind: spec.title for kind, spec in KINDS.items()}


class UnknownCertificateKind(ImproperlyConfigured):
    """A certificate row of a kind the engine has no renderer for (never rendered as another)."""


def kind_spec(kind: str) -> KindSpec:
    try:
        return KINDS[kind]
    except KeyError:
        raise UnknownCertificateKind(f"No renderer for certificate kind {kind!r}.") from None


def build_pdf(certificate: Certificate) -> tuple[bytes, bool]:
    """The rendered and signed PDF of a certificate, and whether it is signed."""
    spec = kind_spec(certificate.kind)
    pdf = spec.render(certificate, spec.template)
    signed = sign_pdf(
        pdf,
        signing_identity(),
        reason=f"{spec.title} {certificate.number}",
        location=settings.REGISTRY_NAME,
    )
    return signed, True
