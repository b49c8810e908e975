"""The journal's hash chain (registry.chain): stream, seq, previous hash and hash on every row, one
head row per stream, and the existing rows linked in id order.

The backfill is the one time rows of the journal are updated: the migration runs as the tables'
owner, so on PostgreSQL it disables the append-only trigger of 0002 for its own UPDATEs and enables
it again before it commits (ALTER TABLE takes the table's exclusive lock: no other writer meanwhile).
Rows are read in id order in batches and written back in bulk; a million rows take a few minutes.
"""

from django.db import migrations, models

import registry.chain

TABLE = "registry_journalevent"
TRIGGER = "registry_journal_append_only"
BATCH = 5000
FIELDS = (
    "event_type",
    "occurred_at",
    "actor_id",
    "actor_label",
    "asset_id",
    "subject_type",
    "subject_id",
    "subject_label",
    "reason",
    "payload",
)


def _has_guard(connection) -> bool:
    if connection.vendor != "postgresql":
        return False
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT 1 FROM pg_trigger WHERE tgname = %s AND tgrelid = %s::regclass",
            [TRIGGER, TABLE],
        )
        return cursor.fetchone() is not None


def _write(connection, links) -> None:
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            ids, streams, seqs, prevs, hashes = (list(column) for column in zip(*links))
            cursor.execute(
                f"UPDATE {TABLE} AS e SET stream = v.stream, seq = v.seq,"
                " prev_hash = v.prev_hash, hash = v.hash"
                " FROM unnest(%s::bigint[], %s::varchar[], %s::bigint[], %s::varchar[],"
                " %s::varchar[]) AS v(id, stream, seq, prev_hash, hash) WHERE e.id = v.id",
                [ids, streams, seqs, prevs, hashes],
            )
        else:
            cursor.executemany(
                f"UPDATE {TABLE} SET stream = %s, seq = %s, prev_hash = %s, hash = %s"
                " WHERE id = %s",
                [(stream, seq, prev, digest, pk) for pk, stream, seq, prev, digest in links],
            )


def link_existing_rows(apps, schema_editor):
    connection = schema_editor.connection
    event_model = apps.get_model("registry", "JournalEvent")
    head_model = apps.get_model("registry", "JournalHead")
    guarded = _has_guard(connection)
    if guarded:
        schema_editor.execute(f"ALTER TABLE {TABLE} DISABLE TRIGGER {TRIGGER}")
    heads: dict[str, list] = {}  # stream -> [last seq, last hash, last id]
    last_pk = 0
    while True:
        batch = list(
            event_model.objects.filter(pk__gt=last_pk)
            .order_by("pk")
            .values_list("pk", *FIELDS)[:BATCH]
        )
        if not batch:
            break
        links = []
        for pk, *values in batch:
            content = dict(zip(FIELDS, values))
            stream = registry.chain.stream_for(
                asset_id=content["asset_id"],
                subject_type=content["subject_type"],
                subject_id=content["subject_id"],
            )
            head = heads.setdefault(stream, [0, registry.chain.GENESIS, None])
            content.update(stream=stream, seq=head[0] + 1)
            digest = registry.chain.row_hash(head[1], content)
            links.append((pk, stream, content["seq"], head[1], digest))
            head[:] = [content["seq"], digest, pk]
        _write(connection, links)
        last_pk = batch[-1][0]
    head_model.objects.bulk_create(
        [
            head_model(stream=stream, last_seq=seq, last_hash=digest, last_event_id=pk)
            for stream, (seq, digest, pk) in heads.items()
        ],
        batch_size=BATCH,
    )
    if guarded:
        schema_editor.execute(f"ALTER TABLE {TABLE} ENABLE TRIGGER {TRIGGER}")


class Migration(migrations.Migration):

    dependencies = [
        ("registry", "0008_move_pledges_and_counters"),
    ]

    operations = [
        migrations.CreateModel(
            name="JournalHead",
            fields=[
                (
                    "stream",
                    models.CharField(
                        max_length=100,
                        primary_key=True,
                        serialize=False,
                        verbose_name="chain stream",
                    ),
                ),
                (
                    "last_seq",
                    models.PositiveBigIntegerField(default=0, verbose_name="last position"),
                ),
                (
                    "last_hash",
                    models.CharField(
                        default="0000000000000000000000000000000000000000000000000000000000000000",
                        max_length=64,
                        verbose_name="last hash",
                    ),
                ),
                (
                    "last_event_id",
                    models.BigIntegerField(blank=True, null=True, verbose_name="last event id"),
                ),
            ],
            options={
                "verbose_name": "journal stream head",
                "verbose_name_plural": "journal stream heads",
            },
        ),
        migrations.AddField(
            model_name="journalevent",
            name="stream",
            field=models.CharField(
                default="", editable=False, max_length=100, verbose_name="chain stream"
            ),
            preserve_default=False,
        ),
        migrations.AddField(
            model_name="journalevent",
            name="seq",
            field=models.PositiveBigIntegerField(
                default=0, editable=False, verbose_name="position in the stream"
            ),
            preserve_default=False,
        ),
        migrations.AddField(
            model_name="journalevent",
            name="prev_hash",
            field=models.CharField(
                default="", editable=False, max_length=64, verbose_name="previous row's hash"
            ),
            preserve_default=False,
        ),
        migrations.AddField(
            model_name="journalevent",
            name="hash",
            field=models.CharField(default="", editable=False, max_length=64, verbose_name="hash"),
            preserve_default=False,
        ),
        migrations.RunPython(link_existing_rows, migrations.RunPython.noop),
        migrations.AddConstraint(
            model_name="journalevent",
            constraint=models.UniqueConstraint(
                fields=("stream", "seq"), name="journal_stream_seq_unique"
            ),
        ),
        migrations.AddConstraint(
            model_name="journalevent",
            constraint=models.CheckConstraint(
                condition=models.Q(("seq__gte", 1)), name="journal_seq_from_one"
            ),
        ),
    ]
