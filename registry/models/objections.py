"""Objections (异议) filed during publicity; an open one blocks registration."""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from registry.choices import ObjectionStatus


def evidence_upload_to(instance: "Objection", filename: str) -> str:
    return f"objections/{instance.asset_id}/{filename}"


class Objection(models.Model):
    asset = models.ForeignKey(
        "registry.DataAsset",
        verbose_name=_("asset"),
        on_delete=models.PROTECT,
        related_name="objections",
    )
    objector_name = models.CharField(_("objector"), max_length=200)
    objector_contact = models.CharField(_("contact"), max_length=200)
    reasons = models.TextField(_("reasons"))
    evidence = models.FileField(_("evidence"), upload_to=evidence_upload_to, blank=True)
    status = models.CharField(
        _("status"), max_length=20, choices=ObjectionStatus.choices, default=ObjectionStatus.OPEN
    )
    filed_at = models.DateTimeField(_("filed at"), auto_now_add=True)
    applicant_response = models.TextField(_("applicant's response"), blank=True)
    resolution_note = models.TextField(_("resolution"), blank=True)
    resolved_at = models.DateTimeField(_("resolved at"), null=True, blank=True)
    resolved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("resolved by"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )

    class Meta:
        verbose_name = _("objection")
        verbose_name_plural = _("objections")
        ordering = ["-filed_at", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(status__in=ObjectionStatus.values),
                name="objection_status_valid",
            ),
            models.CheckConstraint(
                condition=~models.Q(reasons=""), name="objection_reasons_not_empty"
            ),
            # Resolved objections say when; open ones do not.
            models.CheckConstraint(
                condition=models.Q(status=ObjectionStatus.OPEN, resolved_at__isnull=True)
                | (~models.Q(status=ObjectionStatus.OPEN) & models.Q(resolved_at__isnull=False)),
                name="objection_resolution_consistent",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.objector_name} → {self.asset_id} ({self.get_status_display()})"
