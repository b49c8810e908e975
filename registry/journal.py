"""Writers of the audit journal: every state change calls exactly one of them, inside the change's
transaction, so that the journal and the data can never disagree.

Status transitions share one writer (`record_asset_transition`) because they carry the same
payload (old and new status plus what the step set); the other event types have their own.

Every row goes through `record()` (one event) or `record_many()` (a batch job's rows, COPY): they
link it into its stream's hash chain (`registry.chain`) in the caller's transaction. The stream's
head row is locked first (`SELECT ... FOR UPDATE`; created race-free with INSERT ... ON CONFLICT
DO NOTHING when the stream is new), so two writers of one stream append one after the other and
`(stream, seq)` stays unique; writers of different streams never wait for each other. Cost per
event: one locking SELECT and one UPDATE of the head beside the INSERT.
"""

from __future__ import annotations

import contextlib
import dataclasses
import datetime as dt
import itertools
import json
import time
from collections.abc import Iterable, Mapping, Sequence
from decimal import Decimal
from typing import Any

from django.core.files import File
from django.db import connection, transaction
from django.db.models import CharField, Exists, OuterRef, Subquery, Value
from django.db.models.functions import Cast, Coalesce, Concat
from django.utils import timezone

from core.actors import Actor
from core.bulk import insert_rows, reserve_ids
from registry import chain
from registry.events import (  # noqa: F401 (writers and callers name the types through here too)
    API_KEY_ISSUED,
    API_KEY_REVOKED,
    ASSET_ACCEPTED,
    ASSET_AMENDED,
    ASSET_CANCELLED,
    ASSET_CREATED,
    ASSET_EXPIRED,
    ASSET_OBJECTED,
    ASSET_OBJECTIONS_CLEARED,
    ASSET_PUBLICITY_STARTED,
    ASSET_REGISTERED,
    ASSET_REJECTED,
    ASSET_RENEWED,
    ASSET_RETURNED,
    ASSET_REVOKED,
    ASSET_SUBMITTED,
    ASSET_TRANSFERRED,
    ASSET_UPDATED,
    CALENDAR_OVERRIDE_SET,
    OBJECTION_DISMISSED,
    OBJECTION_FILED,
    OBJECTION_RESPONDED,
    OBJECTION_UPHELD,
    ORGANISATION_CREATED,
    ORGANISATION_UPDATED,
)
from registry.models import DataAsset, JournalEvent, Objection, Organisation, User
from registry.models.journal import JournalHead

SYSTEM_LABEL = "system (registry_tick)"
OPERATOR_LABEL = "operator (manage.py)"
HEAD_BATCH = 1000  # heads locked or updated per statement by record_many()
_HEADS = JournalHead._meta.db_table  # registry_journalhead: a plain name, no quoting needed


def jsonable(value: Any) -> Any:
    if isinstance(value, dt.datetime | dt.date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, File):  # stored (FieldFile) or just uploaded: record its name
        return value.name or ""
    return value


def actor_label(actor: Actor | None) -> str:
    """A user, an API client (see api.authentication) or None for the registry itself."""
    return actor.label if actor is not None else SYSTEM_LABEL


def public_label(name: str) -> str:
    """How the journal names a member of the public acting without an account."""
    return f"公众 / public: {name}"


def asset_label(asset: DataAsset) -> str:
    """How the journal names an asset: its name and best number."""
    number = asset.registration_number or asset.application_number or f"#{asset.pk}"
    return f"{asset.name} [{number}]"[:300]


def record(
    *,
    event_type: str,
    actor: Actor | None,
    subject_type: str,
    subject_id: Any,
    subject_label: str,
    asset: DataAsset | None = None,
    reason: str = "",
    payload: dict | None = None,
    label: str | None = None,
) -> JournalEvent:
    """Append one event. Other apps' writers call this; `actor` may be a User, an ApiClient
    (journaled by label only: it is an organisation's key, not a person) or None."""
    user = actor if isinstance(actor, User) else None
    row = _row(
        {
            "event_type": event_type,
            "occurred_at": timezone.now(),
            "actor_id": user.pk if user is not None else None,
            "actor_label": label or actor_label(actor),
            "asset_id": asset.pk if asset is not None else None,
            "subject_type": subject_type,
            "subject_id": subject_id,
            "subject_label": subject_label,
            "reason": reason,
            "payload": {key: jsonable(value) for key, value in (payload or {}).items()},
        }
    )
    with transaction.atomic(savepoint=False):
        head = _locked_head(row["stream"])
        _link(row, head)
        fields = {key: value for key, value in row.items() if key not in ("actor_id", "asset_id")}
        event = JournalEvent.objects.create(actor=user, asset=asset, **fields)
        with connection.cursor() as cursor:
            cursor.execute(
                f"UPDATE {_HEADS} SET last_seq = %s, last_hash = %s, last_event_id = %s"
                " WHERE stream = %s",
                [head.last_seq, head.last_hash, event.pk, head.stream],
            )
    return event


def record_many(rows: Sequence[Mapping[str, Any]]) -> int:
    """Append many events in one go (batch jobs): rows of the `JournalEvent` columns as in
    `record()` (`event_type`, `occurred_at`, `actor_id`, `actor_label`, `asset_id`,
    `subject_type`, `subject_id`, `subject_label`, `reason`, `payload`), inserted with COPY on
    PostgreSQL. The rows' heads are locked in stream order: two batches over the same streams
    wait for each other instead of deadlocking."""
    if not rows:
        return 0
    prepared = [_row(row) for row in rows]
    with transaction.atomic(savepoint=False):
        heads = _lock_heads(sorted({row["stream"] for row in prepared}))
        for row in prepared:
            _link(row, heads[row["stream"]])
        ids = reserve_ids(JournalEvent, len(prepared))
        if ids is not None:
            for row, pk in zip(prepared, ids, strict=True):
                row["id"] = pk
            insert_rows(JournalEvent, prepared)
        else:  # SQLite: bulk_create returns the ids (RETURNING)
            events = JournalEvent.objects.bulk_create([JournalEvent(**row) for row in prepared])
            for row, event in zip(prepared, events, strict=True):
                row["id"] = event.pk
        for row in prepared:  # each stream's last row wins
            heads[row["stream"]].last_event_id = row["id"]
        _save_heads(heads.values())
    return len(prepared)


def record_asset_created(*, asset: DataAsset, actor: User | None) -> JournalEvent:
    return record(
        event_type=ASSET_CREATED,
        actor=actor,
        subject_type="asset",
        subject_id=asset.pk,
        subject_label=asset_label(asset),
        asset=asset,
        payload={"holder": asset.holder.uscc, "status": asset.status},
    )


def record_asset_updated(
    *, asset: DataAsset, actor: User | None, changes: dict[str, tuple[Any, Any]]
) -> JournalEvent:
    return record(
        event_type=ASSET_UPDATED,
        actor=actor,
        subject_type="asset",
        subject_id=asset.pk,
        subject_label=asset_label(asset),
        asset=asset,
        payload={
            "changes": {
                field: {"old": jsonable(old), "new": jsonable(new)}
                for field, (old, new) in changes.items()
            }
        },
    )


def record_asset_transition(
    *,
    event_type: str,
    asset: DataAsset,
    actor: User | None,
    old_status: str,
    reason: str = "",
    details: dict | None = None,
    actor_label: str | None = None,
) -> JournalEvent:
    payload = {"old_status": old_status, "new_status": asset.status}
    payload.update(details or {})
    return record(
        event_type=event_type,
        actor=actor,
        subject_type="asset",
        subject_id=asset.pk,
        subject_label=asset_label(asset),
        asset=asset,
        reason=reason,
        payload=payload,
        label=actor_label,
    )


def record_objection_event(
    *,
    event_type: str,
    objection: Objection,
    actor: User | None,
    reason: str = "",
    actor_label: str | None = None,
) -> JournalEvent:
    return record(
        event_type=event_type,
        actor=actor,
        subject_type="objection",
        subject_id=objection.pk,
        subject_label=f"{objection.objector_name} / {asset_label(objection.asset)}",
        asset=objection.asset,
        reason=reason,
        payload={"objection_status": objection.status, "objector": objection.objector_name},
        label=actor_label,
    )


def record_organisation_event(
    *,
    event_type: str,
    organisation: Organisation,
    actor: User | None,
    changes: dict[str, tuple[Any, Any]],
) -> JournalEvent:
    return record(
        event_type=event_type,
        actor=actor,
        subject_type="organisation",
        subject_id=organisation.pk,
        subject_label=str(organisation),
        payload={
            "changes": {
                field: {"old": jsonable(old), "new": jsonable(new)}
                for field, (old, new) in changes.items()
            }
        },
    )


def record_calendar_override(
    *, day: dt.date, is_working_day: bool, note: str, actor: User | None, previous: bool | None
) -> JournalEvent:
    return record(
        event_type=CALENDAR_OVERRIDE_SET,
        actor=actor,
        subject_type="calendar",
        subject_id=day.isoformat(),
        subject_label=f"{day.isoformat()} {note}",
        reason=note,
        payload={"date": day, "is_working_day": is_working_day, "previous": previous},
    )


def record_api_key_event(*, event_type: str, api_key, actor: Actor | None) -> JournalEvent:
    return record(
        event_type=event_type,
        actor=actor,
        subject_type="api_key",
        subject_id=api_key.prefix,
        subject_label=f"{api_key.prefix} {api_key.name} @ {api_key.organisation.name}",
        payload={"organisation": api_key.organisation.uscc, "name": api_key.name},
        label=None if actor is not None else OPERATOR_LABEL,
    )


# --- the chain: heads and links -----------------------------------------------------------
@dataclasses.dataclass
class _Tail:
    """A stream's head as a writer holds it (locked) while it appends."""

    stream: str
    last_seq: int
    last_hash: str
    last_event_id: int | None = None


def _row(values: Mapping[str, Any]) -> dict[str, Any]:
    """A row's recorded content as it will be stored (and read back, so hashed): labels cut to
    their columns, the subject id a string, the payload through JSON (keys as strings, tuples as
    lists)."""
    row = {
        "event_type": values["event_type"],
        "occurred_at": values.get("occurred_at") or timezone.now(),
        "actor_id": values.get("actor_id"),
        "actor_label": values["actor_label"][:300],
        "asset_id": values.get("asset_id"),
        "subject_type": values["subject_type"],
        "subject_id": str(values["subject_id"]),
        "subject_label": values["subject_label"][:300],
        "reason": values.get("reason", ""),
        "payload": json.loads(json.dumps(values.get("payload") or {})),
    }
    row["stream"] = chain.stream_for(
        asset_id=row["asset_id"], subject_type=row["subject_type"], subject_id=row["subject_id"]
    )
    return row


def _link(row: dict[str, Any], head: _Tail) -> None:
    """Make `row` the next link of `head`'s stream (and advance the head in memory)."""
    row["seq"] = head.last_seq + 1
    row["prev_hash"] = head.last_hash
    row["hash"] = chain.row_hash(head.last_hash, row)
    head.last_seq = row["seq"]
    head.last_hash = row["hash"]


def _locked_head(stream: str) -> _Tail:
    """Lock one stream's head (plain SQL: this runs for every event)."""
    lock = " FOR UPDATE" if connection.features.has_select_for_update else ""
    select = f"SELECT last_seq, last_hash FROM {_HEADS} WHERE stream = %s{lock}"
    with connection.cursor() as cursor:
        cursor.execute(select, [stream])
        found = cursor.fetchone()
        if found is None:
            # A new stream. ON CONFLICT DO NOTHING: of two writers creating it at once, the
            # second waits for the first's transaction, inserts nothing, then locks its row.
            cursor.execute(_create_head_sql(), [stream, chain.GENESIS])
            cursor.execute(select, [stream])
            found = cursor.fetchone()
    return _Tail(stream, *found)


def _create_head_sql() -> str:
    if connection.vendor == "postgresql":
        return (
            f"INSERT INTO {_HEADS} (stream, last_seq, last_hash) VALUES (%s, 0, %s)"
            " ON CONFLICT (stream) DO NOTHING"
        )
    return f"INSERT OR IGNORE INTO {_HEADS} (stream, last_seq, last_hash) VALUES (%s, 0, %s)"


def _lock_heads(streams: list[str]) -> dict[str, _Tail]:
    """Lock the heads of `streams` (sorted), creating the missing ones: in one statement each
    on PostgreSQL (a batch touches thousands of streams), in stream order so that two batches
    wait for each other instead of deadlocking."""
    heads: dict[str, _Tail] = {}
    with connection.cursor() as cursor:
        for chunk in itertools.batched(streams, HEAD_BATCH):
            if connection.vendor == "postgresql":
                cursor.execute(
                    f"INSERT INTO {_HEADS} (stream, last_seq, last_hash)"
                    " SELECT s, 0, %s FROM unnest(%s::varchar[]) AS s ORDER BY s"
                    " ON CONFLICT (stream) DO NOTHING",
                    [chain.GENESIS, list(chunk)],
                )
                cursor.execute(
                    f"SELECT stream, last_seq, last_hash FROM {_HEADS}"
                    " WHERE stream = ANY(%s::varchar[]) ORDER BY stream FOR UPDATE",
                    [list(chunk)],
                )
            else:  # SQLite: the IMMEDIATE transaction already excludes other writers
                cursor.executemany(
                    _create_head_sql(), [(stream, chain.GENESIS) for stream in chunk]
                )
                marks = ", ".join(["%s"] * len(chunk))
                cursor.execute(
                    f"SELECT stream, last_seq, last_hash FROM {_HEADS} WHERE stream IN ({marks})",
                    list(chunk),
                )
            for stream, last_seq, last_hash in cursor.fetchall():
                heads[stream] = _Tail(stream, last_seq, last_hash)
    return heads


def _save_heads(heads: Iterable[_Tail]) -> None:
    values = [(h.stream, h.last_seq, h.last_hash, h.last_event_id) for h in heads]
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            for chunk in itertools.batched(values, HEAD_BATCH):
                streams, seqs, hashes, ids = zip(*chunk, strict=True)
                cursor.execute(
                    f"UPDATE {_HEADS} AS h SET last_seq = v.seq, last_hash = v.hash,"
                    " last_event_id = v.id"
                    " FROM unnest(%s::varchar[], %s::bigint[], %s::varchar[], %s::bigint[])"
                    " AS v(stream, seq, hash, id) WHERE h.stream = v.stream",
                    [list(streams), list(seqs), list(hashes), list(ids)],
                )
        else:
            cursor.executemany(
                f"UPDATE {_HEADS} SET last_seq = %s, last_hash = %s, last_event_id = %s"
                " WHERE stream = %s",
                [(seq, digest, pk, stream) for stream, seq, digest, pk in values],
            )


# --- verification ---------------------------------------------------------------------------
@dataclasses.dataclass
class JournalReport:
    """What `journal_verify()` found: the first problem of each bad stream, in stream order."""

    rows: int = 0
    streams: int = 0
    problems: list[chain.Problem] = dataclasses.field(default_factory=list)
    seconds: float = 0.0


# The columns a walk needs, the content ones in chain.CONTENT_FIELDS order; the stream's head
# rides along on every row (a scalar subquery): rows and heads come from one statement, so from
# one snapshot, and a writer appending meanwhile cannot look like a deletion or an insertion.
_ROW_COLUMNS = ("id", "prev_hash", "hash", *chain.CONTENT_FIELDS, "head")
_CONTENT = slice(3, 3 + len(chain.CONTENT_FIELDS))
_STREAM = 3 + chain.CONTENT_FIELDS.index("stream")


def journal_verify(
    *, streams: Sequence[str] | None = None, chunk_size: int = 5000
) -> JournalReport:
    """Walk every stream's chain (or `streams`') in seq order and recompute it
    (`registry.chain.StreamWalk`); constant memory, one query for the rows and one for heads left
    without rows."""
    started = time.perf_counter()
    report = JournalReport()
    events = JournalEvent.objects.all()
    heads = JournalHead.objects.all()
    if streams:
        events = events.filter(stream__in=streams)
        heads = heads.filter(stream__in=streams)
    head_text = JournalHead.objects.filter(stream=OuterRef("stream")).values_list(
        Concat(
            Cast("last_seq", CharField()),
            Value(" "),
            "last_hash",
            Value(" "),
            Coalesce(Cast("last_event_id", CharField()), Value("")),
            output_field=CharField(),
        )
    )[:1]
    rows = (
        events.annotate(head=Subquery(head_text, output_field=CharField()))
        .order_by("stream", "seq", "id")
        .values_list(*_ROW_COLUMNS)
    )
    # PostgreSQL: inside a transaction the server-side cursor streams the rows; outside one it
    # would be WITH HOLD, the whole result materialised first. SQLite streams either way, and
    # a transaction there would hold the write lock for the whole walk.
    postgres = connection.vendor == "postgresql"
    with transaction.atomic() if postgres else contextlib.nullcontext():
        walk: chain.StreamWalk | None = None
        for row in rows.iterator(chunk_size=chunk_size):
            if walk is None or row[_STREAM] != walk.stream:
                if walk is not None:
                    _finish(walk, report)
                walk = chain.StreamWalk(row[_STREAM], _parse_head(row[-1]))
            content = dict(zip(chain.CONTENT_FIELDS, row[_CONTENT], strict=True))
            walk.feed(row[0], row[1], row[2], content)
        if walk is not None:
            _finish(walk, report)
    orphans = heads.filter(~Exists(JournalEvent.objects.filter(stream=OuterRef("stream"))))
    for stream, last_seq, last_hash, last_id in orphans.order_by("stream").values_list(
        "stream", "last_seq", "last_hash", "last_event_id"
    ):
        if last_seq > 0:
            report.streams += 1
            head = chain.Head(last_seq, last_hash, last_id)
            report.problems.append(chain.head_without_rows(stream, head))
    report.seconds = time.perf_counter() - started
    return report


def _finish(walk: chain.StreamWalk, report: JournalReport) -> None:
    report.streams += 1
    report.rows += walk.rows
    problem = walk.finish()
    if problem is not None:
        report.problems.append(problem)


def _parse_head(text: str | None) -> chain.Head | None:
    if text is None:
        return None
    seq, digest, pk = text.split(" ")
    return chain.Head(int(seq), digest, int(pk) if pk else None)
