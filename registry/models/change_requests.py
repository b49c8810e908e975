"""Change requests: a holder asks the registrar to amend (变更) or renew (续展) a registration.

The request only records the holder's wish; the registrar decides. Approving one runs the
amendment or renewal service (a new version, journaled) in the same transaction.

Invariants (database): kind and status values known; a non-empty reason; at most one open request
per asset and kind; a decided request says who decided and when, an open one does not.
"""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy


class ChangeRequestKind(models.TextChoices):
    AMENDMENT = "amendment", _("Amendment")
    RENEWAL = "renewal", _("Renewal")


class ChangeRequestStatus(models.TextChoices):
    OPEN = "open", _("Open")
    APPROVED = "approved", _("Approved")
    REJECTED = "rejected", pgettext_lazy("change request", "Rejected")


class ChangeRequest(models.Model):
    asset = models.ForeignKey(
        "registry.DataAsset",
        verbose_name=_("asset"),
        on_delete=models.PROTECT,
        related_name="change_requests",
    )
    kind = models.CharField(_("kind"), max_length=20, choices=ChangeRequestKind.choices)
    status = models.CharField(
        _("status"),
        max_length=20,
        choices=ChangeRequestStatus.choices,
        default=ChangeRequestStatus.OPEN,
    )
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=pgettext_lazy("change request", "requested by"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    requested_at = models.DateTimeField(_("requested at"), auto_now_add=True)
    proposed_changes = models.JSONField(_("proposed changes"), default=dict, blank=True)
    reason = models.TextField(_("reason"))
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("decided by"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    decided_at = models.DateTimeField(_("decided at"), null=True, blank=True)
    decision_note = models.TextField(_("decision note"), blank=True)

    class Meta:
        verbose_name = _("change request")
        verbose_name_plural = _("change requests")
        ordering = ["-requested_at", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(kind__in=ChangeRequestKind.values),
                name="change_request_kind_valid",
            ),
            models.CheckConstraint(
                condition=models.Q(status__in=ChangeRequestStatus.values),
                name="change_request_status_valid",
            ),
            models.CheckConstraint(
                condition=~models.Q(reason=""), name="change_request_reason_not_empty"
            ),
            models.UniqueConstraint(
                fields=["asset", "kind"],
                condition=models.Q(status=ChangeRequestStatus.OPEN),
                name="change_request_one_open_per_asset_and_kind",
                violation_error_message=_("An open request of this kind already exists."),
            ),
            # Decided requests say who and when; open ones do not.
            models.CheckConstraint(
                condition=models.Q(
                    status=ChangeRequestStatus.OPEN,
                    decided_at__isnull=True,
                    decided_by__isnull=True,
                )
                | (
                    ~models.Q(status=ChangeRequestStatus.OPEN)
                    & models.Q(decided_at__isnull=False, decided_by__isnull=False)
                ),
                name="change_request_decision_consistent",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} #{self.pk} → {self.asset} ({self.get_status_display()})"
