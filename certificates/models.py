"""Certificates the registry issues: registration certificates (数据资产登记证书), and later pledge
registration certificates (质押登记证明) and search certificates (查询证明).

Lifecycle: a certificate is issued `valid`; a reissue (amendment, renewal, transfer) makes the old
one `superseded` (pointing at its successor); cancelling or revoking the registration makes it
`revoked`. The printed content is fixed at issue in `data`; the PDF is rendered once from it (after
the issuing transaction commits), signed, stored, and its SHA-256 recorded, so the verification page
can say whether a given file is the one the registry issued.

Each certificate also gets a verification code at issue (`verification_code`: 20 random base32
characters, 100 bits, from `secrets`), printed on the document and carried in its QR code's link.
Numbers are sequential, so the number alone proves only that a document exists (its kind, status
and validity); the details need the code or an authorised caller (`certificates.verification`).
The code is stored beside the content, not in `data`: `data` is what the document says and what
the verification pages show, the code is a secret that unlocks it; both are fixed at issue and
the renderer prints the two.

Invariants (database): numbers are unique 17-digit strings from a sequence; status values are
known; at most one valid registration certificate per asset; a certificate supersedes at most one
other; a rendered certificate has a document hash; every certificate has a 20-character code.
"""

import secrets

from django.conf import settings
from django.db import models
from django.db.models.functions import Length
from django.utils.translation import gettext_lazy as _

models.CharField.register_lookup(Length)


class CertificateKind(models.TextChoices):
    REGISTRATION = "registration", _("Data asset registration certificate")
    PLEDGE = "pledge", _("Pledge registration certificate")
    SEARCH = "search", _("Search certificate")


class CertificateStatus(models.TextChoices):
    VALID = "valid", _("Valid")
    SUPERSEDED = "superseded", _("Superseded")
    REVOKED = "revoked", _("Revoked")


# RFC 4648 base32: no 0, 1, 8 or 9 to confuse with O, I, B or g when typed from paper.
VERIFICATION_CODE_ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567"
VERIFICATION_CODE_LENGTH = 20  # 100 bits


def new_verification_code() -> str:
    """A fresh, unguessable verification code (20 base32 characters from `secrets`)."""
    return "".join(
        secrets.choice(VERIFICATION_CODE_ALPHABET) for _ in range(VERIFICATION_CODE_LENGTH)
    )


def document_upload_to(instance: "Certificate", filename: str) -> str:
    return f"certificates/{instance.number[:4]}/{filename}"


class Certificate(models.Model):
    number = models.CharField(_("certificate number"), max_length=17, unique=True)
    kind = models.CharField(_("kind"), max_length=20, choices=CertificateKind.choices)
    status = models.CharField(
        _("status"),
        max_length=20,
        choices=CertificateStatus.choices,
        default=CertificateStatus.VALID,
    )
    asset = models.ForeignKey(
        "registry.DataAsset",
        verbose_name=_("asset"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="certificates",
    )
    asset_version = models.PositiveIntegerField(_("asset version"), null=True, blank=True)
    pledge = models.ForeignKey(
        "pledges.Pledge",
        verbose_name=_("pledge"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="certificates",
    )
    requested_by = models.ForeignKey(
        "registry.Organisation",
        verbose_name=_("requested by"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        help_text=_("For a search certificate: the organisation whose query it fixes."),
    )
    data = models.JSONField(_("printed content"))
    verification_code = models.CharField(
        _("verification code"),
        max_length=VERIFICATION_CODE_LENGTH,
        default=new_verification_code,  # a fresh one for every row (issue sets it explicitly)
        editable=False,
        help_text=_("Printed on the document and in its QR code; unlocks the details."),
    )
    document = models.FileField(_("document"), upload_to=document_upload_to, blank=True)
    document_sha256 = models.CharField(_("document SHA-256"), max_length=64, blank=True)
    document_size = models.PositiveIntegerField(_("document size"), null=True, blank=True)
    signed = models.BooleanField(_("digitally signed"), default=False)
    rendered_at = models.DateTimeField(_("rendered at"), null=True, blank=True)
    issued_at = models.DateTimeField(_("issued at"))
    issued_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("issued by"),
        on_delete=models.DO_NOTHING,
        db_constraint=False,
        null=True,
        blank=True,
        related_name="+",
    )
    # Points back at the certificate this one replaced: the old one is marked superseded first
    # (one valid certificate per asset), then this one is created naming it.
    supersedes = models.OneToOneField(
        "self",
        verbose_name=_("supersedes"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="successor",
    )
    status_changed_at = models.DateTimeField(_("status changed at"), null=True, blank=True)
    status_reason = models.TextField(_("reason"), blank=True)

    class Meta:
        verbose_name = _("certificate")
        verbose_name_plural = _("certificates")
        ordering = ["-issued_at", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(number__length=17), name="certificate_number_17"
            ),
            models.CheckConstraint(
                condition=models.Q(verification_code__length=VERIFICATION_CODE_LENGTH),
                name="certificate_verification_code_20",
            ),
            models.CheckConstraint(
                condition=models.Q(kind__in=CertificateKind.values),
                name="certificate_kind_valid",
            ),
            models.CheckConstraint(
                condition=models.Q(status__in=CertificateStatus.values),
                name="certificate_status_valid",
            ),
            models.CheckConstraint(
                condition=models.Q(rendered_at__isnull=True) | ~models.Q(document_sha256=""),
                name="certificate_rendered_has_hash",
            ),
            models.UniqueConstraint(
                fields=["asset"],
                condition=models.Q(
                    kind=CertificateKind.REGISTRATION, status=CertificateStatus.VALID
                ),
                name="certificate_one_valid_registration_per_asset",
            ),
            models.UniqueConstraint(
                fields=["pledge"],
                condition=models.Q(kind=CertificateKind.PLEDGE, status=CertificateStatus.VALID),
                name="certificate_one_valid_per_pledge",
            ),
            models.CheckConstraint(
                condition=~models.Q(kind=CertificateKind.PLEDGE) | models.Q(pledge__isnull=False),
                name="certificate_pledge_kind_names_pledge",
            ),
            models.CheckConstraint(
                condition=~models.Q(kind=CertificateKind.SEARCH)
                | models.Q(requested_by__isnull=False),
                name="certificate_search_kind_names_requester",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.number} ({self.get_status_display()})"

    @property
    def is_rendered(self) -> bool:
        return self.rendered_at is not None
