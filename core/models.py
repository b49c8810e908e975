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
