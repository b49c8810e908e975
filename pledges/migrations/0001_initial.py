"""Pledges move from the registry app to their own app; the table `registry_pledge` and its
rows, constraints and indexes stay as they are (state only), and so do the permissions, whose
content type is relabelled rather than recreated."""

import django.db.models.deletion
from django.db import migrations, models




def relabel_content_type(apps, schema_editor):
    content_types = apps.get_model("contenttypes", "ContentType")
    content_types.objects.filter(app_label="registry", model="pledge").update(app_label="pledges")


def restore_content_type(apps, schema_editor):
    content_types = apps.get_model("contenttypes", "ContentType")
    content_types.objects.filter(app_label="pledges", model="pledge").update(app_label="registry")


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
                    name='Pledge',
                    fields=[
                        ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                        ('number', models.CharField(max_length=14, unique=True, verbose_name='pledge number')),
                        ('secured_amount', models.DecimalField(decimal_places=2, max_digits=20, verbose_name='secured amount')),
                        ('currency', models.CharField(default='CNY', max_length=3, verbose_name='currency')),
                        ('debt_start', models.DateField(verbose_name='debt term start')),
                        ('debt_end', models.DateField(verbose_name='debt term end')),
                        ('registration_end', models.DateField(help_text='The pledge registration lapses after this date unless extended.', verbose_name='registration period end')),
                        ('status', models.CharField(choices=[('active', 'Active'), ('released', 'Released'), ('expired', 'Expired'), ('annulled', 'Annulled by the registrar')], default='active', max_length=20, verbose_name='status')),
                        ('priority', models.BigIntegerField(unique=True, verbose_name='priority order')),
                        ('registered_at', models.DateTimeField(verbose_name='registered at')),
                        ('filed_by_label', models.CharField(max_length=300, verbose_name='filed by')),
                        ('status_changed_at', models.DateTimeField(blank=True, null=True, verbose_name='status changed at')),
                        ('status_reason', models.TextField(blank=True, verbose_name='reason')),
                        ('asset', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='pledges', to='registry.dataasset', verbose_name='asset')),
                        ('pledgee', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='pledges_held', to='registry.organisation', verbose_name='pledgee')),
                        ('pledgor', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='pledges_given', to='registry.organisation', verbose_name='pledgor')),
                    ],
                    options={
                        'verbose_name': 'pledge',
                        'verbose_name_plural': 'pledges',
                        'db_table': 'registry_pledge',
                        'ordering': ['priority'],
                        'indexes': [models.Index(fields=['asset', 'status', 'priority'], name='pledge_asset_rank'), models.Index(fields=['pledgee', 'status'], name='pledge_pledgee'), models.Index(fields=['pledgor', 'status'], name='pledge_pledgor'), models.Index(fields=['status', 'registration_end'], name='pledge_lapse')],
                        'constraints': [models.CheckConstraint(condition=models.Q(('status__in', ['active', 'released', 'expired', 'annulled'])), name='pledge_status_valid'), models.CheckConstraint(condition=models.Q(('secured_amount__gt', 0)), name='pledge_amount_positive'), models.CheckConstraint(condition=models.Q(('currency', 'CNY')), name='pledge_currency_cny'), models.CheckConstraint(condition=models.Q(('debt_end__gte', models.F('debt_start'))), name='pledge_debt_term_ordered'), models.CheckConstraint(condition=models.Q(('registration_end__gte', models.F('debt_end'))), name='pledge_registration_covers_debt'), models.CheckConstraint(condition=models.Q(('status', 'active'), ('status_changed_at__isnull', False), _connector='OR'), name='pledge_closed_has_date'), models.CheckConstraint(condition=models.Q(('pledgor', models.F('pledgee')), _negated=True), name='pledge_parties_differ')],
                    },
                ),
            ],
            database_operations=[],
        ),
        migrations.RunPython(relabel_content_type, restore_content_type),
    ]
