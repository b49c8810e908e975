"""Tamper evidence of the journal (registry.chain): every row a link of its stream's hash chain,
written in the row's transaction; `verify_journal` finds the first row that was changed, deleted
or inserted out of order, with its id.

The tampering tests act as someone with the tables' owner rights would: on PostgreSQL they disable
the append-only trigger and rewrite rows with raw SQL, on SQLite (no guard) raw SQL suffices.
"""

import datetime as dt
import json
import threading
from contextlib import contextmanager
from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.db import IntegrityError, connection, connections, transaction
from django.db.migrations.executor import MigrationExecutor

from registry import chain, journal, services
from registry.models import JournalEvent
from registry.models.journal import JournalHead
from tests.conftest import AFTER_PUBLICITY, PUBLICITY_DAY
from tests.factories import (
    OrganisationFactory,
    RegistrarFactory,
    UserFactory,
    complete_application,
)

TABLE = "registry_journalevent"
POSTGRES = connection.vendor == "postgresql"
CONTENT_COLUMNS = [
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
]


@contextmanager
def owner_sql():
    """A cursor that bypasses the application's guards, as the tables' owner could."""
    with connection.cursor() as cursor:
        if POSTGRES:
            cursor.execute(f"ALTER TABLE {TABLE} DISABLE TRIGGER registry_journal_append_only")
        yield cursor
        if POSTGRES:
            cursor.execute(f"ALTER TABLE {TABLE} ENABLE TRIGGER registry_journal_append_only")


def _verify(*streams: str) -> chain.Problem | None:
    """Run the command; the one problem it reports (None when the journal is intact)."""
    out = StringIO()
    args = [arg for stream in streams for arg in ("--stream", stream)]
    try:
        call_command("verify_journal", *args, stdout=out)
    except CommandError as error:
        report = journal.journal_verify(streams=list(streams) or None)
        assert len(report.problems) == 1, report.problems
        [problem] = report.problems
        assert str(error) == "The journal's chain is broken in 1 stream(s)."
        assert out.getvalue().splitlines()[0] == str(problem)
        return problem
    assert out.getvalue().startswith("Journal intact: ")
    return None


def _rows(stream: str) -> list[dict]:
    return list(
        JournalEvent.objects.filter(stream=stream)
        .order_by("seq")
        .values("id", "seq", "prev_hash", "hash", *CONTENT_COLUMNS[:-1])
    )


def _content(pk: int) -> dict:
    values = JournalEvent.objects.filter(pk=pk).values_list(*chain.CONTENT_FIELDS).get()
    return dict(zip(chain.CONTENT_FIELDS, values, strict=True))


def _append_forged(cursor, *, copy_of: int, seq: int, prev_hash: str, pk: int | None = None):
    """Insert a copy of row `copy_of` as seq `seq` after `prev_hash`, its hash computed correctly
    (what an attacker who read registry/chain.py would do). Returns the new row's id."""
    content = {**_content(copy_of), "seq": seq, "reason": "伪造 / forged"}
    digest = chain.row_hash(prev_hash, content)
    columns = ", ".join(c for c in CONTENT_COLUMNS if c != "reason")
    id_column, id_value = ("id, ", "%s, ") if pk is not None else ("", "")
    cursor.execute(
        f"INSERT INTO {TABLE} ({id_column}{columns}, reason, stream, seq, prev_hash, hash) "
        f"SELECT {id_value}{columns}, %s, stream, %s, %s, %s FROM {TABLE} WHERE id = %s",
        [*([pk] if pk is not None else []), content["reason"], seq, prev_hash, digest, copy_of],
    )
    return JournalEvent.objects.get(stream=content["stream"], seq=seq).pk


@pytest.fixture
def registered_asset(registered):
    """A registered asset: its stream has 6 rows (created … registered, certificate issued)."""
    stream = f"asset:{registered.pk}"
    assert [row["seq"] for row in _rows(stream)] == [1, 2, 3, 4, 5, 6]
    return registered


def _stream(asset) -> str:
    return f"asset:{asset.pk}"


@pytest.fixture
def other_draft(holder, enterprise_user):
    return services.asset_create(
        actor=enterprise_user, holder=holder, data=complete_application(name="另一个数据集")
    )


# --- the chain as written ------------------------------------------------------------------
@pytest.mark.django_db
def test_every_step_links_its_row_into_the_assets_stream(registered, registrar):
    # given: a registered asset, then an amendment, an organisation change and a calendar day
    services.asset_amend(
        asset=registered, actor=registrar, changes={"update_frequency": "weekly"}, reason="变更"
    )
    services.organisation_update(
        organisation=registered.holder, actor=registrar, address="天津市和平区"
    )
    services.calendar_override_set(
        actor=registrar, day=dt.date(2026, 10, 10), is_working_day=True, note="调休"
    )
    # then: the asset's rows are one chain, numbered 1..n, each linking to the one before
    rows = _rows(_stream(registered))
    assert [row["event_type"] for row in rows] == [
        "asset.created",
        "asset.submitted",
        "asset.accepted_for_review",
        "asset.publicity_started",
        "asset.registered",
        "certificate.issued",
        "asset.amended",
        "certificate.superseded",
        "certificate.issued",
    ]
    assert [row["seq"] for row in rows] == list(range(1, 10))
    assert rows[0]["prev_hash"] == chain.GENESIS
    assert [row["prev_hash"] for row in rows[1:]] == [row["hash"] for row in rows[:-1]]
    for row in rows:
        assert row["hash"] == chain.row_hash(row["prev_hash"], _content(row["id"]))
    assert [row["id"] for row in rows] == sorted(row["id"] for row in rows)
    head = JournalHead.objects.get(stream=_stream(registered))
    assert (head.last_seq, head.last_hash, head.last_event_id) == (
        9,
        rows[-1]["hash"],
        rows[-1]["id"],
    )
    # and rows without an asset chain by their subject
    [organisation_row] = _rows(f"organisation:{registered.holder.pk}")
    assert (organisation_row["seq"], organisation_row["prev_hash"]) == (1, chain.GENESIS)
    [calendar_row] = _rows("calendar:2026-10-10")
    assert calendar_row["event_type"] == journal.CALENDAR_OVERRIDE_SET
    # and the whole journal verifies
    assert _verify() is None
    report = journal.journal_verify()
    assert (report.rows, report.streams, report.problems) == (
        JournalEvent.objects.count(),
        JournalHead.objects.count(),
        [],
    )


@pytest.mark.django_db
def test_payload_numbers_verify_as_stored(draft, enterprise_user):
    # given: floats, big numbers, nested objects and non-ASCII text (jsonb on PostgreSQL keeps
    # the value of a number, not its spelling: 1.0 comes back as 1.0, 1e+20 as an integer)
    journal.record(
        event_type="test.numbers",
        actor=enterprise_user,
        subject_type="asset",
        subject_id=draft.pk,
        subject_label="数据集",
        asset=draft,
        payload={
            "one": 1.0,
            "tenth": 0.1,
            "big": 1e20,
            "huge": 1e300,
            "tiny": 1.5e-07,
            "negative_zero": -0.0,
            "int": 12345678901234567890,
            "nested": {"b": [1, 2.5, {"z": None, "a": True}], "a": "中文"},
            "tuple": (1, 2),
            3: "an int key",
        },
        reason="  spaces kept \n",
    )
    # then
    event = JournalEvent.objects.get(event_type="test.numbers")
    assert event.payload["3"] == "an int key"
    assert event.payload["tuple"] == [1, 2]
    assert _verify() is None


# --- tampering -----------------------------------------------------------------------------
@pytest.mark.django_db
def test_an_edited_row_is_reported_with_its_id(registered_asset):
    # given
    stream = _stream(registered_asset)
    third = _rows(stream)[2]
    # when: its reason is rewritten behind the application's back
    with owner_sql() as cursor:
        cursor.execute(f"UPDATE {TABLE} SET reason = %s WHERE id = %s", ["改写", third["id"]])
    # then
    assert _verify() == chain.Problem(
        stream, chain.CHANGED, third["id"], "seq 3: its content does not give its hash"
    )


@pytest.mark.django_db
def test_an_edited_payload_or_time_is_reported(registered_asset):
    # given
    stream = _stream(registered_asset)
    rows = _rows(stream)
    payload = {**_content(rows[4]["id"])["payload"], "valid_until": "2099-12-31"}
    # when: the validity of the registration and the time of the first row are changed
    with owner_sql() as cursor:
        cursor.execute(
            f"UPDATE {TABLE} SET payload = {'%s::jsonb' if POSTGRES else '%s'} WHERE id = %s",
            [json.dumps(payload), rows[4]["id"]],
        )
        cursor.execute(
            f"UPDATE {TABLE} SET occurred_at = %s WHERE id = %s",
            [
                connection.ops.adapt_datetimefield_value(
                    rows[1]["occurred_at"] - dt.timedelta(microseconds=1)
                ),
                rows[1]["id"],
            ],
        )
    # then: the first of the two
    problem = _verify()
    assert (problem.kind, problem.row_id) == (chain.CHANGED, rows[1]["id"])


@pytest.mark.django_db
def test_an_edited_row_given_a_new_hash_breaks_the_next_link(registered_asset):
    # given
    stream = _stream(registered_asset)
    rows = _rows(stream)
    content = {**_content(rows[2]["id"]), "actor_label": "someone else"}
    # when: the attacker edits row 3 and recomputes its hash
    with owner_sql() as cursor:
        cursor.execute(
            f"UPDATE {TABLE} SET actor_label = %s, hash = %s WHERE id = %s",
            [
                "someone else",
                chain.row_hash(rows[2]["prev_hash"], content),
                rows[2]["id"],
            ],
        )
    # then: row 4 no longer links to it
    assert _verify() == chain.Problem(
        stream,
        chain.INSERTED,
        rows[3]["id"],
        f"seq 4 does not link to row {rows[2]['id']}: one of them was replaced",
    )


@pytest.mark.django_db
def test_a_deleted_row_is_reported_at_the_row_after_the_gap(registered_asset):
    # given
    stream = _stream(registered_asset)
    rows = _rows(stream)
    # when
    with owner_sql() as cursor:
        cursor.execute(f"DELETE FROM {TABLE} WHERE id = %s", [rows[2]["id"]])
    # then
    assert _verify() == chain.Problem(
        stream,
        chain.DELETED,
        rows[3]["id"],
        f"seq 3 missing after row {rows[1]['id']}, before this row",
    )


@pytest.mark.django_db
def test_deleted_last_rows_are_reported_from_the_head(registered_asset):
    # given
    stream = _stream(registered_asset)
    rows = _rows(stream)
    # when: the last two rows are removed
    with owner_sql() as cursor:
        cursor.execute(
            f"DELETE FROM {TABLE} WHERE id IN (%s, %s)", [rows[-1]["id"], rows[-2]["id"]]
        )
    # then: the head still names the last one
    assert _verify() == chain.Problem(
        stream,
        chain.DELETED,
        rows[-1]["id"],
        f"seq 5..6 missing at the end: the head names row {rows[-1]['id']}",
    )


@pytest.mark.django_db
def test_a_stream_deleted_entirely_is_reported(registered_asset, registrar):
    # given: a calendar day's one row
    services.calendar_override_set(
        actor=registrar, day=dt.date(2026, 10, 10), is_working_day=True, note="调休"
    )
    [row] = _rows("calendar:2026-10-10")
    # when
    with owner_sql() as cursor:
        cursor.execute(f"DELETE FROM {TABLE} WHERE id = %s", [row["id"]])
    # then
    assert _verify() == chain.Problem(
        "calendar:2026-10-10",
        chain.DELETED,
        row["id"],
        "seq 1 missing: the stream has no row left",
    )


@pytest.mark.django_db
def test_a_row_appended_behind_the_writers_back_is_reported(registered_asset):
    # given
    stream = _stream(registered_asset)
    rows = _rows(stream)
    # when: a well-formed seventh row is inserted with SQL (the head is not advanced)
    with owner_sql() as cursor:
        forged = _append_forged(cursor, copy_of=rows[-1]["id"], seq=7, prev_hash=rows[-1]["hash"])
    # then
    assert _verify() == chain.Problem(
        stream, chain.INSERTED, forged, "seq 7 is beyond the head (seq 6)"
    )


@pytest.mark.django_db
def test_a_row_slipped_in_with_an_old_id_is_reported(registered_asset):
    # given
    stream = _stream(registered_asset)
    rows = _rows(stream)
    # when: a backdated row (an id below every real one) is linked in and the head moved too
    with owner_sql() as cursor:
        forged = _append_forged(
            cursor, copy_of=rows[-1]["id"], seq=7, prev_hash=rows[-1]["hash"], pk=0
        )
        forged_hash = JournalEvent.objects.get(pk=forged).hash
        cursor.execute(
            "UPDATE registry_journalhead SET last_seq = 7, last_hash = %s, last_event_id = %s"
            " WHERE stream = %s",
            [forged_hash, forged, stream],
        )
    # then
    assert _verify() == chain.Problem(
        stream, chain.INSERTED, 0, f"seq 7 has an id below row {rows[-1]['id']}'s"
    )


@pytest.mark.django_db
def test_a_row_cannot_take_the_place_of_another(registered_asset):
    # given
    stream = _stream(registered_asset)
    rows = _rows(stream)
    # when / then: a second row 3 is refused by the database ((stream, seq) is unique)
    with pytest.raises(IntegrityError), transaction.atomic(), owner_sql() as cursor:
        _append_forged(cursor, copy_of=rows[2]["id"], seq=3, prev_hash=rows[1]["hash"])
    assert _verify() is None


@pytest.mark.django_db
def test_a_row_without_a_head_is_reported(registered_asset):
    # given: a row of a stream the writer never saw
    rows = _rows(_stream(registered_asset))
    # when
    with owner_sql() as cursor:
        cursor.execute(
            f"INSERT INTO {TABLE} (event_type, occurred_at, actor_label, subject_type,"
            " subject_id, subject_label, reason, payload, stream, seq, prev_hash, hash)"
            f" SELECT 'organisation.created', occurred_at, actor_label, 'organisation', '999',"
            f" 'X', '', payload, 'organisation:999', 1, %s, '' FROM {TABLE} WHERE id = %s",
            [chain.GENESIS, rows[0]["id"]],
        )
        pk = JournalEvent.objects.get(stream="organisation:999").pk
        cursor.execute(
            f"UPDATE {TABLE} SET hash = %s WHERE id = %s",
            [chain.row_hash(chain.GENESIS, _content(pk)), pk],
        )
    # then
    assert _verify() == chain.Problem(
        "organisation:999",
        chain.INSERTED,
        pk,
        "the stream has no head: written outside the journal",
    )


@pytest.mark.django_db
def test_a_row_moved_to_another_asset_is_reported(registered_asset, other_draft):
    # given: a registered asset and another (a draft)
    rows = _rows(_stream(registered_asset))
    # when: a row is given to the other asset
    with owner_sql() as cursor:
        cursor.execute(
            f"UPDATE {TABLE} SET asset_id = %s WHERE id = %s", [other_draft.pk, rows[0]["id"]]
        )
    # then
    assert _verify() == chain.Problem(
        _stream(registered_asset),
        chain.CHANGED,
        rows[0]["id"],
        f"its asset or subject belongs to asset:{other_draft.pk}",
    )


@pytest.mark.django_db
def test_one_stream_can_be_checked_alone(registered_asset, other_draft):
    # given: the registered asset's chain broken, the other draft's intact
    rows = _rows(_stream(registered_asset))
    with owner_sql() as cursor:
        cursor.execute(f"UPDATE {TABLE} SET reason = 'x' WHERE id = %s", [rows[0]["id"]])
    # when / then
    assert _verify(_stream(other_draft)) is None
    assert _verify(_stream(registered_asset)).row_id == rows[0]["id"]
    with pytest.raises(CommandError, match=r"^No journal stream named asset:0\.$"):
        call_command("verify_journal", "--stream", "asset:0", stdout=StringIO())


@pytest.mark.django_db
def test_verification_reports_the_first_problem_of_every_stream(registered_asset, other_draft):
    # given: two streams broken
    first = _rows(_stream(registered_asset))
    second = _rows(_stream(other_draft))
    with owner_sql() as cursor:
        cursor.execute(f"DELETE FROM {TABLE} WHERE id = %s", [first[1]["id"]])
        cursor.execute(f"UPDATE {TABLE} SET reason = 'x' WHERE id = %s", [first[3]["id"]])
        cursor.execute(f"UPDATE {TABLE} SET reason = 'x' WHERE id = %s", [second[0]["id"]])
    # when
    report = journal.journal_verify()
    out = StringIO()
    with pytest.raises(CommandError, match=r"broken in 2 stream\(s\)"):
        call_command("verify_journal", stdout=out)
    # then: one line per stream, the first problem of each
    assert sorted((p.stream, p.kind, p.row_id) for p in report.problems) == sorted(
        [
            (_stream(registered_asset), chain.DELETED, first[2]["id"]),
            (_stream(other_draft), chain.CHANGED, second[0]["id"]),
        ]
    )
    assert out.getvalue().splitlines()[:2] == [str(p) for p in report.problems]


# --- bulk writers --------------------------------------------------------------------------
@pytest.mark.django_db
def test_record_many_continues_the_streams(registered_asset, other_draft, registrar):
    # given: two assets' streams with rows, and a new one
    now = dt.datetime(2026, 6, 30, 8, 0, tzinfo=dt.UTC)
    rows = [
        {
            "event_type": "test.bulk",
            "occurred_at": now,
            "actor_id": registrar.pk,
            "actor_label": "batch",
            "asset_id": asset_id,
            "subject_type": "asset",
            "subject_id": asset_id,
            "subject_label": f"asset #{asset_id}",
            "payload": {"n": n, "value": "1.50"},
        }
        for n, asset_id in enumerate([registered_asset.pk, other_draft.pk, registered_asset.pk])
    ] + [
        {
            "event_type": "test.bulk",
            "actor_label": "batch",
            "subject_type": "demo",
            "subject_id": "bulk",
            "subject_label": "demo",
        }
    ]
    # when
    assert journal.record_many(rows) == 4
    # then
    assert [r["seq"] for r in _rows(_stream(registered_asset))] == [1, 2, 3, 4, 5, 6, 7, 8]
    assert [r["seq"] for r in _rows(_stream(other_draft))] == [1, 2]
    assert [r["seq"] for r in _rows("demo:bulk")] == [1]
    head = JournalHead.objects.get(stream=_stream(registered_asset))
    assert head.last_event_id == _rows(_stream(registered_asset))[-1]["id"]
    assert _verify() is None


@pytest.mark.django_db
def test_batch_revaluation_rows_are_chained(registrar):
    # given: two registered, graded assets with a year of usage
    from tests.factories import quality_body, registered_asset
    from valuation import services as valuation_services
    from valuation.batch import appraisal_batch_revalue

    for _ in range(2):
        asset = registered_asset(registrar=registrar)
        valuation_services.quality_assess(
            asset=asset, actor=registrar, body=quality_body("88"), assessed_on=dt.date(2026, 6, 10)
        )
        valuation_services.usage_record(
            asset=asset,
            actor=registrar,
            period_start=dt.date(2025, 7, 1),
            period_end=dt.date(2026, 6, 30),
            revenue_amount=1000,
        )
    # when
    report = appraisal_batch_revalue(actor=None, base_date=dt.date(2026, 6, 30), chunk_size=1)
    # then
    assert report.estimated == 2
    assert JournalEvent.objects.filter(event_type="appraisal.batch_revalued").count() == 2
    assert _verify() is None


# --- the migration of existing rows --------------------------------------------------------
@pytest.fixture
def before_the_chain(transactional_db):
    """The registry migrated back to before the chain (0008); forward again afterwards."""
    executor = MigrationExecutor(connection)
    latest = executor.loader.graph.leaf_nodes()
    try:
        executor.migrate([("registry", "0008_move_pledges_and_counters")])
        executor.loader.build_graph()
        yield executor
    finally:
        executor.loader.build_graph()
        executor.migrate(latest)


def test_the_migration_links_existing_rows_in_id_order(before_the_chain):
    # given: journal rows written before the chain existed, streams interleaved
    executor = before_the_chain
    old_apps = executor.loader.project_state(list(executor.loader.applied_migrations)).apps
    old_event = old_apps.get_model("registry", "JournalEvent")
    when = dt.datetime(2026, 5, 11, 2, 15, 0, 123456, tzinfo=dt.UTC)
    subjects = [
        (7, "asset", "7"),
        (None, "organisation", "3"),
        (7, "objection", "2"),
        (8, "asset", "8"),
    ]
    for n, (asset_id, subject_type, subject_id) in enumerate(subjects * 2):
        old_event.objects.create(
            event_type=f"old.event{n}",
            occurred_at=when + dt.timedelta(minutes=n),
            actor_label="registrar1",
            asset_id=asset_id,
            subject_type=subject_type,
            subject_id=subject_id,
            subject_label="旧记录",
            payload={"n": n, "ratio": 0.25},
        )
    # when
    executor.loader.build_graph()
    executor.migrate(executor.loader.graph.leaf_nodes())
    # then: every stream numbered in id order, heads at the ends, and the chain verifies
    assert {
        stream: [(row["seq"], row["event_type"]) for row in _rows(stream)]
        for stream in ("asset:7", "asset:8", "organisation:3")
    } == {
        "asset:7": [(1, "old.event0"), (2, "old.event2"), (3, "old.event4"), (4, "old.event6")],
        "asset:8": [(1, "old.event3"), (2, "old.event7")],
        "organisation:3": [(1, "old.event1"), (2, "old.event5")],
    }
    assert sorted(JournalHead.objects.values_list("stream", "last_seq")) == [
        ("asset:7", 4),
        ("asset:8", 2),
        ("organisation:3", 2),
    ]
    assert _verify() is None
    # and new rows continue the migrated streams
    journal.record(
        event_type="new.event",
        actor=None,
        subject_type="organisation",
        subject_id=3,
        subject_label="新记录",
    )
    assert [row["seq"] for row in _rows("organisation:3")] == [1, 2, 3]
    assert _verify() is None


# --- concurrency (PostgreSQL) --------------------------------------------------------------
@pytest.mark.postgres
@pytest.mark.skipif(not POSTGRES, reason="row locks need PostgreSQL")
@pytest.mark.django_db(transaction=True)
def test_concurrent_writers_of_one_stream_never_fork_it():
    # given: a stream that does not exist yet, and writers on four connections
    organisation = OrganisationFactory()
    user = UserFactory(organisation=organisation)
    writers, per_writer = 4, 15
    barrier = threading.Barrier(writers)
    errors: list[Exception] = []

    def write(n: int) -> None:
        try:
            barrier.wait(timeout=20)
            for i in range(per_writer):
                with transaction.atomic():
                    journal.record(
                        event_type="test.concurrent",
                        actor=user,
                        subject_type="organisation",
                        subject_id=organisation.pk,
                        subject_label=str(organisation),
                        payload={"writer": n, "i": i},
                    )
        except Exception as exc:  # collected and asserted below
            errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=write, args=(n,)) for n in range(writers)]
    # when: all write at once, the stream's head created by whichever comes first
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    # then: one chain of 60 links, no error, no gap, no fork
    assert errors == []
    stream = f"organisation:{organisation.pk}"
    rows = _rows(stream)
    assert [row["seq"] for row in rows] == list(range(1, writers * per_writer + 1))
    assert [row["id"] for row in rows] == sorted(row["id"] for row in rows)
    assert JournalHead.objects.get(stream=stream).last_seq == writers * per_writer
    assert _verify(stream) is None


@pytest.mark.postgres
@pytest.mark.skipif(not POSTGRES, reason="row locks need PostgreSQL")
@pytest.mark.django_db(transaction=True)
def test_concurrent_workflow_steps_keep_every_chain_intact():
    # given: assets in publicity, registered at once from several connections (each step
    # journals on its own asset's stream and the registrar's steps on certificates)
    registrar = RegistrarFactory()
    user = UserFactory()
    assets = []
    for n in range(6):
        asset = services.asset_create(
            actor=user, holder=user.organisation, data=complete_application(name=f"并发{n}")
        )
        asset = services.asset_submit(asset=asset, actor=user)
        asset = services.asset_accept_for_review(asset=asset, actor=registrar)
        assets.append(
            services.asset_start_publicity(asset=asset, actor=registrar, on=PUBLICITY_DAY)
        )
    barrier = threading.Barrier(len(assets))
    errors: list[Exception] = []

    def register(asset) -> None:
        try:
            barrier.wait(timeout=20)
            services.asset_register(asset=asset, actor=registrar, on=AFTER_PUBLICITY)
        except Exception as exc:  # collected and asserted below
            errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=register, args=(a,)) for a in assets]
    # when
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    # then
    assert errors == []
    assert _verify() is None
