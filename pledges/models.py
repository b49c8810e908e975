"""Pledges (质押) of registered data assets as loan collateral (domain.md section 6).

Modelled on China's unified movable-property registry (中登网): the pledgee files the registration
and answers for its content; the registry records it at once and publishes it. Priority is the
order of registration (Civil Code art. 414, first to file), fixed at filing by a database sequence
(`priority`), so two filings in the same instant still have a strict order. Registrars oversee
filings in the admin and annul erroneous ones.

Invariants (database): unique pledge numbers and priorities; secured amount > 0 in CNY; debt term
and registration period ordered; status values known; an active pledge has its priority and
registration time; a released, expired or annulled pledge says when.
"""

from django.db import models
from django.utils.translation import gettext_lazy as _

CURRENCY = "CNY"


class PledgeStatus(models.TextChoices):
    ACTIVE = "active", _("Active")
    RELEASED = "released", _("Released")
    EXPIRED = "expired", _("Expired")
    ANNULLED = "annulled", _("Annulled by the registrar")


class Pledge(models.Model):
    number = models.CharField(_("pledge number"), max_length=14, unique=True)
    asset = models.ForeignKey(
        "registry.DataAsset",
        verbose_name=_("asset"),
        on_delete=models.PROTECT,
        related_name="pledges",
    )
    pledgor = models.ForeignKey(
        "registry.Organisation",
        verbose_name=_("pledgor"),
        on_delete=models.PROTECT,
        related_name="pledges_given",
    )
    pledgee = models.ForeignKey(
        "registry.Organisation",
        verbose_name=_("pledgee"),
        on_delete=models.PROTECT,
        related_name="pledges_held",
    )
    secured_amount = models.DecimalField(_("secured amount"), max_digits=20, decimal_places=2)
    currency = models.CharField(_("currency"), max_length=3, default=CURRENCY)
    debt_start = models.DateField(_("debt term start"))
    debt_end = models.DateField(_("debt term end"))
    registration_end = models.DateField(
        _("registration period end"),
        help_text=_("The pledge registration lapses after this date unless extended."),
    )
    status = models.CharField(
        _("status"), max_length=20, choices=PledgeStatus.choices, default=PledgeStatus.ACTIVE
    )
    priority = models.BigIntegerField(_("priority order"), unique=True)
    registered_at = models.DateTimeField(_("registered at"))
    filed_by_label = models.CharField(_("filed by"), max_length=300)
    status_changed_at = models.DateTimeField(_("status changed at"), null=True, blank=True)
    status_reason = models.TextField(_("reason"), blank=True)

    class Meta:
        # The table keeps the name it had when pledges lived in the registry app.
        db_table = "registry_pledge"
        verbose_name = _("pledge")
        verbose_name_plural = _("pledges")
        ordering = ["priority"]
        indexes = [
            models.Index(fields=["asset", "status", "priority"], name="pledge_asset_rank"),
            models.Index(fields=["pledgee", "status"], name="pledge_pledgee"),
            models.Index(fields=["pledgor", "status"], name="pledge_pledgor"),
            models.Index(fields=["status", "registration_end"], name="pledge_lapse"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(status__in=PledgeStatus.values), name="pledge_status_valid"
            ),
            models.CheckConstraint(
                condition=models.Q(secured_amount__gt=0), name="pledge_amount_positive"
            ),
            models.CheckConstraint(
                condition=models.Q(currency=CURRENCY), name="pledge_currency_cny"
            ),
            models.CheckConstraint(
                condition=models.Q(debt_end__gte=models.F("debt_start")),
                name="pledge_debt_term_ordered",
            ),
            models.CheckConstraint(
                condition=models.Q(registration_end__gte=models.F("debt_end")),
                name="pledge_registration_covers_debt",
            ),
            models.CheckConstraint(
                condition=models.Q(status=PledgeStatus.ACTIVE)
                | models.Q(status_changed_at__isnull=False),
                name="pledge_closed_has_date",
            ),
            models.CheckConstraint(
                condition=~models.Q(pledgor=models.F("pledgee")),
                name="pledge_parties_differ",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.number} ({self.get_status_display()})"
