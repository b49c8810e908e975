"""Counters for databases without sequences (SQLite); PostgreSQL uses real sequences.

See `core.sequences`: on PostgreSQL numbers come from `nextval()` (never reused, no lock held
until commit); on SQLite, whose writers are serialised anyway, from an UPDATE ... RETURNING on a row
of this table.
"""

from django.db import models


class SequenceCounter(models.Model):
    name = models.CharField(max_length=60, primary_key=True)
    value = models.BigIntegerField(default=0)

    class Meta:
        # The table keeps the name it had when the counters lived in the registry app.
        db_table = "registry_sequencecounter"
        verbose_name = "sequence counter"

    def __str__(self) -> str:
        return f"{self.name}={self.value}"


class OutboxMessage(models.Model):
    """One side effect of a domain step (render a certificate, send an e-mail, call a webhook),
    written in the step's own transaction, so it exists exactly when the step committed.

    `core.outbox` hands due messages to the task backend and records each delivery: a message is
    delivered until its handler has succeeded once (its own database writes commit together with
    the `done` mark), retried with backoff on failure, and taken up again when a worker that had it
    died (its lease runs out)."""

    class State(models.TextChoices):
        PENDING = "pending", "pending"
        DISPATCHED = "dispatched", "dispatched"
        DONE = "done", "done"
        FAILED = "failed", "failed (attempts exhausted; the daily tick tries again)"

    topic = models.CharField(max_length=80)
    # Names the effect, so the same effect asked for twice (a step and the reconciliation) is
    # one message: e.g. "certificates.render:1234".
    key = models.CharField(max_length=200, unique=True)
    payload = models.JSONField(default=dict)
    state = models.CharField(max_length=12, choices=State.choices, default=State.PENDING)
    attempts = models.PositiveIntegerField(default=0)
    dispatches = models.PositiveIntegerField(default=0)
    created_at = models.DateTimeField()
    available_at = models.DateTimeField()
    lease_until = models.DateTimeField(null=True, blank=True)
    done_at = models.DateTimeField(null=True, blank=True)
    last_error = models.TextField(blank=True)

    class Meta:
        verbose_name = "outbox message"
        indexes = [
            models.Index(fields=["state", "available_at"], name="core_outbox_due"),
            models.Index(fields=["topic", "state"], name="core_outbox_topic"),
        ]

    def __str__(self) -> str:
        return f"{self.key} ({self.state})"


class LimitCounter(models.Model):
    """One shared counter of a limit (`core.counters`): `hits` counted under `name` in the fixed
    window that ends at `ends_at`. Written only by the counters' single-statement upsert, so
    concurrent hits from any process never read the same count; rows whose window has ended are
    deleted by `core.counters.counters_prune`."""

    name = models.CharField(max_length=200, primary_key=True)
    hits = models.PositiveIntegerField(default=0)
    ends_at = models.DateTimeField(db_index=True)

    class Meta:
        verbose_name = "limit counter"

    def __str__(self) -> str:
        return f"{self.name}={self.hits} until {self.ends_at:%Y-%m-%d %H:%M:%S}"
