"""The audit journal: one append-only row per state change, written in the change's transaction.

Rows are never updated or deleted: `save()` refuses an existing row, `delete()` and the queryset's
bulk `update()`/`delete()` refuse always, and on PostgreSQL a trigger (migration 0002) rejects
UPDATE and DELETE from any client. The actor and asset links carry no database constraint
(`db_constraint=False`, `DO_NOTHING`) so that no deletion elsewhere can erase or block history;
`actor_label` and `subject_label` keep what they were called.
"""

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class JournalQuerySet(models.QuerySet):
    """Bulk UPDATE and DELETE would bypass `save()`/`delete()`: refuse them too."""

    def update(self, **kwargs):
        raise ValueError("The journal is append-only.")

    def delete(self):
        raise ValueError("The journal is append-only.")


class JournalEvent(models.Model):
    event_type = models.CharField(_("event"), max_length=60, db_index=True)
    occurred_at = models.DateTimeField(_("time"), default=timezone.now, db_index=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("actor"),
        on_delete=models.DO_NOTHING,
        db_constraint=False,
        null=True,
        blank=True,
        related_name="+",
    )
    actor_label = models.CharField(_("actor (as recorded)"), max_length=300)
    asset = models.ForeignKey(
        "registry.DataAsset",
        verbose_name=_("asset"),
        on_delete=models.DO_NOTHING,
        db_constraint=False,
        null=True,
        blank=True,
        related_name="journal",
    )
    subject_type = models.CharField(_("subject type"), max_length=40)
    subject_id = models.CharField(_("subject id"), max_length=40)
    subject_label = models.CharField(_("subject (as recorded)"), max_length=300)
    reason = models.TextField(_("reason"), blank=True)
    payload = models.JSONField(_("details"), default=dict, blank=True)

    objects = JournalQuerySet.as_manager()

    class Meta:
        verbose_name = _("journal event")
        verbose_name_plural = _("journal")
        ordering = ["id"]
        indexes = [
            models.Index(fields=["subject_type", "subject_id", "id"], name="journal_subject")
        ]
        constraints = [
            models.CheckConstraint(
                condition=~models.Q(event_type=""), name="journal_event_type_not_empty"
            ),
        ]

    def __str__(self) -> str:
        when = timezone.localtime(self.occurred_at)
        return f"{when:%Y-%m-%d %H:%M} {self.event_type} {self.subject_label}"

    def save(self, *args, **kwargs):
        if self.pk is not None:
            raise ValueError("The journal is append-only.")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise ValueError("The journal is append-only.")
