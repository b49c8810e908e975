"""Upgrading a database from the previous release (commit 4688b09) keeps every row.

Since that release `Pledge` moved from `registry` to `pledges` and `SequenceCounter` from
`registry` to `core`, with state-only migrations that keep the tables (`registry_pledge`,
`registry_sequencecounter`) and relabel the content types. The test migrates the test database
back to the previous release's leaf migrations, writes a small realistic data set there with the
historical models (and draws numbers the way that release did), runs the migrations forward and
reads everything back with the current models: same rows, same values, same content-type and
permission ids, and numbers that continue instead of starting again.

Works on SQLite and PostgreSQL (where the journal and valuation rows are guarded by triggers:
the data set is only ever inserted, never updated). The database is left at the latest state even
when the test fails (the `old_release` fixture migrates forward in a `finally`).
"""

import datetime as dt
import hashlib
from decimal import Decimal
from io import StringIO
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from django.apps import apps as current_apps
from django.conf import settings
from django.contrib.auth.models import Group, Permission
from django.contrib.contenttypes.models import ContentType
from django.core.management import call_command
from django.core.management.sql import emit_post_migrate_signal
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

from certificates.models import Certificate
from certificates.numbers import compose_certificate_number
from core import sequences
from core.models import SequenceCounter
from pledges.models import Pledge
from registry.identifiers import (
    compose_application_number,
    compose_registration_number,
    uscc_with_check_character,
)
from registry.models import AssetVersion, DataAsset, JournalEvent, Organisation, User
from valuation.models import Appraisal, QualityAssessment

D = dt.date
TZ = ZoneInfo("Asia/Shanghai")

# The previous release's leaf migrations of the project's apps that had migrations then. Every
# other project app with migrations (pledges, core, and any app a later move creates) did not
# exist in that release and goes to zero; Django's and third-party apps stay where they are.
OLD_RELEASE_LEAVES = {
    "registry": "0007_change_requests",
    "certificates": "0002_pledge_and_search",
    "valuation": "0003_usage_validators",
}
# Models that changed app since then: (old app, new app, model).
MOVED_MODELS = (("registry", "pledges", "pledge"), ("registry", "core", "sequencecounter"))

SUBMITTED_AT = dt.datetime(2026, 5, 11, 10, 15, tzinfo=TZ)
REGISTERED_AT = dt.datetime(2026, 6, 9, 9, 30, tzinfo=TZ)
ASSESSED_AT = dt.datetime(2026, 6, 15, 14, 0, tzinfo=TZ)
FIRST_PLEDGE_AT = dt.datetime(2026, 6, 20, 11, 0, tzinfo=TZ)
FIRST_RELEASED_AT = dt.datetime(2026, 6, 30, 16, 45, tzinfo=TZ)
PLEDGE_AT = dt.datetime(2026, 7, 1, 9, 5, tzinfo=TZ)
EVIDENCE_SHA256 = hashlib.sha256(
    b"container_id,time,berth\nTJU001,2025-01-01T08:00,3\n"
).hexdigest()
HOLDER_USCC = uscc_with_check_character("91120000103074455")
BANK_USCC = uscc_with_check_character("91120000718268218")
REGISTRY_USCC = uscc_with_check_character("12120000MB1W55466")
BANK_LABEL = "bank1 @ 中国工商银行天津分行"
REGISTRAR_LABEL = "registrar1 @ 天津数据资产登记评估中心"


def _project_apps() -> set[str]:
    base_dir = Path(settings.BASE_DIR).resolve()
    return {
        config.label
        for config in current_apps.get_app_configs()
        if Path(config.path).resolve().parent == base_dir
    }


def _old_release_targets(executor: MigrationExecutor) -> list[tuple[str, str | None]]:
    project_apps = _project_apps()
    migrated = {app for app, _name in executor.loader.graph.leaf_nodes()}
    return sorted((app, OLD_RELEASE_LEAVES.get(app)) for app in migrated & project_apps)


def _tables(models) -> dict:
    return {
        model._meta.db_table: model
        for model in models
        if model._meta.managed and not model._meta.proxy
    }


def _snapshot(models) -> dict[str, list[dict]]:
    """Every row of every table, as stored (column attnames and values), in primary-key order."""
    return {
        table: list(model._base_manager.order_by("pk").values())
        for table, model in _tables(models).items()
    }


def _draw_old_number(old_apps, name: str) -> int:
    """A number drawn as the previous release's `registry.sequences.next_value` drew it."""
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("SELECT nextval(%s)", [f"registry_seq_{name}"])
        else:
            counter = old_apps.get_model("registry", "SequenceCounter")
            counter.objects.get_or_create(name=name)
            cursor.execute(
                f"UPDATE {counter._meta.db_table} SET value = value + 1 "
                "WHERE name = %s RETURNING value",
                [name],
            )
        return cursor.fetchone()[0]


@pytest.fixture
def old_release(transactional_db):
    """The test database migrated back to the previous release; forward again afterwards."""
    executor = MigrationExecutor(connection)
    latest = executor.loader.graph.leaf_nodes()
    try:
        targets = _old_release_targets(executor)
        executor.migrate(targets)
        executor.loader.build_graph()
        yield executor, targets
    finally:
        # Whatever happened above or in the test: leave the schema at the latest state.
        executor.loader.build_graph()
        executor.migrate(latest)
        ContentType.objects.clear_cache()


def _write_old_release_data(old_apps) -> dict:
    """A registered asset with its version, certificates, a released and an active pledge,
    journal events, a quality assessment and a final appraisal; organisations, users and a
    group holding a pledge permission. Returns the ids and the numbers drawn."""
    organisation = old_apps.get_model("registry", "Organisation")
    user = old_apps.get_model("registry", "User")
    data_asset = old_apps.get_model("registry", "DataAsset")
    asset_version = old_apps.get_model("registry", "AssetVersion")
    pledge = old_apps.get_model("registry", "Pledge")
    journal = old_apps.get_model("registry", "JournalEvent")
    certificate = old_apps.get_model("certificates", "Certificate")
    quality = old_apps.get_model("valuation", "QualityAssessment")
    appraisal = old_apps.get_model("valuation", "Appraisal")
    content_type = old_apps.get_model("contenttypes", "ContentType")
    permission = old_apps.get_model("auth", "Permission")
    group = old_apps.get_model("auth", "Group")

    drawn = {name: [] for name in sequences.SEQUENCES}

    def draw(name: str) -> int:
        drawn[name].append(_draw_old_number(old_apps, name))
        return drawn[name][-1]

    holder = organisation.objects.create(
        name="天津港数据服务有限公司",
        uscc=HOLDER_USCC,
        kind="enterprise",
        legal_representative="张伟",
        address="天津市滨海新区津港路99号",
        contact_email="data@tjport.example.cn",
    )
    bank = organisation.objects.create(
        name="中国工商银行天津分行", uscc=BANK_USCC, kind="bank", contact_phone="022-23400000"
    )
    registry_body = organisation.objects.create(
        name="天津数据资产登记评估中心", uscc=REGISTRY_USCC, kind="registry"
    )
    enterprise_user = user.objects.create(
        username="ent1", password="!", organisation=holder, role="enterprise"
    )
    bank_user = user.objects.create(
        username="bank1", password="!", organisation=bank, role="bank", email="b1@icbc.example"
    )
    registrar = user.objects.create(
        username="registrar1",
        password="!",
        organisation=registry_body,
        role="registrar",
        is_staff=True,
    )

    application_number = compose_application_number(
        year=2026, sequence=draw(sequences.APPLICATION_NUMBER)
    )
    registration_number = compose_registration_number(
        year=2026, source_code="01", subject_code="9", sequence=draw(sequences.REGISTRATION_NUMBER)
    )
    asset = data_asset.objects.create(
        holder=holder,
        created_by=enterprise_user,
        name="港口集装箱物流轨迹数据集",
        description="天津港集装箱进出港及堆场作业轨迹，经清洗、脱敏后形成的结构化数据集。",
        industry="G",
        data_category="enterprise",
        data_format="table",
        source="self_collected",
        record_count=1_250_000,
        size_bytes=3_400_000_000,
        time_span_start=D(2021, 1, 1),
        time_span_end=D(2025, 12, 31),
        update_frequency="daily",
        application_scenarios="物流调度优化；供应链金融风控。",
        processing_rules="采集→清洗→去重→脱敏→按日汇总。",
        security_level="general",
        right_holding=True,
        right_processing=True,
        sample_file="samples/s.csv",
        evidence_sha256=EVIDENCE_SHA256,
        status="registered",
        application_number=application_number,
        registration_number=registration_number,
        version=1,
        submitted_at=SUBMITTED_AT,
        publicity_start=D(2026, 5, 25),
        publicity_end=D(2026, 6, 8),
        registered_at=REGISTERED_AT,
        valid_from=D(2026, 6, 9),
        valid_until=D(2029, 6, 8),
        status_changed_at=REGISTERED_AT,
    )
    version = asset_version.objects.create(
        asset=asset,
        number=1,
        reason="registration",
        holder=holder,
        content={"name": asset.name, "industry": "G", "record_count": 1_250_000},
        evidence_sha256=EVIDENCE_SHA256,
        valid_from=D(2026, 6, 9),
        valid_until=D(2029, 6, 8),
        created_by=registrar,
    )
    asset_label = f"{asset.name} [{registration_number}]"
    journal.objects.create(
        event_type="asset.registered",
        occurred_at=REGISTERED_AT,
        actor=registrar,
        actor_label=REGISTRAR_LABEL,
        asset=asset,
        subject_type="asset",
        subject_id=str(asset.pk),
        subject_label=asset_label,
        payload={"registration_number": registration_number, "version": 1},
    )
    registration_certificate = certificate.objects.create(
        number=compose_certificate_number(
            issued_on=D(2026, 6, 9), registry_code="1200", serial=draw(sequences.CERTIFICATE_NUMBER)
        ),
        kind="registration",
        asset=asset,
        asset_version=1,
        data={"registration_number": registration_number, "asset_name": asset.name},
        issued_at=REGISTERED_AT,
        issued_by=registrar,
    )
    journal.objects.create(
        event_type="certificate.issued",
        occurred_at=REGISTERED_AT,
        actor=registrar,
        actor_label=REGISTRAR_LABEL,
        asset=asset,
        subject_type="certificate",
        subject_id=registration_certificate.number,
        subject_label=f"{registration_certificate.number} {asset.name}",
        reason="registration",
        payload={"number": registration_certificate.number, "kind": "registration"},
    )
    assessment = quality.objects.create(
        asset=asset,
        assessor=registrar,
        assessed_on=D(2026, 6, 15),
        measurements={"element_completeness": {"count": "9870", "evaluated": "10000"}},
        indicators={"completeness": "98.70"},
        score=Decimal("98.70"),
        grade="A",
        formula="S = 100 × 9870 / 10000 = 98.70",
    )
    final_appraisal = appraisal.objects.create(
        asset=asset,
        appraiser=registrar,
        method="cost",
        status="final",
        base_date=D(2026, 6, 30),
        inputs={"development_cost": "1800000.00"},
        value_amount=Decimal("2160000.00"),
        low_amount=Decimal("1944000.00"),
        high_amount=Decimal("2376000.00"),
        formula="V = C × (1 + r) = 1800000.00 × 1.20",
        breakdown={"cost": "1800000.00", "margin": "360000.00"},
        sensitivity=[{"r": "0.10", "value": "1980000.00"}],
        computed_at=ASSESSED_AT,
        finalised_at=ASSESSED_AT,
    )

    released_serial = draw(sequences.PLEDGE_NUMBER)
    released = pledge.objects.create(
        number=f"ZY2026{released_serial:08d}",
        asset=asset,
        pledgor=holder,
        pledgee=bank,
        secured_amount=Decimal("1000000.00"),
        debt_start=D(2026, 6, 20),
        debt_end=D(2026, 12, 31),
        registration_end=D(2026, 12, 31),
        status="released",
        priority=released_serial,
        registered_at=FIRST_PLEDGE_AT,
        filed_by_label=BANK_LABEL,
        status_changed_at=FIRST_RELEASED_AT,
        status_reason="贷款提前结清",
    )
    active_serial = draw(sequences.PLEDGE_NUMBER)
    active = pledge.objects.create(
        number=f"ZY2026{active_serial:08d}",
        asset=asset,
        pledgor=holder,
        pledgee=bank,
        secured_amount=Decimal("5000000.00"),
        debt_start=D(2026, 7, 1),
        debt_end=D(2027, 6, 30),
        registration_end=D(2027, 12, 31),
        priority=active_serial,
        registered_at=PLEDGE_AT,
        filed_by_label=BANK_LABEL,
    )
    for filed, at in ((released, FIRST_PLEDGE_AT), (active, PLEDGE_AT)):
        journal.objects.create(
            event_type="pledge.registered",
            occurred_at=at,
            actor=bank_user,
            actor_label=BANK_LABEL,
            asset=asset,
            subject_type="pledge",
            subject_id=filed.number,
            subject_label=f"{filed.number} {bank.name}",
            payload={"number": filed.number, "pledgee": BANK_USCC, "rank": 1},
        )
    journal.objects.create(
        event_type="pledge.released",
        occurred_at=FIRST_RELEASED_AT,
        actor=bank_user,
        actor_label=BANK_LABEL,
        asset=asset,
        subject_type="pledge",
        subject_id=released.number,
        subject_label=f"{released.number} {bank.name}",
        reason="贷款提前结清",
        payload={"number": released.number, "status": "released"},
    )
    pledge_certificate = certificate.objects.create(
        number=compose_certificate_number(
            issued_on=D(2026, 7, 1), registry_code="1200", serial=draw(sequences.CERTIFICATE_NUMBER)
        ),
        kind="pledge",
        asset=asset,
        asset_version=1,
        pledge=active,
        data={"pledge_number": active.number, "registration_number": registration_number},
        issued_at=PLEDGE_AT,
        issued_by=bank_user,
    )
    journal.objects.create(
        event_type="certificate.issued",
        occurred_at=PLEDGE_AT,
        actor=bank_user,
        actor_label=BANK_LABEL,
        asset=asset,
        subject_type="certificate",
        subject_id=pledge_certificate.number,
        subject_label=f"{pledge_certificate.number} {asset.name}",
        reason="registration",
        payload={"number": pledge_certificate.number, "kind": "pledge"},
    )

    pledge_type = content_type.objects.get(app_label="registry", model="pledge")
    counter_type = content_type.objects.get(app_label="registry", model="sequencecounter")
    pledge_codenames = sorted(
        permission.objects.filter(content_type=pledge_type).values_list("codename", flat=True)
    )
    view_pledge = permission.objects.get(content_type=pledge_type, codename="view_pledge")
    credit_officers = group.objects.create(name="信贷审核员")
    credit_officers.permissions.add(view_pledge)
    bank_user.groups.add(credit_officers)

    return {
        "drawn": drawn,
        "holder": holder.pk,
        "bank": bank.pk,
        "bank_user": bank_user.pk,
        "registrar": registrar.pk,
        "asset": asset.pk,
        "version": version.pk,
        "registration_number": registration_number,
        "application_number": application_number,
        "registration_certificate": registration_certificate.pk,
        "pledge_certificate": pledge_certificate.pk,
        "pledge_certificate_number": pledge_certificate.number,
        "released": released.pk,
        "active": active.pk,
        "assessment": assessment.pk,
        "appraisal": final_appraisal.pk,
        "pledge_type": pledge_type.pk,
        "counter_type": counter_type.pk,
        "pledge_codenames": pledge_codenames,
        "view_pledge": view_pledge.pk,
        "group": credit_officers.pk,
    }


def _fields(instance) -> dict:
    return {
        field.attname: getattr(instance, field.attname) for field in instance._meta.concrete_fields
    }


def test_migrating_from_the_previous_release_keeps_every_row(old_release):
    # given: the database at the previous release, with that release's models and data
    executor, targets = old_release
    loader = executor.loader
    assert {
        ("registry", "0007_change_requests"),
        ("certificates", "0002_pledge_and_search"),
        ("valuation", "0003_usage_validators"),
        ("pledges", None),
        ("core", None),
    } <= set(targets)
    project_apps = _project_apps()
    expected_applied = {
        node
        for app, name in targets
        if name is not None
        for node in loader.graph.forwards_plan((app, name))
        if node[0] in project_apps
    }
    assert {node for node in loader.applied_migrations if node[0] in project_apps} == (
        expected_applied
    )
    assert ("registry", "0008_move_pledges_and_counters") not in expected_applied
    old_apps = loader.project_state(list(loader.applied_migrations)).apps
    assert old_apps.get_model("registry", "Pledge")._meta.db_table == "registry_pledge"
    assert not any(config.label in {"pledges", "core"} for config in old_apps.get_app_configs())

    old = _write_old_release_data(old_apps)
    assert old["pledge_codenames"] == [
        "add_pledge",
        "change_pledge",
        "delete_pledge",
        "view_pledge",
    ]
    before = _snapshot(old_apps.get_models(include_auto_created=True))
    assert len(before["registry_journalevent"]) == 6
    assert len(before["registry_pledge"]) == 2
    assert len(before["certificates_certificate"]) == 2
    drawn = old["drawn"]
    assert {name: len(values) for name, values in drawn.items()} == {
        sequences.REGISTRATION_NUMBER: 1,
        sequences.APPLICATION_NUMBER: 1,
        sequences.CERTIFICATE_NUMBER: 2,
        sequences.PLEDGE_NUMBER: 2,
    }

    # when: `migrate` (the plan to the latest leaves, then the post_migrate handlers)
    loader.build_graph()
    executor.migrate(loader.graph.leaf_nodes())
    emit_post_migrate_signal(verbosity=0, interactive=False, db=connection.alias)
    ContentType.objects.clear_cache()

    # then: every table of the previous release holds the same rows with the same values,
    # except that the moved models' content types now name their new apps
    loader.build_graph()
    assert not executor.migration_plan(loader.graph.leaf_nodes())
    current = _tables(current_apps.get_models(include_auto_created=True))
    assert set(before) <= set(current)
    relabel = {(old_app, model): new_app for old_app, new_app, model in MOVED_MODELS}
    expected = {
        table: [
            {**row, "app_label": relabel.get((row["app_label"], row["model"]), row["app_label"])}
            if table == "django_content_type"
            else row
            for row in rows
        ]
        for table, rows in before.items()
    }
    after = {
        table: [
            {column: row[column] for column in (rows[0] if rows else {})}
            for row in current[table]._base_manager.order_by("pk").values()
        ]
        for table, rows in before.items()
    }
    assert after == expected

    # then: the pledges, read through the pledges app, with their exact values
    assert [_fields(pledge) for pledge in Pledge.objects.all()] == [
        {
            "id": old["released"],
            "number": f"ZY2026{drawn[sequences.PLEDGE_NUMBER][0]:08d}",
            "asset_id": old["asset"],
            "pledgor_id": old["holder"],
            "pledgee_id": old["bank"],
            "secured_amount": Decimal("1000000.00"),
            "currency": "CNY",
            "debt_start": D(2026, 6, 20),
            "debt_end": D(2026, 12, 31),
            "registration_end": D(2026, 12, 31),
            "status": "released",
            "priority": drawn[sequences.PLEDGE_NUMBER][0],
            "registered_at": FIRST_PLEDGE_AT,
            "filed_by_label": BANK_LABEL,
            "status_changed_at": FIRST_RELEASED_AT,
            "status_reason": "贷款提前结清",
        },
        {
            "id": old["active"],
            "number": f"ZY2026{drawn[sequences.PLEDGE_NUMBER][1]:08d}",
            "asset_id": old["asset"],
            "pledgor_id": old["holder"],
            "pledgee_id": old["bank"],
            "secured_amount": Decimal("5000000.00"),
            "currency": "CNY",
            "debt_start": D(2026, 7, 1),
            "debt_end": D(2027, 6, 30),
            "registration_end": D(2027, 12, 31),
            "status": "active",
            "priority": drawn[sequences.PLEDGE_NUMBER][1],
            "registered_at": PLEDGE_AT,
            "filed_by_label": BANK_LABEL,
            "status_changed_at": None,
            "status_reason": "",
        },
    ]
    asset = DataAsset.objects.get()
    assert (asset.pk, asset.status, asset.registration_number, asset.application_number) == (
        old["asset"],
        "registered",
        old["registration_number"],
        old["application_number"],
    )
    assert [pledge.pk for pledge in asset.pledges.all()] == [old["released"], old["active"]]
    assert [version.pk for version in AssetVersion.objects.filter(asset=asset)] == [old["version"]]
    assert sorted(Organisation.objects.values_list("uscc", flat=True)) == sorted(
        [HOLDER_USCC, BANK_USCC, REGISTRY_USCC]
    )

    # then: the pledge certificate's foreign key resolves to pledges.Pledge
    assert Certificate._meta.get_field("pledge").related_model is Pledge
    pledge_certificate = Certificate.objects.select_related("pledge").get(kind="pledge")
    assert type(pledge_certificate.pledge) is Pledge
    assert (pledge_certificate.pk, pledge_certificate.number, pledge_certificate.pledge.pk) == (
        old["pledge_certificate"],
        old["pledge_certificate_number"],
        old["active"],
    )
    assert [c.pk for c in Pledge.objects.get(pk=old["active"]).certificates.all()] == [
        old["pledge_certificate"]
    ]
    registration_certificate = Certificate.objects.get(kind="registration")
    assert (registration_certificate.pk, registration_certificate.asset_id) == (
        old["registration_certificate"],
        old["asset"],
    )

    # then: the journal, unchanged
    assert list(JournalEvent.objects.values_list("event_type", "subject_type", "asset_id")) == [
        ("asset.registered", "asset", old["asset"]),
        ("certificate.issued", "certificate", old["asset"]),
        ("pledge.registered", "pledge", old["asset"]),
        ("pledge.registered", "pledge", old["asset"]),
        ("pledge.released", "pledge", old["asset"]),
        ("certificate.issued", "certificate", old["asset"]),
    ]
    chain_columns = {"stream", "seq", "prev_hash", "hash"}
    assert [
        {name: value for name, value in _fields(event).items() if name not in chain_columns}
        for event in JournalEvent.objects.all()
    ] == before["registry_journalevent"]
    # and linked into the asset's hash chain in id order (registry 0009), which verifies
    assert [(event.stream, event.seq) for event in JournalEvent.objects.all()] == [
        (f"asset:{old['asset']}", seq) for seq in range(1, 7)
    ]
    call_command("verify_journal", stdout=StringIO())

    # then: the valuation rows
    assessment = QualityAssessment.objects.get()
    assert (assessment.pk, assessment.asset_id, assessment.score, assessment.grade) == (
        old["assessment"],
        old["asset"],
        Decimal("98.70"),
        "A",
    )
    final_appraisal = Appraisal.objects.get()
    assert (final_appraisal.pk, final_appraisal.status, final_appraisal.value_amount) == (
        old["appraisal"],
        "final",
        Decimal("2160000.00"),
    )

    # then: the content types were relabelled (same ids), none is left under registry, and the
    # permissions and the group holding one still work
    assert ContentType.objects.get_for_model(Pledge).pk == old["pledge_type"]
    assert ContentType.objects.get_for_model(SequenceCounter).pk == old["counter_type"]
    assert not ContentType.objects.filter(
        app_label="registry", model__in=["pledge", "sequencecounter"]
    ).exists()
    assert sorted(
        Permission.objects.filter(content_type__app_label="pledges").values_list(
            "codename", flat=True
        )
    ) == ["add_pledge", "change_pledge", "delete_pledge", "view_pledge"]
    view_pledge = Permission.objects.get(content_type__app_label="pledges", codename="view_pledge")
    assert view_pledge.pk == old["view_pledge"]
    assert list(Group.objects.get(pk=old["group"]).permissions.all()) == [view_pledge]
    bank_user = User.objects.get(pk=old["bank_user"])
    assert bank_user.has_perm("pledges.view_pledge")
    assert not bank_user.has_perm("registry.view_pledge")
    assert not bank_user.has_perm("pledges.change_pledge")

    # then: the counters are where they were, and numbers continue past every one drawn
    if connection.vendor == "postgresql":
        assert dict(SequenceCounter.objects.values_list("name", "value")) == {}
    else:
        assert dict(SequenceCounter.objects.values_list("name", "value")) == {
            name: values[-1] for name, values in drawn.items()
        }
    for name, values in drawn.items():
        assert sequences.next_value(name) > max(values), name
