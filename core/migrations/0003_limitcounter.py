from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("core", "0002_outbox"),
    ]

    operations = [
        migrations.CreateModel(
            name="LimitCounter",
            fields=[
                ("name", models.CharField(max_length=200, primary_key=True, serialize=False)),
                ("hits", models.PositiveIntegerField(default=0)),
                ("ends_at", models.DateTimeField(db_index=True)),
            ],
            options={
                "verbose_name": "limit counter",
            },
        ),
    ]
