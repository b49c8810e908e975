"""The API read log: who (organisation and API-key prefix) read what through the bank API, when,
and with which answer. Banks' look-ups are recorded so that the registry can show who consulted an
asset's pledge status (domain.md section 6; the registry answers for what it disclosed).

One append-only row per request, written by `api.read_log.api_read_log_record` (one
INSERT). The organisation link carries no database constraint (`DO_NOTHING`, `db_constraint=False`)
so that the log never blocks or loses anything when an organisation is removed; the label keeps
what it was called. Invariants (database): the method is an HTTP read verb or POST (bulk look-ups
are reads sent as POST); the status code is a valid HTTP status.
"""

from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class ApiReadLogQuerySet(models.QuerySet):
    def update(self, **kwargs):
        raise ValueError("The API read log is append-only.")

    def delete(self):
        raise ValueError("The API read log is append-only.")


class ApiReadLog(models.Model):
    organisation = models.ForeignKey(
        "registry.Organisation",
        verbose_name=_("organisation"),
        on_delete=models.DO_NOTHING,
        db_constraint=False,
        related_name="+",
    )
    organisation_label = models.CharField(_("organisation (as recorded)"), max_length=300)
    key_prefix = models.CharField(_("API key prefix"), max_length=16)
    method = models.CharField(_("HTTP method"), max_length=8)
    path = models.CharField(_("path"), max_length=500)
    query = models.JSONField(_("query summary"), default=dict, blank=True)
    status_code = models.PositiveSmallIntegerField(_("HTTP status"))
    requested_at = models.DateTimeField(_("time"), default=timezone.now)

    objects = ApiReadLogQuerySet.as_manager()

    class Meta:
        verbose_name = _("API read")
        verbose_name_plural = _("API read log")
        ordering = ["id"]
        indexes = [
            models.Index(fields=["organisation", "requested_at"], name="api_read_org_time"),
            models.Index(fields=["requested_at"], name="api_read_time"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(method__in=["GET", "HEAD", "OPTIONS", "POST"]),
                name="api_read_method_valid",
            ),
            models.CheckConstraint(
                condition=models.Q(status_code__gte=100, status_code__lte=599),
                name="api_read_status_code_valid",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.requested_at:%Y-%m-%d %H:%M:%S} {self.key_prefix} {self.method} {self.path}"

    def save(self, *args, **kwargs):
        if self.pk is not None and not self._state.adding:
            raise ValueError("API read log rows are immutable.")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise ValueError("The API read log is append-only.")
