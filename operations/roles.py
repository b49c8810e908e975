"""The two PostgreSQL roles of a deployment: the owner, who runs the migrations, and the
application's role, which the web servers and workers connect as.

The owner owns the schema and every table (so only it can `ALTER`, `DROP`, `TRUNCATE` or disable a
trigger). The application's role gets, from `app_role_statements()` (`manage.py app_role_sql`):

- `SELECT` and `INSERT` only on the append-only tables (`APPEND_ONLY`): the journal, asset
  versions, the bank API read log, quality assessments and usage records;
- `SELECT`, `INSERT`, `UPDATE`, `DELETE` on every other table; final appraisals stay immutable
  through their trigger (valuation migration 0002), which this role cannot disable;
- `SELECT` on `django_migrations` (the owner's record of the schema);
- `USAGE`, `SELECT` on the sequences (`nextval` for ids and numbers), and `USAGE` on the schema.

Never `TRUNCATE`, `REFERENCES` or `TRIGGER`, never ownership. Privileges are per table, so the
statements are run again after every `migrate` (a new table is refused to the application until
they are: it fails loudly rather than being writable by accident). `role_problems()` checks a
role against the same rules (`app_role_sql --check`).
"""

from __future__ import annotations

import re

from django.db import connection
from django.db.models import Model

from registry.models import ApiReadLog, AssetVersion, JournalEvent
from valuation.models import QualityAssessment, UsageRecord

APPEND_ONLY: tuple[type[Model], ...] = (
    JournalEvent,
    AssetVersion,
    ApiReadLog,
    QualityAssessment,
    UsageRecord,
)
READ_ONLY_TABLES = ("django_migrations",)
ROLE_NAME = re.compile(r"^[a-z_][a-z0-9_]{0,62}$")


def append_only_tables() -> list[str]:
    return [model._meta.db_table for model in APPEND_ONLY]


def _identifier(name: str) -> str:
    if not ROLE_NAME.match(name):
        raise ValueError(
            f"{name!r} is not a plain PostgreSQL name (lower-case letters, digits, _)."
        )
    return f'"{name}"'


def app_role_statements(role: str, *, schema: str = "public") -> list[str]:
    """The statements that give `role` exactly the application's privileges on `schema`'s
    tables as they are now (idempotent: everything is revoked first)."""
    who = _identifier(role)
    where = _identifier(schema)
    append_only = ", ".join(f"{where}.{_identifier(t)}" for t in append_only_tables())
    read_only = ", ".join(f"{where}.{_identifier(t)}" for t in READ_ONLY_TABLES)
    return [
        f"REVOKE ALL ON ALL TABLES IN SCHEMA {where} FROM {who}",
        f"REVOKE ALL ON ALL SEQUENCES IN SCHEMA {where} FROM {who}",
        f"GRANT USAGE ON SCHEMA {where} TO {who}",
        f"GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA {where} TO {who}",
        f"REVOKE UPDATE, DELETE ON {append_only} FROM {who}",
        f"REVOKE INSERT, UPDATE, DELETE ON {read_only} FROM {who}",
        f"GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA {where} TO {who}",
    ]


def role_problems(role: str, *, schema: str = "public") -> list[str]:
    """What `role` may do that the application's role must not (or lacks): empty when it is
    exactly as `app_role_statements()` makes it. PostgreSQL only."""
    problems = []
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT rolsuper, rolbypassrls, rolcreaterole, rolcreatedb"
            " FROM pg_roles WHERE rolname = %s",
            [role],
        )
        found = cursor.fetchone()
        if found is None:
            return [f"there is no role {role}"]
        for allowed, what in zip(
            found,
            ("is a superuser", "bypasses row security", "creates roles", "creates databases"),
            strict=True,
        ):
            if allowed:
                problems.append(f"{role} {what}")
        cursor.execute(
            "SELECT c.relname, c.relkind, pg_get_userbyid(c.relowner),"
            " has_table_privilege(%s, c.oid, 'SELECT'), has_table_privilege(%s, c.oid, 'INSERT'),"
            " has_table_privilege(%s, c.oid, 'UPDATE'), has_table_privilege(%s, c.oid, 'DELETE'),"
            " has_table_privilege(%s, c.oid, 'TRUNCATE'),"
            " has_table_privilege(%s, c.oid, 'REFERENCES'),"
            " has_table_privilege(%s, c.oid, 'TRIGGER'),"
            " pg_has_role(%s, c.relowner, 'USAGE')"
            " FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace"
            " WHERE n.nspname = %s AND c.relkind IN ('r', 'p') ORDER BY c.relname",
            [role] * 8 + [schema],
        )
        tables = cursor.fetchall()
        cursor.execute(
            "SELECT c.relname, has_sequence_privilege(%s, c.oid, 'USAGE'),"
            " has_sequence_privilege(%s, c.oid, 'UPDATE')"
            " FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace"
            " WHERE n.nspname = %s AND c.relkind = 'S' ORDER BY c.relname",
            [role, role, schema],
        )
        sequences = cursor.fetchall()
        cursor.execute("SELECT has_schema_privilege(%s, %s, 'CREATE')", [role, schema])
        if cursor.fetchone()[0]:
            problems.append(f"{role} may create objects in schema {schema}")
    for name, usage, update in sequences:
        if not usage:
            problems.append(f"{role} may not use sequence {name}")
        if update:
            problems.append(f"{role} may set sequence {name}")
    append_only = set(append_only_tables())
    for name, _kind, owner, select, insert, update, delete, truncate, refs, trig, owns in tables:
        if owns:
            problems.append(f"{role} owns {name} (or is a member of its owner {owner})")
            continue
        expected = (True, True, False, False) if name in append_only else (True, True, True, True)
        if name in READ_ONLY_TABLES:
            expected = (True, False, False, False)
        for privilege, has, wanted in zip(
            ("SELECT", "INSERT", "UPDATE", "DELETE"),
            (select, insert, update, delete),
            expected,
            strict=True,
        ):
            if has != wanted:
                verb = "may" if has else "may not"
                problems.append(f"{role} {verb} {privilege} {name}")
        for privilege, has in (("TRUNCATE", truncate), ("REFERENCES", refs), ("TRIGGER", trig)):
            if has:
                problems.append(f"{role} may {privilege} {name}")
    return problems
