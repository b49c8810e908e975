"""The sequence counters (SQLite's stand-in for PostgreSQL sequences) move from the registry app
to core; the table `registry_sequencecounter` and its rows stay (state only)."""

from django.db import migrations, models


def relabel_content_type(apps, schema_editor):
    content_types = apps.get_model("contenttypes", "ContentType")
    content_types.objects.filter(app_label="registry", model="sequencecounter").update(
        app_label="core"
    )


def restore_content_type(apps, schema_editor):
    content_types = apps.get_model("contenttypes", "ContentType")
    content_types.objects.filter(app_label="core", model="sequencecounter").update(
        app_label="registry"
    )


class Migration(migrations.Migration):

    initial = True

    dependencies = [
        ("contenttypes", "0002_remove_content_type_name"),
        ("registry", "0007_change_requests"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.CreateModel(
                    name='SequenceCounter',
                    fields=[
                        ('name', models.CharField(max_length=60, primary_key=True, serialize=False)),
                        ('value', models.BigIntegerField(default=0)),
                    ],
                    options={
                        'verbose_name': 'sequence counter',
                        'db_table': 'registry_sequencecounter',
                    },
                ),
            ],
            database_operations=[],
        ),
        migrations.RunPython(relabel_content_type, restore_content_type),
    ]
