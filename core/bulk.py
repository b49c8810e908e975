"""Bulk inserts of plain rows: PostgreSQL COPY, elsewhere `bulk_create`.

Django's `bulk_create` on PostgreSQL binds every value in Python (arrays for UNNEST), which costs
more than the work being stored when a batch writes 100,000 rows. COPY streams the rows through
psycopg instead. Rows are dicts of field name → Python value (JSON fields as Python objects);
they must already be valid: COPY runs the database constraints, not model validation.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence

from django.db import connection, models
from django.db.models import ForeignObjectRel


def insert_rows(model: type[models.Model], rows: Sequence[dict], *, batch_size: int = 5000) -> int:
    if not rows:
        return 0
    names = list(rows[0])
    fields = [model._meta.get_field(name) for name in names]
    if connection.vendor != "postgresql":
        model._default_manager.bulk_create([model(**row) for row in rows], batch_size=batch_size)
        return len(rows)
    json_fields = {f.name for f in fields if isinstance(f, models.JSONField)}
    quote = connection.ops.quote_name
    columns = ", ".join(quote(_column(f)) for f in fields)
    statement = f"COPY {quote(model._meta.db_table)} ({columns}) FROM STDIN"
    with connection.cursor() as cursor, cursor.cursor.copy(statement) as copy:
        for row in rows:
            copy.write_row(_values(row, names, json_fields))
    return len(rows)


def _column(field: models.Field | ForeignObjectRel) -> str:
    """The table column of a row key: COPY can only fill the model's own columns."""
    if not isinstance(field, models.Field) or field.column is None:
        raise ValueError(f"{field.name!r} is not a table column")
    return field.column


def _values(row: dict, names: list[str], json_fields: set[str]) -> Iterable:
    for name in names:
        value = row[name]
        yield json.dumps(value, ensure_ascii=False) if name in json_fields else value


def reserve_ids(model: type[models.Model], count: int) -> list[int] | None:
    """Primary keys for `count` rows to be COPY-ed (PostgreSQL: from the table's own sequence,
    so later ORM inserts never collide). None elsewhere: `bulk_create` assigns them."""
    if connection.vendor != "postgresql" or count < 1:
        return None
    table = model._meta.db_table
    column = model._meta.pk.column
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT nextval(pg_get_serial_sequence(%s, %s)) FROM generate_series(1, %s)",
            [table, column, count],
        )
        return [row[0] for row in cursor.fetchall()]
