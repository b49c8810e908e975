"""Database-issued numbers: `next_value(name)` never returns the same value twice.

PostgreSQL: a real sequence per name (created by migration), so concurrent transactions never
share a number and no row lock is held until commit. Other databases (SQLite, whose writers are
serialised): an atomic UPDATE ... RETURNING on a counter row.
"""

from django.db import connection

from core.models import SequenceCounter

REGISTRATION_NUMBER = "registration_number"
APPLICATION_NUMBER = "application_number"
CERTIFICATE_NUMBER = "certificate_number"
PLEDGE_NUMBER = "pledge_number"

# Every sequence the project uses; migrations create them on PostgreSQL (0002, 0004).
SEQUENCES = (REGISTRATION_NUMBER, APPLICATION_NUMBER, CERTIFICATE_NUMBER, PLEDGE_NUMBER)


def pg_sequence_name(name: str) -> str:
    return f"registry_seq_{name}"


def next_value(name: str) -> int:
    if name not in SEQUENCES:
        raise ValueError(f"unknown sequence {name!r}")
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT nextval(%s)", [pg_sequence_name(name)])
            return cursor.fetchone()[0]
    SequenceCounter.objects.get_or_create(name=name)
    with connection.cursor() as cursor:
        cursor.execute(
            f"UPDATE {SequenceCounter._meta.db_table} SET value = value + 1 "
            "WHERE name = %s RETURNING value",
            [name],
        )
        return cursor.fetchone()[0]


def next_values(name: str, count: int) -> list[int]:
    """`count` fresh values at once (bulk loading); never shared with any other caller."""
    if name not in SEQUENCES:
        raise ValueError(f"unknown sequence {name!r}")
    if count < 1:
        return []
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT nextval(%s) FROM generate_series(1, %s)", [pg_sequence_name(name), count]
            )
            return [row[0] for row in cursor.fetchall()]
    SequenceCounter.objects.get_or_create(name=name)
    with connection.cursor() as cursor:
        cursor.execute(
            f"UPDATE {SequenceCounter._meta.db_table} SET value = value + %s "
            "WHERE name = %s RETURNING value",
            [count, name],
        )
        last = cursor.fetchone()[0]
    return list(range(last - count + 1, last + 1))
