"""What the API remembers of its callers' requests: the idempotency keys of POSTs.

Invariants (database):
- a key is unique per owner: per organisation for API-key clients, per user for signed-in
  sessions (two partial unique indexes). The index is also what makes a concurrent duplicate wait
  for the first request's transaction (see `api.idempotency`).
- a row has exactly one owner;
- a stored answer is a success (2xx/3xx): refusals and server errors are never stored. A row
  without an answer exists only inside the transaction of the request that is running it.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class IdempotencyKey(models.Model):
    key = models.CharField(_("idempotency key"), max_length=255)
    # Owners are referenced without a database constraint (as the API read log does): a key row
    # must never hold a lock on, or block the deletion of, an organisation or a user. Rows live
    # two days; `idempotency_prune` removes them.
    organisation = models.ForeignKey(
        "registry.Organisation",
        verbose_name=_("organisation"),
        null=True,
        blank=True,
        on_delete=models.DO_NOTHING,
        db_constraint=False,
        db_index=False,  # the unique index (owner, key) leads with it
        related_name="+",
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("user"),
        null=True,
        blank=True,
        on_delete=models.DO_NOTHING,
        db_constraint=False,
        db_index=False,  # the unique index (owner, key) leads with it
        related_name="+",
    )
    caller_label = models.CharField(_("caller (as recorded)"), max_length=300)
    # The request's fingerprint: a repeat must match all three.
    method = models.CharField(_("HTTP method"), max_length=8)
    path = models.CharField(_("path"), max_length=500)
    body_sha256 = models.CharField(_("SHA-256 of the canonical body"), max_length=64)
    # The answer, byte for byte; empty (status NULL) while the first request runs.
    status_code = models.PositiveSmallIntegerField(_("HTTP status"), null=True, blank=True)
    content_type = models.CharField(_("content type"), max_length=200, blank=True)
    response_body = models.BinaryField(_("response body"), default=b"", blank=True)
    created_at = models.DateTimeField(_("first received"), default=timezone.now)

    class Meta:
        verbose_name = _("idempotency key")
        verbose_name_plural = _("idempotency keys")
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["created_at"], name="api_idem_created")]
        constraints = [
            models.UniqueConstraint(
                fields=["organisation", "key"],
                condition=models.Q(organisation__isnull=False),
                name="api_idem_key_per_organisation",
            ),
            models.UniqueConstraint(
                fields=["user", "key"],
                condition=models.Q(user__isnull=False),
                name="api_idem_key_per_user",
            ),
            models.CheckConstraint(
                condition=models.Q(organisation__isnull=False, user__isnull=True)
                | models.Q(organisation__isnull=True, user__isnull=False),
                name="api_idem_one_owner",
            ),
            models.CheckConstraint(
                condition=models.Q(status_code__isnull=True)
                | models.Q(status_code__gte=200, status_code__lte=399),
                name="api_idem_stores_successes_only",
            ),
            models.CheckConstraint(condition=~models.Q(key=""), name="api_idem_key_not_empty"),
        ]

    def __str__(self) -> str:
        return f"{self.key} ({self.caller_label}): {self.method} {self.path}"
