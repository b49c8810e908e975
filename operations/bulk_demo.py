"""Synthetic registered assets and pledges in bulk, for benchmarks (`seed_demo --assets N`).

Rows go in with COPY on PostgreSQL (`core.bulk.insert_rows`), primary keys reserved from the
tables' own sequences so the dependent rows can point at them: a million assets take minutes,
not hours. Per asset: its first version, one quality assessment and one year of usage; holders are
one organisation per thousand assets. Pledges go to a set of synthetic banks, about one asset in
five, every tenth of those with a second pledge. Numbers come from the real sequences; one journal
event records each load. Idempotent: it tops the synthetic set up to the targets.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from decimal import Decimal

from django.db import connection, transaction

from core import clock, sequences
from core.bulk import insert_rows, reserve_ids
from pledges.models import Pledge, PledgeStatus
from pledges.services import pledge_number
from registry import journal
from registry.choices import DATA_SOURCE_CODES, AssetStatus, OrganisationKind, VersionReason
from registry.identifiers import (
    compose_application_number,
    compose_registration_number,
    uscc_with_check_character,
)
from registry.models import AssetVersion, DataAsset, Organisation, User
from registry.periods import validity_end
from valuation.methods.quality import grade_for
from valuation.models import QualityAssessment, UsageRecord

NAME_PREFIX = "批量演示数据集"
HOLDER_PREFIX = "批量演示企业"
BANK_PREFIX = "批量演示银行"
ASSETS_PER_HOLDER = 1000
BANKS = 20
BATCH = 10_000
INDUSTRIES = "ACDFGIJKLMNPQR"
SOURCES = ("self_collected", "purchased", "licensed", "public_authorisation")


def _ids(model, count: int) -> list[int]:
    reserved = reserve_ids(model, count)
    if reserved is not None:
        return reserved
    # SQLite, a single writer: continue after the current maximum.
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT COALESCE(MAX(id), 0) FROM {model._meta.db_table}")
        start = cursor.fetchone()[0]
    return list(range(start + 1, start + count + 1))


def _organisations(prefix: str, code: str, kind: str, count: int) -> list[Organisation]:
    existing = Organisation.objects.filter(name__startswith=prefix).count()
    Organisation.objects.bulk_create(
        [
            Organisation(
                name=f"{prefix}{serial:06d}有限公司",
                uscc=uscc_with_check_character(f"91120000{code}{serial:08d}"),
                kind=kind,
            )
            for serial in range(existing + 1, count + 1)
        ],
        batch_size=BATCH,
    )
    return list(Organisation.objects.filter(name__startswith=prefix).order_by("pk"))


def seed_bulk(target: int, *, pledges: int | None = None, today: dt.date | None = None) -> int:
    """Top the synthetic set up to `target` registered assets and `pledges` active pledges
    (default: a fifth of the assets); returns how many assets were added."""
    today = today or clock.today()
    existing = DataAsset.objects.filter(name__startswith=NAME_PREFIX).count()
    added = 0
    if existing < target:
        registrar = User.objects.get(username="registrar")
        holders = _organisations(
            HOLDER_PREFIX, "B", OrganisationKind.ENTERPRISE, -(-target // ASSETS_PER_HOLDER)
        )
        for start in range(existing, target, BATCH):
            serials = range(start + 1, min(start + BATCH, target) + 1)
            with transaction.atomic():
                _insert_assets(serials, holders, registrar, today)
            added += len(serials)
    pledged = _seed_pledges(pledges if pledges is not None else target // 5, today)
    if (added or pledged) and connection.vendor == "postgresql":
        # Fresh statistics: without them the planner picks poor plans on the loaded tables.
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")
    journal.record(
        event_type="demo.bulk_seeded",
        actor=None,
        subject_type="demo",
        subject_id=str(target),
        subject_label=f"{added} synthetic registered assets, {pledged} pledges",
        payload={"added_assets": added, "added_pledges": pledged, "target": target},
        label=journal.OPERATOR_LABEL,
    )
    return added


def _insert_assets(serials: range, holders: list[Organisation], registrar: User, today):

    count = len(serials)
    registered_on = today - dt.timedelta(days=60)
    valid_until = validity_end(registered_on, years=3, licence_end=None)
    now = clock.now()
    asset_ids = _ids(DataAsset, count)
    reg_numbers = sequences.next_values(sequences.REGISTRATION_NUMBER, count)
    app_numbers = sequences.next_values(sequences.APPLICATION_NUMBER, count)
    assets, versions, assessments, usage = [], [], [], []
    version_ids = _ids(AssetVersion, count)
    for i, serial in enumerate(serials):
        holder = holders[(serial - 1) // ASSETS_PER_HOLDER]
        source = SOURCES[serial % len(SOURCES)]
        content = {
            "name": f"{NAME_PREFIX}{serial:07d}",
            "description": "批量生成的演示数据集，用于性能测试。",
            "industry": INDUSTRIES[serial % len(INDUSTRIES)],
            "data_category": "enterprise",
            "data_format": "table",
            "source": source,
            "source_proof": "演示授权协议" if source != "self_collected" else "",
            "record_count": 1000 * serial,
            "size_bytes": 4096 * serial,
            "time_span_start": dt.date(2022, 1, 1),
            "time_span_end": None,
            "update_frequency": "daily",
            "application_scenarios": "性能测试",
            "processing_rules": "采集→清洗→汇总",
            "security_level": "general",
            "involves_personal_info": False,
            "deidentification_method": "",
            "right_holding": True,
            "right_processing": True,
            "right_operation": False,
            "source_licence_start": None,
            "source_licence_end": None,
        }
        digest = hashlib.sha256(f"bulk-{serial}".encode()).hexdigest()
        assets.append(
            {
                "id": asset_ids[i],
                "holder_id": holder.pk,
                **content,
                "source_proof_file": "",
                "power_of_attorney": "",
                "sample_file": "",
                "agent_id": None,
                "evidence_sha256": digest,
                "status": AssetStatus.REGISTERED.value,
                "application_number": compose_application_number(
                    year=registered_on.year, sequence=app_numbers[i]
                ),
                "registration_number": compose_registration_number(
                    year=registered_on.year,
                    source_code=DATA_SOURCE_CODES[source],
                    subject_code=holder.uscc[0],
                    sequence=reg_numbers[i],
                ),
                "version": 1,
                "submitted_at": now,
                "correction_notice": "",
                "publicity_start": registered_on - dt.timedelta(days=20),
                "publicity_end": registered_on - dt.timedelta(days=1),
                "registered_at": now,
                "valid_from": registered_on,
                "valid_until": valid_until,
                "status_reason": "",
                "status_changed_at": now,
                "created_by_id": registrar.pk,
                "created_at": now,
                "updated_at": now,
            }
        )
        snapshot = {
            key: value.isoformat() if isinstance(value, dt.date) else value
            for key, value in content.items()
        }
        versions.append(
            {
                "id": version_ids[i],
                "asset_id": asset_ids[i],
                "number": 1,
                "reason": VersionReason.REGISTRATION.value,
                "holder_id": holder.pk,
                "content": snapshot,
                "evidence_sha256": digest,
                "valid_from": registered_on,
                "valid_until": valid_until,
                "note": "",
                "created_by_id": registrar.pk,
                "created_at": now,
            }
        )
        score = Decimal(60 + serial % 40)
        assessments.append(
            {
                "asset_id": asset_ids[i],
                "assessed_on": registered_on,
                "assessor_id": registrar.pk,
                "measurements": {
                    "element_completeness": {"count": str(score * 10), "evaluated": "1000"}
                },
                "weights": None,
                "indicators": [],
                "score": score,
                "grade": grade_for(score),
                "formula": f"S = {score} (synthetic)",
                "note": "",
                "created_at": now,
            }
        )
        usage.append(
            {
                "asset_id": asset_ids[i],
                "period_start": today - dt.timedelta(days=365),
                "period_end": today - dt.timedelta(days=1),
                "api_calls": 10_000 * (serial % 50 + 1),
                "downloads": 0,
                "licensees": serial % 5,
                "subscriptions": 0,
                "revenue_amount": Decimal(1000 * (serial % 200 + 1)),
                "currency": "CNY",
                "note": "",
                "recorded_by_id": registrar.pk,
                "created_at": now,
            }
        )
    insert_rows(DataAsset, assets)
    insert_rows(AssetVersion, versions)
    insert_rows(QualityAssessment, assessments)
    insert_rows(UsageRecord, usage)


def _seed_pledges(target: int, today: dt.date) -> int:
    existing = Pledge.objects.filter(pledgee__name__startswith=BANK_PREFIX).count()
    if existing >= target:
        return 0
    banks = _organisations(BANK_PREFIX, "K", OrganisationKind.BANK, BANKS)
    # Candidate assets in a stable order: every fifth synthetic asset, then every fiftieth again
    # (a second pledge on those).
    ids = list(
        DataAsset.objects.filter(name__startswith=NAME_PREFIX)
        .order_by("pk")
        .values_list("pk", "holder_id")
    )
    plan = [row for n, row in enumerate(ids) if n % 5 == 0]
    plan += [row for n, row in enumerate(ids) if n % 50 == 0]
    plan = plan[existing:target]
    now = clock.now()
    added = 0
    for start in range(0, len(plan), BATCH):
        chunk = plan[start : start + BATCH]
        with transaction.atomic():
            serials = sequences.next_values(sequences.PLEDGE_NUMBER, len(chunk))
            rows = []
            for k, ((asset_id, holder_id), serial) in enumerate(zip(chunk, serials, strict=True)):
                bank = banks[(start + k) % len(banks)]
                rows.append(
                    {
                        "number": pledge_number(today.year, serial),
                        "asset_id": asset_id,
                        "pledgor_id": holder_id,
                        "pledgee_id": bank.pk,
                        "secured_amount": Decimal(100_000 * (serial % 90 + 1)),
                        "currency": "CNY",
                        "debt_start": today - dt.timedelta(days=30),
                        "debt_end": today + dt.timedelta(days=335),
                        "registration_end": today + dt.timedelta(days=365),
                        "status": PledgeStatus.ACTIVE.value,
                        "priority": serial,
                        "registered_at": now,
                        "filed_by_label": bank.name,
                        "status_changed_at": None,
                        "status_reason": "",
                    }
                )
            insert_rows(Pledge, rows)
        added += len(chunk)
    return added
