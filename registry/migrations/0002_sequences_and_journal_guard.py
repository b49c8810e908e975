"""PostgreSQL only: number sequences and the append-only guard of the journal.

SQLite has neither sequences nor a need for them (writers are serialised); `registry.sequences`
falls back to a counter row there. The journal trigger rejects UPDATE and DELETE of any row from any
client; TRUNCATE (used only by test database resets) is not a row operation and is unaffected.
"""

from django.db import migrations

SEQUENCES = ("registration_number", "application_number")

GUARD_FUNCTION = """
CREATE OR REPLACE FUNCTION registry_journal_append_only() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION 'registry_journalevent is append-only (% refused)', TG_OP;
END;
$$ LANGUAGE plpgsql;
"""
GUARD_TRIGGER = """
CREATE TRIGGER registry_journal_append_only
BEFORE UPDATE OR DELETE ON registry_journalevent
FOR EACH ROW EXECUTE FUNCTION registry_journal_append_only();
"""


def forwards(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for name in SEQUENCES:
        schema_editor.execute(f"CREATE SEQUENCE IF NOT EXISTS registry_seq_{name} START 1")
    schema_editor.execute(GUARD_FUNCTION, params=None)
    schema_editor.execute(GUARD_TRIGGER)


def backwards(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute(
        "DROP TRIGGER IF EXISTS registry_journal_append_only ON registry_journalevent"
    )
    schema_editor.execute("DROP FUNCTION IF EXISTS registry_journal_append_only()")
    for name in SEQUENCES:
        schema_editor.execute(f"DROP SEQUENCE IF EXISTS registry_seq_{name}")


class Migration(migrations.Migration):
    dependencies = [("registry", "0001_initial")]

    operations = [migrations.RunPython(forwards, backwards)]
