"""PostgreSQL only: sequences for certificate and pledge numbers."""

from django.db import migrations

SEQUENCES = ("certificate_number", "pledge_number")


def forwards(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        for name in SEQUENCES:
            schema_editor.execute(f"CREATE SEQUENCE IF NOT EXISTS registry_seq_{name} START 1")


def backwards(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        for name in SEQUENCES:
            schema_editor.execute(f"DROP SEQUENCE IF EXISTS registry_seq_{name}")


class Migration(migrations.Migration):
    dependencies = [("registry", "0003_organisationapikey")]

    operations = [migrations.RunPython(forwards, backwards)]
