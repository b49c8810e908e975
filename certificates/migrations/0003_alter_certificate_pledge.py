"""The pledge foreign key follows the model to the pledges app; the table is the same, so
nothing changes in the database."""

import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('certificates', '0002_pledge_and_search'),
        ('pledges', '0001_initial'),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.AlterField(
                    model_name='certificate',
                    name='pledge',
                    field=models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='certificates', to='pledges.pledge', verbose_name='pledge'),
                ),
            ],
            database_operations=[],
        ),
    ]
