"""PDF rendering of certificates (domain.md sections 5-6): content in, one A4 page of PDF out.

`render_certificate_pdf(CertificateData)` renders the Django template of the certificate's kind
(`templates/certificates/<kind>.html`, extending `base.html`) with autoescaping, and turns it into
PDF with WeasyPrint, using the prepared CJK font subsets of `certificates.fonts`.

Invariants:

- Pure: the content is a frozen dataclass of strings, numbers and dates, fixed when the
  certificate is issued; no model or database access here, so a certificate renders the same in
  a background task, a test or the benchmark. Same content, same bytes (no clock is read: the
  PDF's dates are the issue date).
- One page: a certificate never continues onto a second page. The layout shrinks long names
  (see `_name_size`) and, should some content still not fit, `CertificateLayoutError` is raised
  rather than a two-page certificate being produced.
- Everything printed is autoescaped text; the only markup inserted unescaped is the QR code and
  the seal, both generated here from path data (`certificates.qr`, `certificates.seal`).
- No network: WeasyPrint fetches only local files (the fonts) and data: URLs.
- The document cannot print its own SHA-256: the footer states that the digest is published on
  the verification page, where the system publishes it once the PDF is stored.
- The verification code (`CertificateData.verification_code`, drawn at issue) is printed in the
  footer beside the verification URL, and the QR code links to the URL with `?code=`: whoever
  holds the document sees its details there; whoever has only its number does not.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from certificates import fonts
from certificates.fonts import FontMode
from certificates.qr import qr_svg
from certificates.seal import seal_svg

REGISTRY_NAME = "天津数据资产登记评估中心"
TEMPLATES = {
    "registration": "certificates/registration.html",
    # "pledge": "certificates/pledge.html" (质押登记证明), "search": "certificates/search.html"
    # (查询证明): same base, seal, QR code and fonts; their own content dataclass.
}
# English beside the Chinese labels of the three rights (数据二十条, domain.md section 1).
RIGHTS_EN = {
    "数据资源持有权": "Data resource holding right",
    "数据加工使用权": "Data processing and use right",
    "数据产品经营权": "Data product operation right",
}
CERTIFICATE_NUMBER_RE = re.compile(r"^\d{17}$")
SHA256_RE = re.compile(r"^[0-9a-f]{64}$")


class CertificateLayoutError(ValueError):
    """The content does not fit on the certificate's single page."""


@dataclasses.dataclass(frozen=True, kw_only=True)
class CertificateData:
    """Everything a registration certificate prints (domain.md section 5), as plain values.

    Field names follow the content dict that `certificates.services` fixes at issue, so that
    `CertificateData.from_mapping(certificate.data)` builds it."""

    certificate_number: str  # 17 digits: year, month, registry code, serial
    registration_number: str
    asset_name: str
    holder_name: str
    holder_uscc: str
    rights: tuple[str, ...]  # Chinese labels, e.g. ("数据资源持有权", "数据加工使用权")
    data_category: str  # Chinese label, e.g. "企业数据"
    record_count: int | None
    size_bytes: int | None
    update_frequency: str  # Chinese label, e.g. "每日"
    registration_date: dt.date
    valid_until: dt.date
    evidence_sha256: str
    issued_on: dt.date
    version: int
    verification_url: str
    quality_grade: str = ""  # "A".."E"; empty when the asset is not graded
    data_format: str = ""  # Chinese label, printed beside the category when given
    data_category_en: str = ""  # optional English beside the Chinese labels
    update_frequency_en: str = ""
    registry_name: str = REGISTRY_NAME
    kind: str = "registration"
    verification_code: str = ""  # printed, and in the QR code's link; none: the bare URL

    @property
    def verification_link(self) -> str:
        return verification_link(self.verification_url, self.verification_code)

    def __post_init__(self):
        if self.kind not in TEMPLATES:
            raise ValueError(f"unknown certificate kind {self.kind!r}")
        if not CERTIFICATE_NUMBER_RE.match(self.certificate_number):
            raise ValueError("certificate number must have 17 digits")
        if not SHA256_RE.match(self.evidence_sha256):
            raise ValueError("evidence hash must be 64 lowercase hexadecimal digits (SHA-256)")
        object.__setattr__(self, "rights", tuple(self.rights))

    @property
    def template_name(self) -> str:
        return TEMPLATES[self.kind]

    @classmethod
    def from_mapping(cls, content: Mapping[str, Any]) -> CertificateData:
        """From JSON-ready content (ISO dates as strings); unknown keys are ignored."""
        names = {field.name: field for field in dataclasses.fields(cls)}
        values = {key: value for key, value in content.items() if key in names}
        for key in ("registration_date", "valid_until", "issued_on"):
            if isinstance(values.get(key), str):
                values[key] = dt.date.fromisoformat(values[key])
        for key in (
            "quality_grade",
            "data_format",
            "data_category_en",
            "update_frequency_en",
            "verification_code",
        ):
            if values.get(key) is None:
                values.pop(key, None)
        return cls(**values)


# --- presentation ------------------------------------------------------------------------------


def verification_link(url: str, code: str) -> str:
    """What the QR code encodes: the verification page, with the document's code when it has one."""
    if not code:
        return url
    return f"{url}{'&' if '?' in url else '?'}code={code}"


def printed_code(code: str) -> str:
    """The verification code as printed: groups of five (`ABCDE-FGHIJ-KLMNO-PQRST`)."""
    return "-".join(code[start : start + 5] for start in range(0, len(code), 5))


def date_zh(day: dt.date) -> str:
    return f"{day.year}年{day.month}月{day.day}日"


def _size(size_bytes: int) -> str:
    """Decimal units (1 GB = 10^9 bytes), three significant digits: 2.68 GB, 26.8 GB, 268 GB."""
    value, unit = float(size_bytes), "B"
    for bigger in ("KB", "MB", "GB", "TB", "PB"):
        if value < 999.5:
            break
        value, unit = value / 1000, bigger
    if unit == "B":
        return f"{size_bytes:,} B"
    decimals = 2 if value < 9.995 else 1 if value < 99.95 else 0
    return f"{value:,.{decimals}f} {unit}"


def _name_size(text: str) -> str:
    """A CSS class that shrinks long names so that the certificate stays on one page."""
    length = len(text)
    if length > 120:
        return "size-s"
    if length > 60:
        return "size-m"
    return "size-l"


def _context(data: CertificateData) -> dict[str, Any]:
    scale = []
    if data.record_count is not None:
        scale.append((f"{data.record_count:,} 条", "records"))
    if data.size_bytes is not None:
        scale.append((_size(data.size_bytes), ""))
    return {
        "c": data,
        "rights": [(label, RIGHTS_EN.get(label, "")) for label in data.rights],
        "scale": scale,
        "registration_date_zh": date_zh(data.registration_date),
        "valid_until_zh": date_zh(data.valid_until),
        "issued_on_zh": date_zh(data.issued_on),
        "asset_name_class": _name_size(data.asset_name),
        "holder_name_class": _name_size(data.holder_name),
        "qr_svg": qr_svg(data.verification_link),
        "seal_svg": seal_svg(data.registry_name),
        "verification_code": printed_code(data.verification_code),
    }


def certificate_html(data: CertificateData) -> str:
    """The certificate as HTML (Django template, autoescaped)."""
    from django.template.loader import render_to_string

    return render_to_string(data.template_name, _context(data))


# --- PDF ---------------------------------------------------------------------------------------


def _settings_font_dir() -> str | None:
    """settings.CERTIFICATE_FONT_DIR when set; else certificates.fonts decides (env, var/fonts)."""
    from django.conf import settings

    return getattr(settings, "CERTIFICATE_FONT_DIR", None) if settings.configured else None


def html_to_pdf(
    html: str,
    *,
    mode: FontMode = FontMode.SUBSET,
    font_dir: Path | str | None = None,
    single_page: bool = True,
) -> bytes:
    """Render certificate HTML to PDF with the fonts of `mode` (see `certificates.fonts`).

    `FontMode.SYSTEM` and `FontMode.LATIN` exist for the benchmark's comparison."""
    from weasyprint import HTML

    if font_dir is None:
        font_dir = _settings_font_dir()
    stylesheet = fonts.font_stylesheet(mode, font_dir)
    config = fonts.font_configuration()
    with fonts.render_lock:
        document = HTML(string=html, url_fetcher=fonts.url_fetcher()).render(
            stylesheets=[stylesheet], font_config=config
        )
        if single_page and len(document.pages) != 1:
            raise CertificateLayoutError(
                f"certificate content needs {len(document.pages)} pages instead of one"
            )
        return document.write_pdf()


def render_certificate_pdf(
    data: CertificateData,
    *,
    mode: FontMode = FontMode.SUBSET,
    font_dir: Path | str | None = None,
) -> bytes:
    """The certificate as a one-page A4 PDF."""
    return html_to_pdf(certificate_html(data), mode=mode, font_dir=font_dir)
