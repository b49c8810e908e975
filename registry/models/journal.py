"""The audit journal: one append-only row per state change, written in the change's transaction.

Rows are never updated or deleted: `save()` refuses an existing row, `delete()` and the queryset's
bulk `update()`/`delete()` refuse always, and on PostgreSQL a trigger (migration 0002) rejects
UPDATE and DELETE from any client. The actor and asset links carry no database constraint
(`db_constraint=False`, `DO_NOTHING`) so that no deletion elsewhere can erase or block history;
`actor_label` and `subject_label` keep what they were called.

Tamper evidence (`registry.chain`): every row is a link of its stream's hash chain (`stream`,
`seq`, `prev_hash`, `hash`), written by `registry.journal` in the row's transaction under the row
lock of the stream's `JournalHead`; `(stream, seq)` is unique, so two writers can never fork a
stream. `manage.py verify_journal` recomputes the chains. The guards above stop the application;
the chain shows what someone with the database owner's rights did anyway.
"""

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from registry.chain import GENESIS


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
    # The hash chain (registry.chain): set by the writer, never by a form.
    stream = models.CharField(_("chain stream"), max_length=100, editable=False)
    seq = models.PositiveBigIntegerField(_("position in the stream"), editable=False)
    prev_hash = models.CharField(_("previous row's hash"), max_length=64, editable=False)
    hash = models.CharField(_("hash"), max_length=64, editable=False)

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
            models.UniqueConstraint(fields=["stream", "seq"], name="journal_stream_seq_unique"),
            models.CheckConstraint(condition=models.Q(seq__gte=1), name="journal_seq_from_one"),
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


class JournalHead(models.Model):
    """The end of one journal stream: what its writer last appended. Locked (`select_for_update`)
    by every writer of the stream, so that appends to a stream are numbered one after the other;
    `verify_journal` compares it with the stream's last row (rows cut from the end, or added
    behind the writer's back). Updated in place: it is a pointer, not history."""

    stream = models.CharField(_("chain stream"), max_length=100, primary_key=True)
    last_seq = models.PositiveBigIntegerField(_("last position"), default=0)
    last_hash = models.CharField(_("last hash"), max_length=64, default=GENESIS)
    last_event_id = models.BigIntegerField(_("last event id"), null=True, blank=True)

    class Meta:
        verbose_name = _("journal stream head")
        verbose_name_plural = _("journal stream heads")

    def __str__(self) -> str:
        return f"{self.stream} @ {self.last_seq}"
