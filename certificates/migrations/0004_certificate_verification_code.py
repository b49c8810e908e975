"""Every certificate gets its own verification code (printed on documents issued from now on,
and in their QR codes): existing rows are given one each, drawn like new ones, so that their
holders and authorised callers can hand it on. Their documents, rendered before, stay as issued."""

import secrets

from django.db import migrations, models

import certificates.models

ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567"
LENGTH = 20
BATCH = 1000


def _code() -> str:
    return "".join(secrets.choice(ALPHABET) for _ in range(LENGTH))


def backfill(apps, schema_editor):
    Certificate = apps.get_model("certificates", "Certificate")
    db = schema_editor.connection.alias
    pending = Certificate.objects.using(db).filter(verification_code="").only("pk").order_by("pk")
    while batch := list(pending[:BATCH]):
        for certificate in batch:
            certificate.verification_code = _code()
        Certificate.objects.using(db).bulk_update(batch, ["verification_code"])


class Migration(migrations.Migration):
    dependencies = [("certificates", "0003_alter_certificate_pledge")]

    operations = [
        migrations.AddField(
            model_name="certificate",
            name="verification_code",
            field=models.CharField(
                default="",
                editable=False,
                help_text="Printed on the document and in its QR code; unlocks the details.",
                max_length=20,
                verbose_name="verification code",
            ),
            preserve_default=False,
        ),
        migrations.RunPython(backfill, migrations.RunPython.noop, elidable=True),
        # From now on every new row draws its own (a callable default: one call per row).
        migrations.AlterField(
            model_name="certificate",
            name="verification_code",
            field=models.CharField(
                default=certificates.models.new_verification_code,
                editable=False,
                help_text="Printed on the document and in its QR code; unlocks the details.",
                max_length=20,
                verbose_name="verification code",
            ),
        ),
        migrations.AddConstraint(
            model_name="certificate",
            constraint=models.CheckConstraint(
                condition=models.Q(verification_code__length=20),
                name="certificate_verification_code_20",
            ),
        ),
    ]
