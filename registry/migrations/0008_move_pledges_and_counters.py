"""Pledges now live in the pledges app and the sequence counters in core: the registry forgets
them in its state only; their tables (`registry_pledge`, `registry_sequencecounter`) are kept
and adopted by those apps' first migrations."""

from django.db import migrations


class Migration(migrations.Migration):

    dependencies = [
        ("registry", "0007_change_requests"),
        ("pledges", "0001_initial"),
        ("core", "0001_initial"),
        ("certificates", "0003_alter_certificate_pledge"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.DeleteModel(name="Pledge"),
                migrations.DeleteModel(name="SequenceCounter"),
            ],
            database_operations=[],
        ),
    ]
